"""What `twofold exercises list | preview | validate` print, and their exit codes."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from bot.library import (
    ExerciseSet,
    Library,
    LibraryError,
    LibraryProblem,
    builtin_exercises_dir,
    category_label,
    load_library,
    render_exercise,
    render_set,
    strip_telegram_html,
)
from bot.library.file_checker import did_you_mean
from bot.library.validate import check_path

__all__ = ["list_library", "preview", "validate"]

_DEFAULT_THERAPIST = {"en": "your therapist", "es": "tu terapeuta"}


# --------------------------------------------------------------------------- helpers


def _print_problems(problems: Sequence[LibraryProblem], err: TextIO, prefix: str = "") -> None:
    for problem in problems:
        print(f"{prefix}{problem}", file=err)


def _load(
    extra_dir: Path | None, err: TextIO, skipped: list[LibraryProblem] | None = None
) -> Library | None:
    try:
        result = load_library(extra_dir)
    except LibraryError as exc:
        _print_problems(exc.problems, err)
        return None
    _print_problems(result.warnings, err, prefix="warning (file skipped): ")
    if skipped is not None:
        skipped += result.warnings
    return result.library


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(cell.ljust(w) for cell, w in zip(cells, widths, strict=True)).rstrip()

    out = [line(headers), line(["-" * w for w in widths])]
    out += [line(row) for row in rows]
    return "\n".join(out)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _therapist_tag(therapist_only: bool, lang: str) -> str:
    if not therapist_only:
        return ""
    return "solo terapeuta" if lang.split("-")[0] == "es" else "therapist only"


def _plain(text: str, as_html: bool) -> str:
    return text if as_html else strip_telegram_html(text)


# --------------------------------------------------------------------------- commands


def list_library(
    *,
    extra_dir: Path | None = None,
    lang: str = "en",
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Print the exercises and sets as aligned tables. Returns the exit code."""
    out = out or sys.stdout
    err = err or sys.stderr
    library = _load(extra_dir, err)
    if library is None:
        return 1
    rows = [
        [
            ex.slug,
            ex.title_in(lang),
            ex.mode,
            ex.response,
            ",".join(sorted(ex.languages)),
            _therapist_tag(ex.therapist_only, lang),
        ]
        for ex in library.exercises.values()
    ]
    print(f"Exercises ({len(rows)})", file=out)
    print(_table(["slug", "title", "mode", "response", "languages", ""], rows), file=out)
    set_rows = [
        [
            s.slug,
            s.title_in(lang),
            s.frequency_summary(lang),
            str(len(s.exercise_slugs)),
            ",".join(sorted(s.languages)),
            _therapist_tag(library.set_is_therapist_only(s.slug), lang),
        ]
        for s in library.sets.values()
    ]
    print(file=out)
    print(f"Sets ({len(set_rows)})", file=out)
    print(_table(["slug", "title", "rhythm", "exercises", "languages", ""], set_rows), file=out)
    return 0


def _preview_set(
    library: Library, exercise_set: ExerciseSet, lang: str, as_html: bool, out: TextIO
) -> None:
    rendered = render_set(exercise_set, lang, therapist=_DEFAULT_THERAPIST.get(lang[:2], ""))
    print(f"{exercise_set.title_in(lang)}  [set: {exercise_set.slug}]", file=out)
    tag = _therapist_tag(library.set_is_therapist_only(exercise_set.slug), lang)
    print(f"{rendered.frequency} · {tag}" if tag else rendered.frequency, file=out)
    print(file=out)
    print(_plain(rendered.description, as_html), file=out)
    print(file=out)
    for item in exercise_set.items:
        exercise = library.exercise(item.exercise)
        title = exercise.title_in(lang) if exercise else "?"
        print(f"  day {item.day:>3}  {item.exercise}  ({title})", file=out)
    if exercise_set.repeat:
        print(f"  … then starts again (every {exercise_set.length_days} days)", file=out)


