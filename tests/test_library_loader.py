"""Loading the library: built-in files, operator overrides, broken files."""

from __future__ import annotations

import re
import shutil
import textwrap
from pathlib import Path

import pytest

from bot.library import (
    LibraryError,
    builtin_exercises_dir,
    load_library,
    validate_library,
)

REPO = Path(__file__).resolve().parents[1]

GOOD_EXERCISE = """\
slug: {slug}
title:
  en: {title}
  es: Título de prueba
category: appreciation
minutes: 5
mode: individual
response: text
visibility: private
source: Test fixture
rationale:
  en: |
    Because it helps.
  es: |
    Porque ayuda.
prompt:
  en: |
    Hello {{{{ recipient }}}}, say something kind to {{{{ partner }}}}.
  es: |
    Hola {{{{ recipient }}}}, dile algo amable a {{{{ partner }}}}.
reminder:
  en: |
    A gentle reminder.
  es: |
    Un recordatorio amable.
"""

GOOD_SET = """\
slug: {slug}
title:
  en: Operator set
  es: Conjunto del operador
description:
  en: |
    Made by {{{{ therapist }}}}.
  es: |
    Hecho por {{{{ therapist }}}}.
schedule:
{schedule}
"""


def write_exercise(root: Path, slug: str, title: str = "Test title", **replace: str) -> Path:
    text = GOOD_EXERCISE.format(slug=slug, title=title)
    for old, new in replace.items():
        assert old in text
        text = text.replace(old, new)
    path = root / "exercises" / f"{slug}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def write_set(root: Path, slug: str, exercises: list[str]) -> Path:
    schedule = "\n".join(
        f"  - day: {day}\n    exercise: {slug_}" for day, slug_ in enumerate(exercises, start=1)
    )
    path = root / "sets" / f"{slug}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(GOOD_SET.format(slug=slug, schedule=schedule), encoding="utf-8")
    return path


def test_builtin_dir_is_the_repository_library() -> None:
    # In a source checkout / editable install the repository's exercises/ is used.
    assert builtin_exercises_dir() == REPO / "exercises"
    assert (builtin_exercises_dir() / "exercises").is_dir()
    assert (builtin_exercises_dir() / "sets").is_dir()


