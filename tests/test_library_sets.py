"""ExerciseSet scheduling and frequency summaries."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.library import ExerciseSet, SetItem


def make_set(days: list[int], length: int | None = None, *, repeat: bool = False) -> ExerciseSet:
    items = [SetItem(day=day, exercise=f"ex-{day}") for day in days]
    return ExerciseSet(
        slug="test-set",
        title={"en": "Test", "es": "Prueba"},
        description={"en": "Test.", "es": "Prueba."},
        items=sorted(items),
        repeat=repeat,
        length_days=length if length is not None else max(days),
        origin=Path("test-set.yaml"),
    )


@pytest.mark.parametrize(
    ("days", "length", "repeat", "english", "spanish"),
    [
        (list(range(1, 8)), 7, False, "daily for 7 days", "todos los días durante 7 días"),
        (
            list(range(1, 15)),
            14,
            False,
            "daily for 2 weeks",
            "todos los días durante 2 semanas",
        ),
        (list(range(1, 11)), 10, False, "daily for 10 days", "todos los días durante 10 días"),
        ([1], 1, False, "daily for 1 day", "todos los días durante 1 día"),
        (
            [1, 3, 5, 8, 10, 12],
            14,
            False,
            "3 times a week for 2 weeks",
            "3 veces por semana durante 2 semanas",
        ),
        (
            [1, 4, 8, 11],
            14,
            False,
            "twice a week for 2 weeks",
            "dos veces por semana durante 2 semanas",
        ),
        (
            [1, 8, 15],
            21,
            False,
            "once a week for 3 weeks",
            "una vez por semana durante 3 semanas",
        ),
        ([1, 3, 5], 7, False, "3 times in 7 days", "3 veces en 7 días"),
        ([2], 7, False, "once in 7 days", "una vez en 7 días"),
        ([1, 2, 9], 14, False, "on 3 days over 14 days", "3 días en un periodo de 14 días"),
        ([1, 4], 10, False, "on 2 days over 10 days", "2 días en un periodo de 10 días"),
        (list(range(1, 8)), 7, True, "daily, ongoing", "todos los días, sin fecha de fin"),
        ([1], 7, True, "once a week, ongoing", "una vez por semana, sin fecha de fin"),
        ([1, 4], 7, True, "twice a week, ongoing", "dos veces por semana, sin fecha de fin"),
        ([1, 3, 5], 7, True, "3 times a week, ongoing", "3 veces por semana, sin fecha de fin"),
        (
            [1, 2, 3],
            10,
            True,
            "on 3 of every 10 days, ongoing",
            "3 de cada 10 días, sin fecha de fin",
        ),
    ],
)
def test_frequency_summary(
    days: list[int], length: int, repeat: bool, english: str, spanish: str
) -> None:
    exercise_set = make_set(days, length, repeat=repeat)
    assert exercise_set.frequency_summary("en") == english
    assert exercise_set.frequency_summary("es") == spanish
    assert exercise_set.frequency_summary("es-MX") == spanish
    # Other languages get English.
    assert exercise_set.frequency_summary("fr") == english


def test_several_items_on_one_day_count_once() -> None:
    exercise_set = ExerciseSet(
        slug="s",
        title={"en": "S"},
        description={"en": "S."},
        items=[SetItem(1, "a"), SetItem(1, "b")],
        repeat=True,
        length_days=7,
        origin=Path("s.yaml"),
    )
    assert exercise_set.frequency_summary("en") == "once a week, ongoing"
    assert [item.exercise for item in exercise_set.items_for_day(8)] == ["a", "b"]


def test_items_for_day_non_repeating() -> None:
    exercise_set = make_set([1, 3, 5], 7)
    assert exercise_set.items_for_day(0) == []
    assert exercise_set.items_for_day(-3) == []
    assert exercise_set.items_for_day(1) == [SetItem(1, "ex-1")]
    assert exercise_set.items_for_day(2) == []
    assert exercise_set.items_for_day(5) == [SetItem(5, "ex-5")]
    assert exercise_set.items_for_day(8) == []
    assert exercise_set.items_for_day(15) == []
    assert not exercise_set.is_finished(7)
    assert exercise_set.is_finished(8)


def test_items_for_day_repeating_wraps_around() -> None:
    exercise_set = make_set([1, 3, 7], 7, repeat=True)
    assert exercise_set.items_for_day(0) == []
    assert exercise_set.items_for_day(1) == [SetItem(1, "ex-1")]
    assert exercise_set.items_for_day(7) == [SetItem(7, "ex-7")]
    assert exercise_set.items_for_day(8) == [SetItem(1, "ex-1")]
    assert exercise_set.items_for_day(10) == [SetItem(3, "ex-3")]
    assert exercise_set.items_for_day(14) == [SetItem(7, "ex-7")]
    assert exercise_set.items_for_day(701) == exercise_set.items_for_day(1)
    assert not exercise_set.is_finished(10_000)
    assert exercise_set.cycle_day(15) == 1


def test_repeating_cycle_longer_than_schedule() -> None:
    exercise_set = make_set([1], 14, repeat=True)
    assert exercise_set.items_for_day(8) == []
    assert exercise_set.items_for_day(15) == [SetItem(1, "ex-1")]


def test_exercise_slugs_are_distinct_in_order() -> None:
    exercise_set = ExerciseSet(
        slug="s",
        title={"en": "S"},
        description={"en": "S."},
        items=[SetItem(1, "b"), SetItem(2, "a"), SetItem(3, "b")],
        repeat=False,
        length_days=3,
        origin=Path("s.yaml"),
    )
    assert exercise_set.exercise_slugs == ["b", "a"]
