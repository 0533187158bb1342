"""Rendering exercise texts (Jinja2, sandboxed, HTML-escaped) for Telegram."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

from babel.core import UnknownLocaleError
from babel.dates import format_date
from jinja2 import StrictUndefined, Template
from jinja2.sandbox import ImmutableSandboxedEnvironment

from bot.library.models import Exercise, ExerciseSet, pick_language

__all__ = [
    "TEMPLATE_VARIABLES",
    "RenderedExercise",
    "RenderedSet",
    "compile_template",
    "render_exercise",
    "render_set",
    "render_template",
    "weekday_name",
]

#: Variables every exercise template may use.
TEMPLATE_VARIABLES: Final[tuple[str, ...]] = (
    "recipient",
    "partner",
    "therapist",
    "day",
    "weekday",
    "lang",
)
#: Variables a set description may use.
SET_TEMPLATE_VARIABLES: Final[tuple[str, ...]] = ("therapist", "lang")

# autoescape=True is set explicitly: select_autoescape() would decide by file
# extension and would *not* escape templates that come from YAML strings.
_ENV: Final = ImmutableSandboxedEnvironment(
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=False,
)

_TRAILING_SPACE_RE = re.compile(r"[ \t]+\n")
_MANY_BLANK_LINES_RE = re.compile(r"\n{3,}")


@lru_cache(maxsize=4096)
def compile_template(source: str) -> Template:
    """Compile (and cache) a template. Raises jinja2.TemplateSyntaxError."""
    return _ENV.from_string(source)


def _tidy(text: str) -> str:
    text = _TRAILING_SPACE_RE.sub("\n", text.strip())
    return _MANY_BLANK_LINES_RE.sub("\n\n", text)


def render_template(source: str, context: Mapping[str, object]) -> str:
    """Render one template with ``context`` (values are auto-escaped) and tidy blank lines."""
    return _tidy(compile_template(source).render(dict(context)))


@lru_cache(maxsize=512)
def weekday_name(on: dt.date, lang: str) -> str:
    """Localised name of the day of the week, e.g. "Monday" / "lunes"."""
    try:
        return str(format_date(on, "EEEE", locale=lang.replace("-", "_")))
    except (UnknownLocaleError, ValueError):
        return str(format_date(on, "EEEE", locale="en"))


def _html_text(text: str) -> str:
    """Escape a plain-text value for Telegram HTML."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@dataclass(frozen=True)
class RenderedExercise:
    """An exercise rendered for one person: every field is Telegram HTML.

    ``title`` and ``choices`` are plain text that is also HTML-safe (the
    validator forbids ``<``, ``>`` and ``&`` in them), so they can be used on
    buttons as they are.
    """

    lang: str
    title: str
    prompt: str
    follow_up: str | None
    reminder: str
    rationale: str
    source: str
    choices: tuple[str, ...]

    def as_message(self) -> str:
        """The message to deliver: bold title, prompt and (italic) follow-up."""
        parts = [f"<b>{self.title}</b>", self.prompt]
        if self.follow_up:
            parts.append(f"<i>{self.follow_up}</i>")
        return "\n\n".join(parts)


def exercise_context(
    lang: str,
    *,
    recipient: str,
    partner: str,
    therapist: str,
    day: int,
    on: dt.date,
) -> dict[str, object]:
    return {
        "recipient": recipient,
        "partner": partner,
        "therapist": therapist,
        "day": day,
        "weekday": weekday_name(on, lang),
        "lang": lang,
    }


def render_exercise(
    exercise: Exercise,
    lang: str,
    *,
    recipient: str,
    partner: str,
    therapist: str,
    day: int = 1,
    on: dt.date | None = None,
) -> RenderedExercise:
    """Render ``exercise`` for ``recipient`` in ``lang``.

    ``lang`` falls back to the base language and then to English when the
    exercise doesn't have it. ``day`` is the 1-based day since the set started
    (it keeps counting in repeating sets; use 1 outside a set). ``on`` is the
    local delivery date, used for the ``weekday`` variable (default: today).
    Names are auto-escaped; the result is ready for ``parse_mode=HTML``.
    """
    used = pick_language(exercise.prompt, lang)
    context = exercise_context(
        used,
        recipient=recipient,
        partner=partner,
        therapist=therapist,
        day=day,
        on=on or dt.date.today(),
    )

    def render(texts: Mapping[str, str]) -> str:
        return render_template(texts[pick_language(texts, used)], context)

    return RenderedExercise(
        lang=used,
        title=_html_text(exercise.title_in(used)),
        prompt=render(exercise.prompt),
        follow_up=render(exercise.follow_up) if exercise.follow_up else None,
        reminder=render(exercise.reminder),
        rationale=render(exercise.rationale),
        source=_html_text(exercise.source),
        choices=tuple(_html_text(label) for label in exercise.choice_labels(used)),
    )


@dataclass(frozen=True)
class RenderedSet:
    """A set rendered for display: ``title`` plain (HTML-safe), ``description`` HTML."""

    lang: str
    title: str
    description: str
    frequency: str


def render_set(exercise_set: ExerciseSet, lang: str, *, therapist: str = "") -> RenderedSet:
    """Render a set's title, description and rhythm ("daily for 7 days") in ``lang``."""
    used = pick_language(exercise_set.description, lang)
    description = exercise_set.description[used]
    return RenderedSet(
        lang=used,
        title=_html_text(exercise_set.title_in(used)),
        description=render_template(description, {"therapist": therapist, "lang": used}),
        frequency=exercise_set.frequency_summary(used),
    )
