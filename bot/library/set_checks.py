"""Checking an exercise-set file and its schedule against the known exercises."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bot.library.file_checker import (
    HOSTILE_NAME,
    MAX_SET_DAYS,
    MAX_TITLE_LENGTH,
    SET_FIELDS,
    FileChecker,
    did_you_mean,
)
from bot.library.models import Exercise, ExerciseSet, LibraryProblem, SetItem
from bot.library.render import SET_TEMPLATE_VARIABLES
from bot.library.yaml_files import read_yaml

__all__ = ["check_set", "load_set_file"]


def check_set(
    path: Path,
    data: dict[str, Any],
    *,
    builtin: bool,
    known: Mapping[str, Exercise],
    broken: frozenset[str],
) -> tuple[ExerciseSet | None, list[LibraryProblem], list[LibraryProblem]]:
    """Check a set's fields; its schedule may use the exercises in ``known``."""
    check = FileChecker(path)
    check.unknown_fields(data, SET_FIELDS)
    check.require(data, SET_FIELDS)
    slug = check.slug(data)
    title = check.localised_map("title", data.get("title"), plain=True, max_length=MAX_TITLE_LENGTH)
    description = check.localised_map("description", data.get("description"))

    repeat = data.get("repeat", False)
    if not isinstance(repeat, bool):
        check.add("repeat", f"must be true or false, got {repeat!r}")
        repeat = False
    therapist_only = data.get("therapist_only", False)
    if not isinstance(therapist_only, bool):
        check.add("therapist_only", f"must be true or false, got {therapist_only!r}")

    items: list[SetItem] = []
    schedule = data.get("schedule")
    if schedule is not None:
        if not isinstance(schedule, list) or not schedule:
            check.add("schedule", "must be a non-empty list of {day: …, exercise: …} entries")
        else:
            items = check_schedule(check, schedule, known, broken)

    last_day = max((item.day for item in items), default=0)
    length_days = last_day
    if data.get("length_days") is not None:
        length = check.integer("length_days", data["length_days"], 1, MAX_SET_DAYS)
        if length is not None:
            if length < last_day:
                check.add("length_days", f"is {length} but the schedule goes up to day {last_day}")
            length_days = length

    languages = check.translations()
    check.spanish("title", data.get("title"))
    check.spanish("description", data.get("description"))
    if therapist_only is not True:
        for slug_ in dict.fromkeys(item.exercise for item in items):
            if known[slug_].therapist_only:
                check.warn(
                    "therapist_only",
                    f"the set uses the therapist-only exercise {slug_!r}, so it is treated as "
                    "therapist-only too; add therapist_only: true to say so",
                )
    contexts: dict[str, list[dict[str, object]]] = {
        lang: [
            {"therapist": "Dr. Rivera", "lang": lang},
            {"therapist": HOSTILE_NAME, "lang": lang},
            {"therapist": "𝓒" * 64, "lang": lang},
        ]
        for lang in languages
    }
    check.template("description", description, SET_TEMPLATE_VARIABLES, contexts)

    if check.problems or slug is None or title is None or description is None or not items:
        problems = check.problems or [LibraryProblem(path, None, "could not be read")]
        return None, problems, check.warnings
    return (
        ExerciseSet(
            slug=slug,
            title=title,
            description=description,
            items=sorted(items),
            repeat=repeat,
            length_days=length_days,
            origin=path,
            builtin=builtin,
            therapist_only=therapist_only is True,
        ),
        [],
        check.warnings,
    )


def check_schedule(
    check: FileChecker,
    schedule: list[Any],
    known: Mapping[str, Exercise],
    broken: frozenset[str],
) -> list[SetItem]:
    items: list[SetItem] = []
    seen: set[SetItem] = set()
    for index, entry in enumerate(schedule):
        # Counted from 1, like the entries a person sees in the file.
        where = f"schedule entry {index + 1}"
        if not isinstance(entry, dict):
            check.add(where, "must be a mapping like {day: 1, exercise: some-slug}")
            continue
        for key in entry:
            if key not in ("day", "days", "exercise"):
                hint = did_you_mean(key, ("day", "days", "exercise"))
                check.add(
                    f"{where}, {key}", f"unknown field{hint} (expected day or days, and exercise)"
                )
        exercise = entry.get("exercise")
        if exercise is None:
            check.add(f"{where}, exercise", "missing required field")
        elif not isinstance(exercise, str) or exercise not in known:
            if isinstance(exercise, str) and exercise in broken:
                hint = " (its file has problems, see above)"
            else:
                hint = did_you_mean(exercise, known)
            check.add(f"{where}, exercise", f"unknown exercise {exercise!r}{hint}")
            exercise = None

        days: list[int] = []
        if ("day" in entry) == ("days" in entry):
            check.add(f"{where}, day", "give either day: N or days: [N, M, …]")
        elif "day" in entry:
            day = check.integer(f"{where}, day", entry["day"], 1, MAX_SET_DAYS)
            days = [day] if day is not None else []
        elif not isinstance(entry["days"], list) or not entry["days"]:
            check.add(f"{where}, days", "must be a non-empty list of day numbers")
        else:
            for position, raw_day in enumerate(entry["days"]):
                day = check.integer(
                    f"{where}, days (number {position + 1})", raw_day, 1, MAX_SET_DAYS
                )
                if day is not None:
                    days.append(day)
        if exercise is None:
            continue
        for day in days:
            item = SetItem(day=day, exercise=exercise)
            if item in seen:
                check.add(where, f"{exercise!r} is already scheduled on day {day}")
                continue
            seen.add(item)
            items.append(item)
    return items


def load_set_file(
    path: Path, *, builtin: bool, known: Mapping[str, Exercise], broken: frozenset[str]
) -> tuple[ExerciseSet | None, list[LibraryProblem], list[LibraryProblem]]:
    """Read and check one set file (every problem, even after a YAML error)."""
    problems: list[LibraryProblem] = []
    warnings: list[LibraryProblem] = []
    data = read_yaml(path, problems)
    exercise_set = None
    if data is not None:
        exercise_set, more, warnings = check_set(
            path, data, builtin=builtin, known=known, broken=broken
        )
        problems += more
    return (None if problems else exercise_set), problems, warnings
