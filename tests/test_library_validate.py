"""The validator on a folder of broken files, one per kind of error."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.library import LibraryProblem, builtin_exercises_dir, validate_library

BROKEN = Path(__file__).parent / "library_fixtures" / "broken"

# file (relative to BROKEN) -> (field, words the message must contain)
EXPECTED: dict[str, tuple[str | None, str]] = {
    "exercises/bad-yaml.yaml": (None, "invalid YAML on line"),
    "exercises/duplicate-key.yaml": (None, "duplicate key 'es'"),
    "exercises/missing-field.yaml": ("prompt", "missing required field"),
    "exercises/unknown-mode.yaml": ("mode", "unknown mode 'solo'"),
    "exercises/unknown-response.yaml": ("response", "unknown response 'essay'"),
    "exercises/unknown-visibility.yaml": ("visibility", "unknown visibility 'everyone'"),
    "exercises/unknown-category.yaml": ("category", "unknown category 'romance'"),
    "exercises/unknown-field.yaml": ("follow-up", "unknown field"),
    "exercises/bad-minutes.yaml": ("minutes", "whole number"),
    "exercises/template-syntax.yaml": ("prompt.en", "template syntax error"),
    "exercises/undefined-variable.yaml": ("prompt.es", "'nombre' is undefined"),
    "exercises/unsafe-template.yaml": ("prompt.en", "not allowed"),
    "exercises/invalid-html.yaml": ("prompt.en", "invalid Telegram HTML: unsupported tag <p>"),
    "exercises/too-long.yaml": ("prompt.en", "Telegram allows at most 4096"),
    "exercises/missing-translation.yaml": ("reminder.es", "missing translation"),
    "exercises/slug-mismatch.yaml": ("slug", "does not match the file name"),
    "exercises/a-slug-that-is-far-too-long-for-button-data.yaml": ("slug", "at most 40"),
    "exercises/duplicate-slug.yml": ("slug", "duplicate slug"),
    "exercises/markup-in-title.yaml": ("title.en", "plain text"),
    "exercises/shared-private.yaml": ("visibility", "shared"),
    "exercises/too-many-choices.yaml": ("choices", "2 to 5"),
    "sets/missing-exercise.yaml": (
        "schedule entry 2, exercise",
        "unknown exercise 'no-such-exercise'",
    ),
    "sets/uses-broken-exercise.yaml": ("schedule entry 1, exercise", "its file has problems"),
    "sets/bad-day.yaml": ("schedule entry 1, day", "between 1 and"),
    "sets/short-length.yaml": ("length_days", "schedule goes up to day 2"),
    "sets/set-missing-translation.yaml": ("description.es", "missing translation"),
    "sets/set-template-variable.yaml": ("description.en", "'recipient' is undefined"),
}


@pytest.fixture(scope="module")
def problems() -> list[LibraryProblem]:
    return validate_library(BROKEN, base=builtin_exercises_dir())


def _relative(problem: LibraryProblem) -> str:
    return problem.path.relative_to(BROKEN).as_posix()


def test_every_fixture_has_an_expectation() -> None:
    files = {
        path.relative_to(BROKEN).as_posix()
        for path in BROKEN.rglob("*")
        if path.suffix in (".yaml", ".yml")
    }
    # duplicate-slug.yaml itself is fine: its .yml twin is the broken one.
    assert files - {"exercises/duplicate-slug.yaml"} == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_problem_is_reported_with_file_and_field(problems: list[LibraryProblem], name: str) -> None:
    field, words = EXPECTED[name]
    found = [p for p in problems if _relative(p) == name]
    assert len(found) == 1, [str(p) for p in found]
    assert found[0].field == field
    assert words in found[0].message
    shown = str(found[0])
    assert name in shown
    assert words in shown
    if field:
        assert f": {field}: " in shown


def test_no_other_problems(problems: list[LibraryProblem]) -> None:
    assert sorted(_relative(p) for p in problems) == sorted(EXPECTED)


def test_without_base_sets_cannot_use_builtin_exercises() -> None:
    problems = validate_library(BROKEN)
    fields = {(_relative(p), p.field) for p in problems}
    assert ("sets/bad-day.yaml", "schedule entry 2, exercise") in fields


def test_missing_directory(tmp_path: Path) -> None:
    problems = validate_library(tmp_path / "nope")
    assert len(problems) == 1
    assert problems[0].message == "directory not found"


def test_directory_without_library_folders(tmp_path: Path) -> None:
    problems = validate_library(tmp_path)
    assert len(problems) == 1
    assert "no exercises/ or sets/ folder" in problems[0].message


def test_problem_string_format(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "exercises" / "exercises" / "gratitude-three-things.yaml"
    problem = LibraryProblem(path, "prompt.es", "missing translation")
    assert (
        str(problem)
        == "exercises/exercises/gratitude-three-things.yaml: prompt.es: missing translation"
    )
    assert str(LibraryProblem(path, None, "the file is empty")).endswith(
        "gratitude-three-things.yaml: the file is empty"
    )
