"""Validating a library folder or a single file (``twofold exercises validate``, start-up)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from bot.library.categories import CATEGORIES_FILE, read_categories
from bot.library.directory_scan import ScanResult, folder_categories, scan_directory
from bot.library.exercise_checks import load_exercise_file
from bot.library.models import Exercise, LibraryProblem
from bot.library.paths import EXERCISES_SUBDIR, SETS_SUBDIR
from bot.library.set_checks import load_set_file
from bot.library.yaml_files import read_yaml

__all__ = ["ValidationReport", "check_path", "validate_library"]


@dataclass
class ValidationReport:
    """Every problem (the file won't load) and warning (it will) under one path."""

    path: Path
    problems: list[LibraryProblem] = field(default_factory=list)
    warnings: list[LibraryProblem] = field(default_factory=list)
    exercises: int = 0
    sets: int = 0


def validate_library(path: Path, *, base: Path | None = None) -> list[LibraryProblem]:
    """Check every file of the library directory ``path``; return all problems ([] if fine).

    ``base`` is a library whose exercises the sets in ``path`` may use as well
    (pass the built-in directory when checking an operator's ``EXERCISES_DIR``).
    Problems in ``base`` itself are not reported. ``path`` may also be one file.
    """
    return check_path(path, base=base).problems


def check_path(path: Path, *, base: Path | None = None) -> ValidationReport:
    """Check a library folder, a folder of exercise or set files, or one file."""
    report = ValidationReport(path)
    inherited = ScanResult()
    if base is not None and base.resolve() != path.resolve():
        inherited = scan_directory(base, builtin=True)
    files = [path] if path.is_file() else _loose_files(path)
    if files:
        for file in files:
            _check_file(file, inherited, report)
        # A folder's categories.yaml is read once per file: report its problems once.
        report.problems = list(dict.fromkeys(report.problems))
        return report
    scan = scan_directory(
        path,
        builtin=base is None,
        known=inherited.exercises,
        known_categories=inherited.categories or None,
    )
    report.problems += scan.problems
    report.warnings += scan.warnings
    report.exercises, report.sets = len(scan.exercises), len(scan.sets)
    return report


def _loose_files(path: Path) -> list[Path]:
    """The YAML files of ``path`` itself when it is an ``exercises/`` or ``sets/`` folder."""
    if not path.is_dir() or path.name not in (EXERCISES_SUBDIR, SETS_SUBDIR):
        return []
    if (path / EXERCISES_SUBDIR).is_dir() or (path / SETS_SUBDIR).is_dir():
        return []
    return sorted(
        p for p in path.iterdir() if p.suffix in (".yaml", ".yml") and not p.name.startswith(".")
    )


def _check_file(path: Path, inherited: ScanResult, report: ValidationReport) -> None:
    """Check one file, with the rest of its library folder (if any) as context."""
    folder = path.parent
    root = folder.parent if folder.name in (EXERCISES_SUBDIR, SETS_SUBDIR) else None
    if path.name == CATEGORIES_FILE:
        report.problems += read_categories(path)[1]
        return
    kind = folder.name if root is not None else None
    if kind is None:
        probe: list[LibraryProblem] = []
        data = read_yaml(path, probe)
        kind = SETS_SUBDIR if isinstance(data, dict) and "schedule" in data else EXERCISES_SUBDIR
    categories = folder_categories(
        root if root is not None else folder, inherited.categories or None, report.problems
    )
    if kind == EXERCISES_SUBDIR:
        exercise, problems, warnings = load_exercise_file(
            path, builtin=False, categories=categories
        )
        report.exercises += exercise is not None
    else:
        known: dict[str, Exercise] = dict(inherited.exercises)
        broken: frozenset[str] = frozenset()
        if root is not None and (root / EXERCISES_SUBDIR).is_dir():
            siblings = scan_directory(root, builtin=False, known_categories=categories)
            known.update(siblings.exercises)
            loaded = set(siblings.exercises)
            names = {p.stem for p in (root / EXERCISES_SUBDIR).iterdir()}
            broken = frozenset(names - loaded)
        exercise_set, problems, warnings = load_set_file(
            path, builtin=False, known=known, broken=broken
        )
        report.sets += exercise_set is not None
    report.problems += problems
    report.warnings += warnings