def preview(
    slug: str,
    *,
    lang: str = "en",
    recipient: str = "Alex",
    partner: str = "Sam",
    therapist: str | None = None,
    day: int = 1,
    on: dt.date | None = None,
    as_html: bool = False,
    extra_dir: Path | None = None,
    strict: bool = False,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Print an exercise (or a set) rendered in ``lang``. Returns the exit code.

    ``strict``: the caller named ``extra_dir``; if the file of ``slug`` there has
    problems, fail rather than show a built-in exercise of the same name.
    """
    out = out or sys.stdout
    err = err or sys.stderr
    skipped: list[LibraryProblem] = []
    library = _load(extra_dir, err, skipped)
    if library is None:
        return 1
    if strict and any(problem.path.stem == slug for problem in skipped):
        print(
            f"{slug} has problems (listed above); fix them, then preview it again. "
            f"`twofold exercises validate {extra_dir}` checks the whole folder.",
            file=err,
        )
        return 1
    exercise = library.exercise(slug)
    if exercise is None:
        exercise_set = library.set(slug)
        if exercise_set is None:
            hint = did_you_mean(slug, [*library.exercises, *library.sets])
            print(
                f"unknown exercise or set: {slug!r}{hint} (see `twofold exercises list`)",
                file=err,
            )
            return 1
        _preview_set(library, exercise_set, lang, as_html, out)
        return 0

    if therapist is None:
        therapist = _DEFAULT_THERAPIST.get(lang[:2], _DEFAULT_THERAPIST["en"])
    rendered = render_exercise(
        exercise,
        lang,
        recipient=recipient,
        partner=partner,
        therapist=therapist,
        day=day,
        on=on,
    )
    if rendered.lang != lang:
        print(f"note: {slug} has no {lang!r} text; showing {rendered.lang!r}", file=err)
    details = [
        category_label(exercise.category, rendered.lang, library.categories),
        f"{exercise.minutes} min",
        exercise.mode,
        exercise.response,
        f"visibility: {exercise.visibility}",
        f"languages: {', '.join(sorted(exercise.languages))}",
    ]
    if exercise.therapist_only:
        details.append(_therapist_tag(True, rendered.lang))
    print(f"{exercise.title_in(rendered.lang)}  [{exercise.slug}]", file=out)
    print(" · ".join(details), file=out)
    print(f"from: {exercise.origin}", file=out)
    print(file=out)
    print("── message ──", file=out)
    print(_plain(rendered.as_message(), as_html), file=out)
    if rendered.choices:
        print(file=out)
        print("── choices ──", file=out)
        for label in rendered.choices:
            print(f"  [ {label} ]", file=out)
    print(file=out)
    print("── reminder ──", file=out)
    print(_plain(rendered.reminder, as_html), file=out)
    print(file=out)
    print("── why ──", file=out)
    print(_plain(rendered.rationale, as_html), file=out)
    print(f"Source: {exercise.source}", file=out)
    return 0


def validate(
    directory: Path | None = None,
    *,
    extra_dir: Path | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Validate ``directory`` (a folder or one file), or the built-in library plus ``extra_dir``.

    Prints one line per problem and per warning on stderr; returns 1 if there
    are problems (warnings alone don't fail).
    """
    out = out or sys.stdout
    err = err or sys.stderr
    builtin = builtin_exercises_dir()
    targets: list[tuple[Path, Path | None]]
    if directory is not None:
        targets = [(directory, builtin)]
    else:
        targets = [(builtin, None)]
        if extra_dir is not None:
            targets.append((extra_dir, builtin))

    failed = False
    for path, base in targets:
        report = check_path(path, base=base)
        _print_problems(report.problems, err)
        _print_problems(report.warnings, err, prefix="warning: ")
        noted = ""
        if report.warnings:
            noted = f"; {_count(len(report.warnings), 'warning')} (see above)"
        if report.problems:
            failed = True
            count = len(report.problems)
            print(f"{path}: {count} problem{'s' if count != 1 else ''} found{noted}", file=err)
        else:
            found = [_count(report.exercises, "exercise"), _count(report.sets, "set")]
            if path.is_file():
                found = [found[0] if report.exercises else found[1]]
            print(f"OK: {path}: {', '.join(found)}{noted}", file=out)
    return 1 if failed else 0
