"""Button callback data: each family packs and parses in one place, and refuses the rest."""

from __future__ import annotations

import pytest

from bot.delivery.buttons import ExerciseButton, RatingButton
from bot.services.completion import Action


@pytest.mark.parametrize(
    "button",
    [ExerciseButton(action=a) for a in Action] + [ExerciseButton(value=v) for v in (0, 3, 5)],
)
def test_exercise_buttons_round_trip(button: ExerciseButton) -> None:
    assert ExerciseButton.parse(button.pack()) == button


@pytest.mark.parametrize(
    "data",
    [None, "", "dl", "dl:", "dl:vx", "dl:v123", "dl:explode", "rt:3", "xdl:done", "dl:done:1"],
)
def test_anything_else_is_not_an_exercise_button(data: str | None) -> None:
    assert ExerciseButton.parse(data) is None


def test_ratings_are_one_to_five() -> None:
    assert [RatingButton.parse(RatingButton(n).pack()) for n in range(1, 6)] == [
        RatingButton(n) for n in range(1, 6)
    ]
    for data in ("rt:0", "rt:6", "rt:-1", "rt:", "rt:٣", "dl:v3", None):
        assert RatingButton.parse(data) is None