def test_packaged_library_is_preferred(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Simulate the wheel layout: bot/library/paths.py next to bot/_exercises/.
    import bot.library.paths as paths

    fake_pkg = tmp_path / "site-packages" / "bot"
    (fake_pkg / "library").mkdir(parents=True)
    (fake_pkg / "_exercises" / "exercises").mkdir(parents=True)
    monkeypatch.setattr(paths, "__file__", str(fake_pkg / "library" / "paths.py"))
    assert paths.builtin_exercises_dir() == fake_pkg / "_exercises"


def test_pyproject_ships_the_library() -> None:
    pyproject = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    assert re.search(r'^"exercises" = "bot/_exercises"$', pyproject, re.MULTILINE)


def test_load_builtin_only() -> None:
    result = load_library()
    assert result.warnings == []
    assert all(e.builtin for e in result.library.exercises.values())
    assert result.library.exercise("no-such-thing") is None
    assert result.library.set("no-such-thing") is None
    exercise = result.library.exercise("gratitude-three-things")
    assert exercise is not None
    assert exercise.origin == builtin_exercises_dir() / "exercises" / "gratitude-three-things.yaml"


def test_operator_adds_and_overrides(tmp_path: Path) -> None:
    write_exercise(tmp_path, "gratitude-three-things", title="Our own gratitude")
    write_exercise(tmp_path, "operator-only")
    write_set(tmp_path, "operator-set", ["operator-only", "speaker-listener"])
    write_set(tmp_path, "gratitude-week", ["gratitude-three-things"])

    result = load_library(tmp_path)

    assert result.warnings == []
    library = result.library
    overridden = library.exercises["gratitude-three-things"]
    assert overridden.title["en"] == "Our own gratitude"
    assert not overridden.builtin
    assert overridden.origin == tmp_path / "exercises" / "gratitude-three-things.yaml"
    assert "operator-only" in library.exercises
    operator_set = library.sets["operator-set"]
    assert [item.exercise for item in operator_set.items] == ["operator-only", "speaker-listener"]
    assert library.sets["gratitude-week"].length_days == 1
    assert not library.sets["gratitude-week"].builtin
    # Built-ins that weren't overridden are still there.
    assert library.exercises["speaker-listener"].builtin
    assert library.sets["daily-connection"].builtin


def test_broken_operator_file_is_reported_and_skipped(tmp_path: Path) -> None:
    bad = write_exercise(tmp_path, "broken-one", **{"mode: individual": "mode: solo"})
    write_exercise(tmp_path, "good-one")
    bad_override = write_exercise(
        tmp_path, "speaker-listener", **{"  es: |\n    Un recordatorio amable.\n": ""}
    )
    bad_set = write_set(tmp_path, "needs-missing", ["good-one", "not-there"])
    uses_broken = write_set(tmp_path, "needs-broken", ["broken-one"])

    result = load_library(tmp_path)

    by_file = {(p.path, p.field) for p in result.warnings}
    assert by_file == {
        (bad, "mode"),
        (bad_override, "reminder.es"),
        (bad_set, "schedule entry 2, exercise"),
        (uses_broken, "schedule entry 1, exercise"),
    }
    library = result.library
    assert "good-one" in library.exercises
    assert "broken-one" not in library.exercises
    assert "needs-missing" not in library.sets
    assert "needs-broken" not in library.sets
    # The broken override is skipped: the built-in version stays in use.
    assert library.exercises["speaker-listener"].builtin


def test_missing_operator_dir_is_a_warning(tmp_path: Path) -> None:
    result = load_library(tmp_path / "missing")
    assert [p.message for p in result.warnings] == ["directory not found"]
    assert len(result.library.exercises) >= 24


def test_broken_builtin_raises_with_every_problem(tmp_path: Path) -> None:
    builtin = tmp_path / "builtin"
    write_exercise(builtin, "fine")
    first = write_exercise(builtin, "bad-mode", **{"mode: individual": "mode: solo"})
    second = write_exercise(builtin, "bad-html", **{"A gentle reminder.": "A <p>reminder</p>."})
    write_exercise(tmp_path / "operator", "operator-one")

    with pytest.raises(LibraryError) as excinfo:
        load_library(tmp_path / "operator", builtin_dir=builtin)

    problems = {(p.path, p.field) for p in excinfo.value.problems}
    assert problems == {(first, "mode"), (second, "reminder.en")}
    message = str(excinfo.value)
    assert "2 problems" in message
    assert "bad-mode.yaml: mode: unknown mode 'solo'" in message


def test_real_builtin_copy_with_one_broken_file(tmp_path: Path) -> None:
    builtin = tmp_path / "builtin"
    shutil.copytree(builtin_exercises_dir(), builtin)
    target = builtin / "exercises" / "gratitude-three-things.yaml"
    target.write_text(
        target.read_text(encoding="utf-8").replace("{{ partner }}", "{{ partner_name }}"),
        encoding="utf-8",
    )
    with pytest.raises(LibraryError) as excinfo:
        load_library(builtin_dir=builtin)
    fields = {p.field for p in excinfo.value.problems if p.path == target}
    assert "prompt.en" in fields
    assert "prompt.es" in fields


def test_empty_builtin_dir_raises(tmp_path: Path) -> None:
    (tmp_path / "exercises").mkdir()
    with pytest.raises(LibraryError, match="no exercises found"):
        load_library(builtin_dir=tmp_path)


def test_yaml_booleans_are_only_true_and_false(tmp_path: Path) -> None:
    # With YAML 1.1 rules, "Yes"/"No"/"on" would silently become booleans.
    write_exercise(
        tmp_path,
        "yes-or-no",
        **{
            "response: text": textwrap.dedent(
                """\
                response: choice
                choices:
                  - en: Yes
                    es: Sí
                  - en: No
                    es: No
                  - en: on
                    es: off"""
            )
        },
    )
    result = load_library(tmp_path)
    assert result.warnings == []
    exercise = result.library.exercises["yes-or-no"]
    assert exercise.choice_labels("en") == ["Yes", "No", "on"]
    assert exercise.choice_labels("es") == ["Sí", "No", "off"]


def test_extra_language_must_be_complete(tmp_path: Path) -> None:
    path = write_exercise(
        tmp_path,
        "with-portuguese",
        **{"  es: Título de prueba": "  es: Título de prueba\n  pt: Título"},
    )
    problems = validate_library(tmp_path)
    fields = sorted(p.field or "" for p in problems if p.path == path)
    assert fields == ["prompt.pt", "rationale.pt", "reminder.pt"]
    assert {p.message for p in problems} == {"missing translation"}


def test_required_languages(tmp_path: Path) -> None:
    path = write_exercise(tmp_path, "english-only")
    text = re.sub(r"\n  es:.*(\n    .*)?", "", path.read_text(encoding="utf-8"))
    path.write_text(text, encoding="utf-8")
    problems = validate_library(tmp_path)
    assert sorted(p.field or "" for p in problems) == [
        "prompt.es",
        "rationale.es",
        "reminder.es",
        "title.es",
    ]


def test_empty_and_non_mapping_files(tmp_path: Path) -> None:
    (tmp_path / "exercises").mkdir()
    (tmp_path / "exercises" / "empty.yaml").write_text("", encoding="utf-8")
    (tmp_path / "exercises" / "a-list.yaml").write_text("- one\n- two\n", encoding="utf-8")
    (tmp_path / "exercises" / "binary.yaml").write_bytes(b"\xff\xfe\x00bad")
    (tmp_path / "exercises" / "notes.txt").write_text("ignored", encoding="utf-8")
    (tmp_path / "exercises" / ".hidden.yaml").write_text("ignored: [", encoding="utf-8")
    messages = {p.path.name: p.message for p in validate_library(tmp_path)}
    assert messages == {
        "empty.yaml": "the file is empty",
        "a-list.yaml": "expected a mapping of fields (slug: …, title: …) at the top level",
        "binary.yaml": "not a UTF-8 text file",
    }


def test_days_shorthand_and_duplicates(tmp_path: Path) -> None:
    path = tmp_path / "sets" / "shorthand.yaml"
    path.parent.mkdir(parents=True)
    path.write_text(
        textwrap.dedent(
            """\
            slug: shorthand
            title: {en: Shorthand, es: Abreviado}
            description: {en: Test., es: Prueba.}
            repeat: true
            length_days: 7
            schedule:
              - days: [1, 3, 5]
                exercise: open-ended-question
              - day: 3
                exercise: notice-the-bids
            """
        ),
        encoding="utf-8",
    )
    result = load_library(tmp_path)
    assert result.warnings == []
    exercise_set = result.library.sets["shorthand"]
    assert [(i.day, i.exercise) for i in exercise_set.items] == [
        (1, "open-ended-question"),
        (3, "notice-the-bids"),
        (3, "open-ended-question"),
        (5, "open-ended-question"),
    ]
    assert exercise_set.frequency_summary("en") == "3 times a week, ongoing"

    path.write_text(
        path.read_text(encoding="utf-8").replace(
            "exercise: notice-the-bids", "exercise: open-ended-question"
        ),
        encoding="utf-8",
    )
    problems = validate_library(tmp_path, base=builtin_exercises_dir())
    assert [(p.field, p.message) for p in problems] == [
        ("schedule entry 2", "'open-ended-question' is already scheduled on day 3")
    ]


def test_domain_layer_does_not_import_telegram() -> None:
    import subprocess
    import sys

    code = "import sys, bot.library, bot.cli.exercises; print('telegram' in sys.modules)"
    result = subprocess.run(  # noqa: S603 - fixed command
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO
    )
    assert result.stdout.strip() == "False"
