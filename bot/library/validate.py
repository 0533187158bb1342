"""Validating a library directory (used by ``twofold exercises validate`` and at start-up)."""

from __future__ import annotations

from pathlib import Path

from bot.library.loader import scan_directory
from bot.library.models import Exercise, LibraryProblem

__all__ = ["validate_library"]


def validate_library(path: Path, *, base: Path | None = None) -> list[LibraryProblem]:
    """Check every file of the library directory ``path``; return all problems ([] if fine).

    ``base`` is a library whose exercises the sets in ``path`` may use as well
    (pass the built-in directory when checking an operator's ``EXERCISES_DIR``).
    Problems in ``base`` itself are not reported.
    """
    known: dict[str, Exercise] = {}
    if base is not None and base.resolve() != path.resolve():
        known = scan_directory(base, builtin=True).exercises
    return scan_directory(path, builtin=base is None, known=known).problems
