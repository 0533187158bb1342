"""Checking one library file's fields: limits, slugs, localised texts and templates."""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, cast

from jinja2 import TemplateSyntaxError, UndefinedError
from jinja2.exceptions import SecurityError

from bot.library.models import REQUIRED_LANGUAGES, LibraryProblem
from bot.library.render import compile_template, render_template, weekday_name
from bot.library.spanish_forms import gendered_forms
from bot.library.telegram_html import MAX_MESSAGE_LENGTH, check_telegram_html, visible_length

SLUG_RE: Final = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_SLUG_LENGTH: Final = 40
LANG_RE: Final = re.compile(r"^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})?$")

#: 64 characters of markup, the longest name Telegram allows.
HOSTILE_NAME: Final = ("<b>&\"'" * 11)[:64]

MAX_TITLE_LENGTH: Final = 60
MAX_CHOICE_LABEL_LENGTH: Final = 32
MIN_CHOICES: Final = 2
MAX_CHOICES: Final = 5
MAX_MINUTES: Final = 180
MAX_SET_DAYS: Final = 366

# field name -> required?
EXERCISE_FIELDS: Final[Mapping[str, bool]] = {
    "slug": True,
    "title": True,
    "category": True,
    "minutes": True,
    "mode": True,
    "response": True,
    "visibility": True,
    "source": True,
    "rationale": True,
    "prompt": True,
    "follow_up": False,
    "reminder": True,
    "choices": False,
    "therapist_only": False,
    "therapist_sees_values": False,
}
SET_FIELDS: Final[Mapping[str, bool]] = {
    "slug": True,
    "title": True,
    "description": True,
    "repeat": False,
    "length_days": False,
    "schedule": True,
    "therapist_only": False,
}
TEMPLATE_FIELDS: Final = ("prompt", "follow_up", "reminder", "rationale")


