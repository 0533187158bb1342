"""The `letter` response: only for one partner writing to the other (issue 16)."""

from __future__ import annotations

from pathlib import Path

from bot.library import load_library
from bot.library.validate import check_path
from tests.test_library_authoring import exercise_text, write


def problems_of(tmp_path: Path, **replace: str) -> list[str]:
    path = write(tmp_path, "exercises/a-letter.yaml", exercise_text("a-letter", **replace))
    return [str(problem) for problem in check_path(path).problems]


def test_a_letter_is_individual_and_for_the_partner(tmp_path: Path) -> None:
    good = {"response: text": "response: letter", "visibility: private": "visibility: partner"}
    assert problems_of(tmp_path, **good) == []
    for wrong in (
        {"response: text": "response: letter"},  # visibility: private
        {**good, "mode: individual": "mode: shared"},
    ):
        found = problems_of(tmp_path, **wrong)
        assert any("a letter is written by one partner" in p for p in found), found


def test_the_builtin_thank_you_note_is_a_letter() -> None:
    library = load_library().library
    note = library.exercise("thank-you-note")
    assert note is not None
    assert (note.mode, note.response, note.visibility) == ("individual", "letter", "partner")
