"""Rendering exercises: escaping, variables, languages, the sandbox."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from jinja2 import UndefinedError
from jinja2.exceptions import SecurityError

from bot.library import (
    Exercise,
    builtin_exercises_dir,
    check_telegram_html,
    load_library,
    render_exercise,
    render_set,
    weekday_name,
)
from bot.library.render import compile_template

REPO = Path(__file__).resolve().parents[1]
MONDAY = dt.date(2026, 11, 23)


def make_exercise(**texts: dict[str, str]) -> Exercise:
    fields: dict[str, dict[str, str]] = {
        "title": {"en": "Title", "es": "Título"},
        "prompt": {"en": "Hi {{ recipient }}", "es": "Hola {{ recipient }}"},
        "reminder": {"en": "Reminder for {{ weekday }}", "es": "Recordatorio del {{ weekday }}"},
        "rationale": {"en": "Why", "es": "Por qué"},
    }
    fields.update(texts)
    return Exercise(
        slug="made-up",
        title=fields["title"],
        category="appreciation",
        minutes=5,
        rationale=fields["rationale"],
        source="Emmons & McCullough",
        mode="individual",
        response="choice",
        choices=[{"en": "Yes", "es": "Sí"}, {"en": "Not yet", "es": "Todavía no"}],
        prompt=fields["prompt"],
        follow_up=fields.get("follow_up"),
        reminder=fields["reminder"],
        visibility="private",
        languages=frozenset({"en", "es"}),
        origin=Path("made-up.yaml"),
    )


def test_names_are_escaped() -> None:
    rendered = render_exercise(
        make_exercise(),
        "en",
        recipient='<b>Ana</b> & "Bo"',
        partner="Ben",
        therapist="Dr",
        on=MONDAY,
    )
    assert rendered.prompt == "Hi &lt;b&gt;Ana&lt;/b&gt; &amp; &#34;Bo&#34;"
    assert check_telegram_html(rendered.as_message()) is None


def test_autoescape_is_explicit_for_template_strings() -> None:
    # select_autoescape() would not escape templates without an .html name.
    template = compile_template("{{ x }}")
    assert template.environment.autoescape is True
    assert template.render(x="<i>") == "&lt;i&gt;"


def test_all_variables() -> None:
    everything = "{{ recipient }}|{{ partner }}|{{ therapist }}|{{ day }}|{{ weekday }}|{{ lang }}"
    exercise = make_exercise(prompt={"en": everything, "es": everything})
    english = render_exercise(
        exercise, "en", recipient="Ana", partner="Ben", therapist="Dr. Ruiz", day=3, on=MONDAY
    )
    assert english.prompt == "Ana|Ben|Dr. Ruiz|3|Monday|en"
    spanish = render_exercise(
        exercise,
        "es",
        recipient="Ana",
        partner="Ben",
        therapist="Dr. Ruiz",
        day=4,
        on=MONDAY + dt.timedelta(days=2),
    )
    assert spanish.prompt == "Ana|Ben|Dr. Ruiz|4|miércoles|es"


def test_weekday_defaults_to_today() -> None:
    rendered = render_exercise(make_exercise(), "en", recipient="A", partner="B", therapist="T")
    assert rendered.reminder == f"Reminder for {dt.date.today():%A}"


def test_weekday_name_falls_back_to_english() -> None:
    assert weekday_name(MONDAY, "es") == "lunes"
    assert weekday_name(MONDAY, "pt-BR") == "segunda-feira"
    assert weekday_name(MONDAY, "zz") == "Monday"


@pytest.mark.parametrize(
    ("lang", "used", "prompt"),
    [
        ("en", "en", "Hi Ana"),
        ("es", "es", "Hola Ana"),
        ("es-MX", "es", "Hola Ana"),
        ("es_AR", "es", "Hola Ana"),
        ("fr", "en", "Hi Ana"),
    ],
)
def test_language_fallback(lang: str, used: str, prompt: str) -> None:
    rendered = render_exercise(
        make_exercise(), lang, recipient="Ana", partner="B", therapist="T", on=MONDAY
    )
    assert rendered.lang == used
    assert rendered.prompt == prompt


def test_each_partner_gets_their_own_language() -> None:
    library = load_library().library
    exercise = library.exercises["gratitude-three-things"]
    for_ana = render_exercise(exercise, "es", recipient="Ana", partner="Ben", therapist="T")
    for_ben = render_exercise(exercise, "en", recipient="Ben", partner="Ana", therapist="T")
    assert for_ana.title == "Tres cosas buenas"
    assert "Hola, Ana" in for_ana.prompt
    assert for_ben.title == "Three good things"
    assert "Hi Ben" in for_ben.prompt


def test_choices_title_and_source() -> None:
    rendered = render_exercise(
        make_exercise(), "es", recipient="A", partner="B", therapist="T", on=MONDAY
    )
    assert rendered.choices == ("Sí", "Todavía no")
    assert rendered.title == "Título"
    assert rendered.source == "Emmons &amp; McCullough"


def test_message_layout() -> None:
    exercise = make_exercise(follow_up={"en": "And {{ partner }}?", "es": "¿Y {{ partner }}?"})
    rendered = render_exercise(exercise, "en", recipient="A", partner="B", therapist="T")
    assert rendered.as_message() == "<b>Title</b>\n\nHi A\n\n<i>And B?</i>"
    no_follow_up = render_exercise(make_exercise(), "en", recipient="A", partner="B", therapist="T")
    assert no_follow_up.follow_up is None
    assert no_follow_up.as_message() == "<b>Title</b>\n\nHi A"


def test_blank_lines_are_tidied() -> None:
    exercise = make_exercise(
        prompt={
            "en": "Line one   \n\n{% if day > 1 %}\nOnly later\n{% endif %}\n\n\nLine two\n",
            "es": "Uno",
        }
    )
    rendered = render_exercise(exercise, "en", recipient="A", partner="B", therapist="T")
    assert rendered.prompt == "Line one\n\nLine two"


def test_undefined_variable_raises() -> None:
    exercise = make_exercise(prompt={"en": "Hi {{ name }}", "es": "Hola"})
    with pytest.raises(UndefinedError):
        render_exercise(exercise, "en", recipient="A", partner="B", therapist="T")


def test_sandbox() -> None:
    exercise = make_exercise(prompt={"en": "{{ recipient.__class__.__mro__ }}", "es": "x"})
    with pytest.raises(SecurityError):
        render_exercise(exercise, "en", recipient="A", partner="B", therapist="T")
    mutating = make_exercise(prompt={"en": "{% set l = [] %}{{ l.append(1) }}", "es": "x"})
    with pytest.raises(SecurityError):
        render_exercise(mutating, "en", recipient="A", partner="B", therapist="T")


def test_rotating_question_changes_with_the_day() -> None:
    exercise = load_library().library.exercises["open-ended-question"]
    questions = {
        re.findall(
            r"<b>(.*?)</b>",
            render_exercise(
                exercise, "en", recipient="A", partner="B", therapist="T", day=day
            ).prompt,
        )[0]
        for day in range(1, 61)
    }
    assert len(questions) == 60  # eight weeks of a daily set without a repeat (issue 17)
    day_one = render_exercise(exercise, "en", recipient="A", partner="B", therapist="T", day=1)
    day_61 = render_exercise(exercise, "en", recipient="A", partner="B", therapist="T", day=61)
    assert day_one.prompt == day_61.prompt


def test_render_set() -> None:
    library = load_library().library
    rendered = render_set(library.sets["gratitude-week"], "es", therapist="Dr. Ruiz")
    assert rendered.title == "Semana de gratitud"
    assert rendered.frequency == "todos los días durante 7 días"
    assert rendered.lang == "es"
    assert check_telegram_html(rendered.description) is None


def test_docs_examples_are_valid(tmp_path: Path) -> None:
    """The complete examples in docs/exercises.md validate as they are."""
    docs = (REPO / "docs" / "exercises.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```yaml\n(.*?)```", docs, flags=re.S)
    examples = [block for block in blocks if block.startswith("slug: ")]
    assert len(examples) == 2
    for block in examples:
        slug = block.split("\n", 1)[0].removeprefix("slug: ").strip()
        folder = "sets" if "schedule:" in block else "exercises"
        path = tmp_path / folder / f"{slug}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(block, encoding="utf-8")
    from bot.library import validate_library

    assert validate_library(tmp_path, base=builtin_exercises_dir()) == []
    # The exercise example is the real built-in file.
    builtin = builtin_exercises_dir() / "exercises" / "gratitude-three-things.yaml"
    assert (tmp_path / "exercises" / "gratitude-three-things.yaml").read_text(
        encoding="utf-8"
    ) == builtin.read_text(encoding="utf-8")
