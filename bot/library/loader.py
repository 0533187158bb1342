"""Loading the library: the built-in files, with the operator's directory merged on top."""

from __future__ import annotations

from pathlib import Path

from bot.library.directory_scan import ScanResult, library_files, scan_directory
from bot.library.file_checker import (
    EXERCISE_FIELDS,
    MAX_CHOICE_LABEL_LENGTH,
    MAX_CHOICES,
    MAX_TITLE_LENGTH,
    SET_FIELDS,
)
from bot.library.models import Library, LibraryError, LibraryProblem, LoadResult

# builtin_exercises_dir is looked up here at call time (tests replace it on this module).
from bot.library.paths import builtin_exercises_dir

__all__ = [
    "EXERCISE_FIELDS",
    "MAX_CHOICES",
    "MAX_CHOICE_LABEL_LENGTH",
    "MAX_TITLE_LENGTH",
    "SET_FIELDS",
    "ScanResult",
    "library_files",
    "load_library",
    "scan_directory",
]


def load_library(extra_dir: Path | None = None, *, builtin_dir: Path | None = None) -> LoadResult:
    """Load the built-in library, then the operator's ``extra_dir`` on top of it.

    A problem in a built-in file raises :class:`LibraryError` listing every
    problem. Problems in operator files are returned as ``warnings`` and those
    files are skipped; operator exercises and sets override built-in ones with
    the same slug, and the operator's ``categories.yaml`` adds categories.
    """
    base_dir = builtin_dir if builtin_dir is not None else builtin_exercises_dir()
    base = scan_directory(base_dir, builtin=True)
    if base.problems:
        raise LibraryError(base.problems)
    if not base.exercises:
        raise LibraryError([LibraryProblem(base_dir, None, "no exercises found")])

    exercises = dict(base.exercises)
    sets = dict(base.sets)
    categories = base.categories
    warnings: list[LibraryProblem] = []
    if extra_dir is not None:
        extra = scan_directory(
            extra_dir, builtin=False, known=base.exercises, known_categories=base.categories
        )
        warnings = extra.problems
        exercises.update(extra.exercises)
        sets.update(extra.sets)
        if extra.categories:
            categories = extra.categories
    library = Library(
        exercises=dict(sorted(exercises.items())),
        sets=dict(sorted(sets.items())),
        categories=categories,
    )
    return LoadResult(library=library, warnings=warnings)
