"""Scanning one library directory: every exercise and set file, checked, duplicates refused."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bot.library.categories import CATEGORIES, CATEGORIES_FILE, Categories, read_categories
from bot.library.exercise_checks import load_exercise_file
from bot.library.models import Exercise, ExerciseSet, LibraryError, LibraryProblem
from bot.library.paths import EXERCISES_SUBDIR, SETS_SUBDIR
from bot.library.set_checks import load_set_file

__all__ = ["ScanResult", "folder_categories", "library_files", "scan_directory"]


def library_files(directory: Path, subdir: str) -> list[Path]:
    """The YAML files of ``directory/subdir`` (hidden files ignored), sorted."""
    folder = directory / subdir
    if not folder.is_dir():
        return []
    return sorted(
        path
        for path in folder.iterdir()
        if path.suffix in (".yaml", ".yml") and not path.name.startswith(".") and path.is_file()
    )


@dataclass
class ScanResult:
    """Everything found in one library directory."""

    exercises: dict[str, Exercise] = field(default_factory=dict)
    sets: dict[str, ExerciseSet] = field(default_factory=dict)
    problems: list[LibraryProblem] = field(default_factory=list)
    #: Worth a look, but the files load (e.g. gendered Spanish).
    warnings: list[LibraryProblem] = field(default_factory=list)
    #: The vocabulary the exercises were checked against (inherited plus this folder's).
    categories: dict[str, dict[str, str]] = field(default_factory=dict)


def folder_categories(
    directory: Path, inherited: Categories | None, problems: list[LibraryProblem]
) -> dict[str, dict[str, str]]:
    """``inherited`` (the built-in vocabulary by default) plus ``directory/categories.yaml``."""
    base: Categories = {}
    try:
        # Reads the built-in categories.yaml on first use.
        base = dict(CATEGORIES if inherited is None else inherited)
    except LibraryError as exc:
        problems.extend(exc.problems)
    own, own_problems = read_categories(directory / CATEGORIES_FILE)
    problems.extend(own_problems)
    merged = {slug: dict(labels) for slug, labels in base.items()}
    merged.update(own)
    return merged


def scan_directory(
    directory: Path,
    *,
    builtin: bool,
    known: Mapping[str, Exercise] | None = None,
    known_categories: Categories | None = None,
) -> ScanResult:
    """Read and check every file of a library directory.

    Files with problems are left out of the result and their problems listed.
    Sets may also use the exercises in ``known`` (the built-in library when
    scanning an operator directory); exercises may use the categories in
    ``known_categories`` (the built-in ones by default) and the folder's own.
    """
    result = ScanResult()
    if not directory.is_dir():
        result.problems.append(LibraryProblem(directory, None, "directory not found"))
        return result
    if not (directory / EXERCISES_SUBDIR).is_dir() and not (directory / SETS_SUBDIR).is_dir():
        result.problems.append(
            LibraryProblem(
                directory,
                None,
                f"no {EXERCISES_SUBDIR}/ or {SETS_SUBDIR}/ folder in this directory "
                f"(put exercise files in {EXERCISES_SUBDIR}/ and set files in {SETS_SUBDIR}/)",
            )
        )
        return result
    vocabulary_problems: list[LibraryProblem] = []
    result.categories = folder_categories(directory, known_categories, vocabulary_problems)
    result.problems += list(dict.fromkeys(vocabulary_problems))
    # A broken categories.yaml is reported once, not as every exercise's unknown category.
    categories = None if vocabulary_problems else result.categories

    origins: dict[str, Path] = {}
    broken: set[str] = set()
    for path in library_files(directory, EXERCISES_SUBDIR):
        exercise, problems, warnings = load_exercise_file(
            path, builtin=builtin, categories=categories
        )
        result.warnings.extend(warnings)
        if exercise is not None and exercise.slug in origins:
            problems = [
                LibraryProblem(
                    path, "slug", f"duplicate slug: also defined in {origins[exercise.slug].name}"
                )
            ]
            exercise = None
        if exercise is None:
            result.problems.extend(problems)
            broken.add(path.stem)
            continue
        origins[exercise.slug] = path
        result.exercises[exercise.slug] = exercise

    available = {**(known or {}), **result.exercises}
    set_origins: dict[str, Path] = {}
    for path in library_files(directory, SETS_SUBDIR):
        exercise_set, problems, warnings = load_set_file(
            path, builtin=builtin, known=available, broken=frozenset(broken)
        )
        result.warnings.extend(warnings)
        if exercise_set is not None and exercise_set.slug in set_origins:
            problems = [
                LibraryProblem(
                    path,
                    "slug",
                    f"duplicate slug: also defined in {set_origins[exercise_set.slug].name}",
                )
            ]
            exercise_set = None
        if exercise_set is None:
            result.problems.extend(problems)
            continue
        set_origins[exercise_set.slug] = path
        result.sets[exercise_set.slug] = exercise_set
    return result
