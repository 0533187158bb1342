"""docs/exercises.md: the generated catalogue matches the library; the walk-through works."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.library import builtin_exercises_dir, load_library
from bot.library.catalogue import REGENERATE, catalogue_blocks, read_blocks, replace_blocks
from bot.library.validate import check_path
from tests.test_library_cli import run

DOCS = Path(__file__).resolve().parents[1] / "docs" / "exercises.md"


@pytest.fixture(autouse=True)
def no_operator_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EXERCISES_DIR", raising=False)


def test_docs_catalogue_matches_the_library() -> None:
    expected = catalogue_blocks(load_library().library)
    found = read_blocks(DOCS.read_text(encoding="utf-8"))
    assert set(found) == set(expected), "missing <!-- name:start/end --> markers"
    for name, text in expected.items():
        assert found[name] == text, f"docs/exercises.md ({name}) is out of date; run: {REGENERATE}"


def test_catalogue_rows() -> None:
    library = load_library().library
    table = catalogue_blocks(library)["catalogue"]
    for exercise in library.exercises.values():
        [row] = [line for line in table.splitlines() if line.startswith(f"| `{exercise.slug}`")]
        cells = [cell.strip() for cell in row.strip("|").split(" | ")]
        assert cells[3] == exercise.mode
        assert cells[4] == exercise.visibility
        assert cells[5] == str(exercise.minutes)
        assert ("(therapist only)" in cells[0]) == exercise.therapist_only
    for slug in library.sets:
        assert f"| `{slug}` |" in table
    assert f"{len(library.exercises)} exercises" in table


def test_cell_text_cannot_break_the_table(tmp_path: Path) -> None:
    from tests.test_library_loader import write_exercise

    write_exercise(tmp_path, "piped", **{"source: Test fixture": "source: A | B\n  and more"})
    library = load_library(tmp_path).library
    [row] = [
        line
        for line in catalogue_blocks(library)["catalogue"].splitlines()
        if line.startswith("| `piped`")
    ]
    assert row.endswith("| A \\| B and more |")


def test_catalogue_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["exercises", "catalogue"], capsys)
    assert code == 0
    assert "| slug | title | category | mode | visibility | minutes | who sees it | source |" in out

    document = tmp_path / "doc.md"
    document.write_text(
        "intro\n<!-- example:start -->\nold\n<!-- example:end -->\n"
        "<!-- categories:start -->\n<!-- categories:end -->\n"
        "<!-- catalogue:start -->\nold\n<!-- catalogue:end -->\nend\n",
        encoding="utf-8",
    )
    code, _, err = run(["exercises", "catalogue", "--check", str(document)], capsys)
    assert code == 1 and REGENERATE in err
    code, out, _ = run(["exercises", "catalogue", "--write", str(document)], capsys)
    assert code == 0 and "wrote" in out
    text = document.read_text(encoding="utf-8")
    assert text.startswith("intro\n") and text.endswith("<!-- catalogue:end -->\nend\n")
    assert "| `gratitude-three-things` |" in text
    code, out, _ = run(["exercises", "catalogue", "--check", str(document)], capsys)
    assert code == 0 and "up to date" in out
    # Writing twice changes nothing.
    assert replace_blocks(text, catalogue_blocks(load_library().library)) == text


def test_catalogue_without_markers_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = tmp_path / "doc.md"
    document.write_text("no markers\n", encoding="utf-8")
    code, _, err = run(["exercises", "catalogue", "--write", str(document)], capsys)
    assert code == 1 and "markers" in err
    assert document.read_text(encoding="utf-8") == "no markers\n"


def test_walkthrough_examples_validate_cleanly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The "Write your first exercise" files work as printed: no problems, no warnings."""
    docs = DOCS.read_text(encoding="utf-8")
    blocks = re.findall(r"```yaml\n(# my-exercises/(\S+)\n.*?)```", docs, flags=re.S)
    names = {name for _, name in blocks}
    assert {"exercises/kind-words.yaml", "sets/kind-week.yaml", "categories.yaml"} <= names
    for text, name in blocks:
        path = tmp_path / "my-exercises" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    report = check_path(tmp_path / "my-exercises", base=builtin_exercises_dir())
    assert report.problems == [] and report.warnings == []
    assert (report.exercises, report.sets) == (1, 1)
    exercise = tmp_path / "my-exercises" / "exercises" / "kind-words.yaml"
    code, out, _ = run(["exercises", "preview", str(exercise), "--lang", "es"], capsys)
    assert code == 0 and "Palabras amables hoy" in out