def did_you_mean(value: object, options: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for a near miss among ``options``, else ``""``."""
    if not isinstance(value, str):
        return ""
    choices = list(options)
    lowered = {option.lower(): option for option in choices}
    close = difflib.get_close_matches(value.lower(), list(lowered), n=1, cutoff=0.6)
    if not close:
        # "follow up" or "Follow-Up" for follow_up: compare without separators.
        squashed = {re.sub(r"[\W_]", "", o.lower()): o for o in choices}
        hit = squashed.get(re.sub(r"[\W_]", "", value.lower()))
        return f" (did you mean {hit!r}?)" if hit else ""
    return f" (did you mean {lowered[close[0]]!r}?)"


def sample_contexts(lang: str) -> Iterator[dict[str, object]]:
    """Contexts used to test-render every template: ordinary and hostile names."""
    monday = dt.date(2026, 11, 23)
    for offset in range(7):
        yield {
            "recipient": "Alex",
            "partner": "Sam",
            "therapist": "Dr. Rivera",
            "day": offset + 1,
            "weekday": weekday_name(monday + dt.timedelta(days=offset), lang),
            "lang": lang,
        }
    yield {
        "recipient": HOSTILE_NAME,
        "partner": "👩‍❤️‍👨 שרה مريم &amp; <i>",
        "therapist": "Dr. <script>alert(1)</script>",
        "day": 366,
        "weekday": weekday_name(monday + dt.timedelta(days=2), lang),
        "lang": lang,
    }
    # The longest names Telegram allows (64 characters, each 2 UTF-16 code units).
    yield {
        "recipient": "𝓐" * 64,
        "partner": "𝓑" * 64,
        "therapist": "𝓒" * 64,
        "day": 1000,
        "weekday": weekday_name(monday + dt.timedelta(days=2), lang),
        "lang": lang,
    }


@dataclass
class FileChecker:
    """Collects the problems of one file while its fields are checked."""

    path: Path
    problems: list[LibraryProblem] = field(default_factory=list)
    #: Things worth a second look that don't stop the file from loading.
    warnings: list[LibraryProblem] = field(default_factory=list)
    # localised maps seen in this file: field name -> languages present
    localised: dict[str, frozenset[str]] = field(default_factory=dict)

    def add(self, field_name: str | None, message: str) -> None:
        self.problems.append(LibraryProblem(self.path, field_name, message))

    def warn(self, field_name: str | None, message: str) -> None:
        self.warnings.append(LibraryProblem(self.path, field_name, message))

    def unknown_fields(self, data: Mapping[Any, Any], known: Mapping[str, bool]) -> None:
        for key in data:
            if key not in known:
                hint = did_you_mean(key, known)
                if hint:
                    self.add(str(key), f"unknown field{hint}")
                else:
                    self.add(str(key), f"unknown field (expected one of: {', '.join(known)})")

    def require(self, data: Mapping[Any, Any], known: Mapping[str, bool]) -> None:
        for key, required in known.items():
            if required and data.get(key) is None:
                self.add(key, "missing required field")

    def slug(self, data: Mapping[Any, Any]) -> str | None:
        value = data.get("slug")
        if value is None:
            return None
        if not isinstance(value, str) or not SLUG_RE.match(value):
            self.add("slug", "must be lower-case letters, digits and dashes, e.g. thank-you-note")
            return None
        if len(value) > MAX_SLUG_LENGTH:
            # Slugs travel inside button data, which Telegram caps at 64 bytes.
            self.add("slug", f"must be at most {MAX_SLUG_LENGTH} characters")
            return None
        if value != self.path.stem:
            self.add("slug", f"slug {value!r} does not match the file name {self.path.name!r}")
            return None
        return value

    def choice(self, data: Mapping[Any, Any], key: str, options: tuple[str, ...]) -> str | None:
        value = data.get(key)
        if value is None:
            return None
        if value not in options:
            hint = did_you_mean(value, options)
            self.add(key, f"unknown {key} {value!r}{hint} (expected one of: {', '.join(options)})")
            return None
        return cast(str, value)

    def integer(self, name: str, value: object, low: int, high: int) -> int | None:
        if isinstance(value, bool) or not isinstance(value, int):
            self.add(name, f"must be a whole number, got {value!r}")
            return None
        if not low <= value <= high:
            self.add(name, f"must be between {low} and {high}, got {value}")
            return None
        return value

    def localised_map(
        self, name: str, value: object, *, plain: bool = False, max_length: int | None = None
    ) -> dict[str, str] | None:
        """A {language: text} map. ``plain`` texts may not contain markup or templates."""
        if value is None:
            return None
        if not isinstance(value, dict):
            self.add(name, "must be a map of language codes to texts, e.g. {en: …, es: …}")
            return None
        texts: dict[str, str] = {}
        ok = True
        for lang, text in value.items():
            where = f"{name}.{lang}"
            if not isinstance(lang, str) or not LANG_RE.match(lang):
                self.add(where, "not a language code (use e.g. en, es, pt-BR)")
                ok = False
                continue
            if not isinstance(text, str):
                self.add(where, f"must be text, got {text!r} (put it in quotes)")
                ok = False
                continue
            if not text.strip():
                self.add(where, "is empty")
                ok = False
                continue
            if plain:
                text = text.strip()
                bad = [token for token in ("<", ">", "&", "{{", "{%", "{#") if token in text]
                if bad:
                    self.add(
                        where,
                        "must be plain text (no HTML, entities or template code): "
                        f"found {bad[0]!r}",
                    )
                    ok = False
                    continue
                if max_length is not None and len(text) > max_length:
                    self.add(where, f"is {len(text)} characters long; keep it under {max_length}")
                    ok = False
                    continue
            texts[lang] = text
        self.localised[name] = frozenset(texts) | (
            frozenset(k for k in value if isinstance(k, str)) if not ok else frozenset()
        )
        return texts if ok else None

    def spanish(self, name: str, value: object) -> None:
        """Warn about gendered forms in the Spanish texts of a {language: text} map."""
        if not isinstance(value, dict):
            return
        for lang, text in value.items():
            if isinstance(lang, str) and lang.split("-")[0] == "es" and isinstance(text, str):
                for message in gendered_forms(text):
                    self.warn(f"{name}.{lang}", message)

    def translations(self) -> frozenset[str]:
        """Check every localised text has the same languages (at least the required ones)."""
        expected = frozenset(REQUIRED_LANGUAGES).union(*self.localised.values())
        for name, present in self.localised.items():
            for lang in sorted(expected - present):
                self.add(f"{name}.{lang}", "missing translation")
        return expected

    def template(
        self,
        name: str,
        texts: Mapping[str, str] | None,
        variables: tuple[str, ...],
        contexts: Mapping[str, list[dict[str, object]]],
    ) -> dict[str, list[str]]:
        """Compile and test-render a localised template; return renders per language."""
        renders: dict[str, list[str]] = {}
        for lang, source in (texts or {}).items():
            where = f"{name}.{lang}"
            try:
                compile_template(source)
            except TemplateSyntaxError as exc:
                self.add(where, f"template syntax error on line {exc.lineno}: {exc.message}")
                continue
            outputs: list[str] = []
            for context in contexts[lang]:
                try:
                    outputs.append(render_template(source, context))
                except UndefinedError as exc:
                    self.add(
                        where,
                        f"template uses an unknown variable: {exc.message} "
                        f"(available: {', '.join(variables)})",
                    )
                    break
                except SecurityError as exc:
                    self.add(where, f"template does something not allowed: {exc}")
                    break
                except Exception as exc:  # any runtime error in operator templates
                    self.add(where, f"template failed to render: {type(exc).__name__}: {exc}")
                    break
                error = check_telegram_html(outputs[-1], max_length=None)
                if error:
                    self.add(where, f"renders to invalid Telegram HTML: {error}")
                    break
                length = visible_length(outputs[-1])
                if length > MAX_MESSAGE_LENGTH:
                    self.add(
                        where,
                        f"renders to {length} characters; Telegram allows at most "
                        f"{MAX_MESSAGE_LENGTH}",
                    )
                    break
            else:
                renders[lang] = outputs
        return renders
