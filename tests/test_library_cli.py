"""`twofold exercises list | preview | validate` through bot.cli.exercises.register."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from bot.cli.exercises import register
from bot.library import builtin_exercises_dir

BROKEN = Path(__file__).parent / "library_fixtures" / "broken"

OPERATOR_EXERCISE = """\
slug: operator-hello
title: {en: Operator hello, es: Hola del operador}
category: connection
minutes: 2
mode: individual
response: done
visibility: private
source: Our practice
rationale: {en: Because., es: Porque.}
prompt:
  en: |
    Hello {{ recipient }} from the operator.
  es: |
    Hola {{ recipient }} desde el operador.
reminder: {en: Reminder., es: Recordatorio.}
"""


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser(prog="twofold")
    subparsers = parser.add_subparsers(dest="command", required=True)
    register(subparsers)
    args = parser.parse_args(argv)
    code = args.func(args)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(autouse=True)
def no_operator_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EXERCISES_DIR", raising=False)


@pytest.fixture
def operator_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "exercises").mkdir()
    (tmp_path / "exercises" / "operator-hello.yaml").write_text(OPERATOR_EXERCISE, "utf-8")
    monkeypatch.setenv("EXERCISES_DIR", str(tmp_path))
    return tmp_path


def test_list(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["exercises", "list"], capsys)
    assert code == 0
    assert err == ""
    lines = out.splitlines()
    header = lines[1]
    assert header.split() == ["slug", "title", "mode", "response", "languages"]
    row = next(line for line in lines if line.startswith("gratitude-three-things "))
    assert row.split()[-3:] == ["individual", "text", "en,es"]
    # Aligned columns: every cell starts where its header starts.
    for column in ("title", "mode", "response", "languages"):
        start = header.index(column)
        assert row[start - 2 : start] == "  "
        assert row[start] != " "
    assert "Three good things" in row
    assert "speaker-listener" in out
    assert "Sets (" in out
    assert "daily-connection" in out
    assert ", ongoing" in out


def test_list_in_spanish(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["exercises", "list", "--lang", "es"], capsys)
    assert code == 0
    assert "Tres cosas buenas" in out
    assert ", sin fecha de fin" in out


def test_list_includes_operator_dir(operator_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["exercises", "list"], capsys)
    assert code == 0
    assert "operator-hello" in out
    assert err == ""


def test_list_reports_broken_operator_files(
    operator_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (operator_dir / "exercises" / "broken.yaml").write_text("slug: [", "utf-8")
    code, out, err = run(["exercises", "list"], capsys)
    assert code == 0
    assert "operator-hello" in out
    assert "broken.yaml" in err
    assert "invalid YAML" in err


def test_preview(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(
        [
            "exercises",
            "preview",
            "gratitude-three-things",
            "--lang",
            "es",
            "--as-partner",
            "Ana",
            "--partner",
            "<b>Ben</b>",
            "--date",
            "2026-11-25",
        ],
        capsys,
    )
    assert code == 0
    assert err == ""
    assert "Hola, Ana." in out
    assert "Tres cosas buenas" in out
    # Plain text by default: names exactly as given, no markup.
    assert "la vida con <b>Ben</b>" in out
    assert "<b>tres cosas buenas</b>" not in out
    assert "miércoles" in out


def test_preview_html(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        ["exercises", "preview", "gratitude-three-things", "--html", "--partner", "A&B"], capsys
    )
    assert code == 0
    assert "<b>three good things</b>" in out
    assert "A&amp;B" in out


def test_preview_choices_and_fallback_language(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["exercises", "preview", "notice-the-bids", "--lang", "fr"], capsys)
    assert code == 0
    assert "[ I mostly turned toward them ]" in out
    assert "showing 'en'" in err


def test_preview_day(capsys: pytest.CaptureFixture[str]) -> None:
    _, day_one, _ = run(["exercises", "preview", "open-ended-question"], capsys)
    _, day_two, _ = run(["exercises", "preview", "open-ended-question", "--day", "2"], capsys)
    assert day_one != day_two


def test_preview_set(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["exercises", "preview", "listening-two-weeks"], capsys)
    assert code == 0
    assert "3 times a week for 2 weeks" in out
    assert "day  12  stress-reducing-conversation" in out


def test_preview_operator_exercise(operator_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["exercises", "preview", "operator-hello", "--as-partner", "Zoe"], capsys)
    assert code == 0
    assert "Hello Zoe from the operator." in out


def test_preview_unknown_slug(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["exercises", "preview", "no-such-exercise"], capsys)
    assert code == 1
    assert out == ""
    assert "unknown exercise or set: 'no-such-exercise'" in err


def test_preview_rejects_bad_arguments(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as excinfo:
        run(["exercises", "preview", "speaker-listener", "--day", "0"], capsys)
    assert excinfo.value.code == 2
    with pytest.raises(SystemExit):
        run(["exercises", "preview", "speaker-listener", "--date", "tomorrow"], capsys)


def test_validate_builtin(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["exercises", "validate"], capsys)
    assert code == 0
    assert err == ""
    builtin = builtin_exercises_dir()
    exercises = len(list((builtin / "exercises").glob("*.yaml")))
    sets = len(list((builtin / "sets").glob("*.yaml")))
    assert out == f"OK: {builtin}: {exercises} exercises, {sets} sets\n"


def test_validate_broken_dir(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["exercises", "validate", str(BROKEN)], capsys)
    assert code == 1
    assert out == ""
    lines = err.splitlines()
    assert "exercises/unknown-mode.yaml: mode: unknown mode 'solo'" in err
    assert "sets/missing-exercise.yaml: schedule entry 2, exercise: unknown exercise" in err
    assert "reminder.es: missing translation" in err
    assert lines[-1].endswith("27 problems found")
    # One line per problem, plus the summary.
    assert len(lines) == 28


def test_validate_good_operator_dir(operator_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["exercises", "validate", str(operator_dir)], capsys)
    assert code == 0
    assert f"OK: {operator_dir}: 1 exercise, 0 sets" in out


def test_validate_without_dir_checks_exercises_dir(
    operator_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (operator_dir / "exercises" / "broken.yaml").write_text("slug: [", "utf-8")
    code, out, err = run(["exercises", "validate"], capsys)
    assert code == 1
    assert out.startswith("OK: ")  # the built-in library is fine
    assert "broken.yaml" in err


def test_validate_missing_dir(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["exercises", "validate", str(tmp_path / "nope")], capsys)
    assert code == 1
    assert "directory not found" in err
