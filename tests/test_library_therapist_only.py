"""Therapist-only exercises and sets: marked in /library and `list`, never offered to partners."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.context import TwofoldApp
from bot.library import load_library
from bot.library.validate import check_path
from tests import flows
from tests.fakebotapi import FakeTelegram
from tests.test_library_cli import run
from tests.test_library_loader import write_exercise, write_set

REPO = Path(__file__).resolve().parents[1]
# Handlers that only therapists reach (each checks Role.THERAPIST before listing).
THERAPIST_HANDLERS = {"library.py", "assign.py", "assign_result.py"}


@pytest.fixture
def operator_dir(tmp_path: Path) -> Path:
    write_exercise(tmp_path, "trust-repair-step", "Trust repair step")
    path = tmp_path / "exercises" / "trust-repair-step.yaml"
    path.write_text(path.read_text("utf-8") + "therapist_only: true\n", "utf-8")
    write_exercise(tmp_path, "open-step", "Open step")
    write_set(tmp_path, "uses-therapist-only", ["open-step", "trust-repair-step"])
    write_set(tmp_path, "everyday", ["open-step"])
    return tmp_path


def test_a_set_with_a_therapist_only_exercise_is_therapist_only(operator_dir: Path) -> None:
    library = load_library(operator_dir).library
    assert library.exercises["trust-repair-step"].therapist_only
    assert not library.sets["uses-therapist-only"].therapist_only
    assert library.set_is_therapist_only("uses-therapist-only")
    assert not library.set_is_therapist_only("everyday")
    assert not library.set_is_therapist_only("no-such-set")
    # validate says so, as a warning (the set still loads).
    report = check_path(operator_dir)
    assert report.problems == []
    [warning] = [w for w in report.warnings if w.path.stem == "uses-therapist-only"]
    assert "therapist_only: true" in warning.message


def test_suggestable_lists_never_hold_therapist_only_items(operator_dir: Path) -> None:
    library = load_library(operator_dir).library
    sets = [s.slug for s in library.suggestable_sets()]
    exercises = [e.slug for e in library.suggestable_exercises()]
    assert "everyday" in sets and "uses-therapist-only" not in sets
    assert "open-step" in exercises and "trust-repair-step" not in exercises
    for exercise_set in library.suggestable_sets():
        assert not exercise_set.therapist_only
        assert not any(e.therapist_only for e in library.exercises_in_set(exercise_set.slug))
    assert all(not e.therapist_only for e in library.suggestable_exercises())


def test_builtin_therapist_only_items_are_never_suggestable() -> None:
    library = load_library().library
    flagged = {slug for slug in library.sets if library.set_is_therapist_only(slug)}
    assert flagged.isdisjoint(s.slug for s in library.suggestable_sets())


def test_partner_facing_handlers_never_list_the_whole_library() -> None:
    """Only therapist handlers walk library.sets / library.exercises; others use suggestable_*."""
    offenders = []
    for path in sorted((REPO / "bot" / "handlers").glob("*.py")):
        if path.name in THERAPIST_HANDLERS:
            continue
        text = path.read_text("utf-8")
        if re.search(r"library\.(sets|exercises)\b(?!_)", text):
            offenders.append(path.name)
    assert offenders == []


def test_list_marks_therapist_only(
    operator_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("EXERCISES_DIR", raising=False)
    code, out, _ = run(["exercises", "list", "--dir", str(operator_dir)], capsys)
    assert code == 0
    lines = out.splitlines()
    row = next(line for line in lines if line.startswith("trust-repair-step "))
    assert row.endswith("therapist only")
    assert next(line for line in lines if line.startswith("uses-therapist-only ")).endswith(
        "therapist only"
    )
    assert "therapist only" not in next(line for line in lines if line.startswith("open-step "))
    assert "therapist only" not in next(line for line in lines if line.startswith("everyday "))
    _, spanish, _ = run(["exercises", "list", "--dir", str(operator_dir), "--lang", "es"], capsys)
    assert "solo terapeuta" in spanish


async def test_library_marks_therapist_only_sets(tg: FakeTelegram, bot: TwofoldApp) -> None:
    library = flows.services(bot).library
    flagged = [s for s in library.sets.values() if library.set_is_therapist_only(s.slug)]
    if not flagged:
        pytest.skip("the built-in library has no therapist-only set")
    await flows.grant_therapist(bot, 2001, "Dr. Ruiz")
    marta = tg.user(2001, "Marta")
    await marta.send("/library")
    menu = await marta.wait_for(r"Exercise sets")
    labels = {label for row in menu.buttons for label, _ in row}
    for exercise_set in library.sets.values():
        tagged = f"{exercise_set.title_in('en')} · therapist only"
        if library.set_is_therapist_only(exercise_set.slug):
            assert tagged in labels
        else:
            assert exercise_set.title_in("en") in labels
    await marta.press(menu, f"{flagged[0].title_in('en')} · therapist only")
    opened = await marta.wait_for(re.escape(flagged[0].title_in("en")), edited=True)
    assert "Therapist only: never suggested to partners." in opened.text
