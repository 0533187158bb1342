"""``twofold exercises list | preview | validate``: tools for the exercise library.

The lead's ``bot/cli.py`` calls :func:`register` on its subparsers and then
``sys.exit(args.func(args))``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
from pathlib import Path

from bot.cli_exercise_output import list_library, preview, validate

__all__ = ["list_library", "preview", "register", "validate"]

ENV_EXERCISES_DIR = "EXERCISES_DIR"


def env_extra_dir() -> Path | None:
    """The operator's extra library directory from ``EXERCISES_DIR`` (None if unset/empty)."""
    value = os.environ.get(ENV_EXERCISES_DIR, "").strip()
    return Path(value) if value else None


# --------------------------------------------------------------------------- argparse


def _positive_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {value!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return number


def _iso_date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {value!r}") from None


def _run_list(args: argparse.Namespace) -> int:
    return list_library(extra_dir=env_extra_dir(), lang=args.lang)


def _run_preview(args: argparse.Namespace) -> int:
    return preview(
        args.slug,
        lang=args.lang,
        recipient=args.as_partner,
        partner=args.partner,
        therapist=args.therapist,
        day=args.day,
        on=args.date,
        as_html=args.html,
        extra_dir=env_extra_dir(),
    )


def _run_validate(args: argparse.Namespace) -> int:
    directory = Path(args.dir) if args.dir else None
    return validate(directory, extra_dir=env_extra_dir() if directory is None else None)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``exercises`` command (``list``, ``preview``, ``validate``)."""
    parser = subparsers.add_parser(
        "exercises",
        help="list, preview and validate the exercise library",
        description=(
            "Tools for the exercise library. list and preview include the operator's "
            f"extra directory from ${ENV_EXERCISES_DIR} when it is set."
        ),
    )
    commands = parser.add_subparsers(dest="exercises_command", metavar="COMMAND", required=True)

    list_parser = commands.add_parser("list", help="table of exercises and sets")
    list_parser.add_argument("--lang", default="en", help="language of the titles (default: en)")
    list_parser.set_defaults(func=_run_list)

    preview_parser = commands.add_parser("preview", help="print an exercise or set as sent")
    preview_parser.add_argument("slug", help="exercise or set slug")
    preview_parser.add_argument("--lang", default="en", help="language (default: en)")
    preview_parser.add_argument(
        "--as-partner", default="Alex", metavar="NAME", help="name of the person receiving it"
    )
    preview_parser.add_argument(
        "--partner", default="Sam", metavar="NAME", help="name of the other partner"
    )
    preview_parser.add_argument("--therapist", default=None, metavar="NAME")
    preview_parser.add_argument(
        "--day", type=_positive_int, default=1, help="day number within the set (default: 1)"
    )
    preview_parser.add_argument(
        "--date", type=_iso_date, default=None, help="delivery date YYYY-MM-DD (default: today)"
    )
    preview_parser.add_argument(
        "--html", action="store_true", help="print the Telegram HTML instead of plain text"
    )
    preview_parser.set_defaults(func=_run_preview)

    validate_parser = commands.add_parser(
        "validate",
        help="check a library directory; exits 1 listing every problem",
        description=(
            "Check every exercise and set file. Without DIR: the built-in library and "
            f"${ENV_EXERCISES_DIR} if set. With DIR: that directory (its sets may use "
            "built-in exercises)."
        ),
    )
    validate_parser.add_argument("dir", nargs="?", default=None, metavar="DIR")
    validate_parser.set_defaults(func=_run_validate)
