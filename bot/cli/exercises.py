"""``twofold exercises list | preview | validate | catalogue | schema``: library tools.

The lead's ``bot/cli/__init__.py`` calls :func:`register` on its subparsers and then
``sys.exit(args.func(args))``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from pathlib import Path

from bot.cli.exercise_catalogue import catalogue, schema
from bot.cli.exercise_output import list_library, preview, validate
from bot.library.paths import EXERCISES_SUBDIR, SETS_SUBDIR

__all__ = ["catalogue", "list_library", "preview", "register", "schema", "validate"]

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


def _extra_dir(args: argparse.Namespace) -> Path | None:
    """``--dir`` if given, else ``EXERCISES_DIR``."""
    return Path(args.dir) if getattr(args, "dir", None) else env_extra_dir()


def _run_list(args: argparse.Namespace) -> int:
    return list_library(extra_dir=_extra_dir(args), lang=args.lang)


def _preview_target(args: argparse.Namespace) -> tuple[str, Path | None] | str:
    """The slug and folder to preview; a message instead when a file path can't be used."""
    path = Path(args.slug)
    if path.suffix not in (".yaml", ".yml") and not path.is_file():
        return args.slug, _extra_dir(args)
    if not path.is_file():
        return f"file not found: {path}"
    if path.parent.name not in (EXERCISES_SUBDIR, SETS_SUBDIR):
        return (
            f"{path} must be inside an {EXERCISES_SUBDIR}/ or {SETS_SUBDIR}/ folder to be "
            f"previewed (for example my-exercises/{EXERCISES_SUBDIR}/{path.name})"
        )
    return path.stem, path.parent.parent


def _run_preview(args: argparse.Namespace) -> int:
    target = _preview_target(args)
    if isinstance(target, str):
        print(target, file=sys.stderr)
        return 1
    slug, extra_dir = target
    return preview(
        slug,
        lang=args.lang,
        recipient=args.as_partner,
        partner=args.partner,
        therapist=args.therapist,
        day=args.day,
        on=args.date,
        as_html=args.html,
        extra_dir=extra_dir,
        strict=extra_dir is not None and extra_dir != env_extra_dir(),
    )


def _run_validate(args: argparse.Namespace) -> int:
    directory = Path(args.dir) if args.dir else None
    return validate(directory, extra_dir=env_extra_dir() if directory is None else None)


def _run_catalogue(args: argparse.Namespace) -> int:
    return catalogue(
        extra_dir=Path(args.dir) if args.dir else None,
        write=Path(args.write) if args.write else None,
        check=Path(args.check) if args.check else None,
    )


def _run_schema(args: argparse.Namespace) -> int:
    return schema(write=Path(args.write) if args.write else None)


def _add_dir_option(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument(
        "--dir",
        default=None,
        metavar="PATH",
        help=f"{what} this library folder too (instead of ${ENV_EXERCISES_DIR})",
    )


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``exercises``: ``list``, ``preview``, ``validate``, ``catalogue``, ``schema``."""
    parser = subparsers.add_parser(
        "exercises",
        help="list, preview and validate the exercise library",
        description=(
            "Tools for the exercise library. list and preview include the operator's "
            f"extra directory from ${ENV_EXERCISES_DIR} when it is set (or --dir PATH)."
        ),
    )
    commands = parser.add_subparsers(dest="exercises_command", metavar="COMMAND", required=True)

    list_parser = commands.add_parser("list", help="table of exercises and sets")
    list_parser.add_argument("--lang", default="en", help="language of the titles (default: en)")
    _add_dir_option(list_parser, "list")
    list_parser.set_defaults(func=_run_list)

    preview_parser = commands.add_parser("preview", help="print an exercise or set as sent")
    preview_parser.add_argument(
        "slug",
        metavar="SLUG_OR_FILE",
        help="exercise or set slug, or the path of its file (e.g. my-exercises/exercises/x.yaml)",
    )
    _add_dir_option(preview_parser, "look in")
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
        help="check a library folder or one file; exits 1 listing every problem",
        description=(
            "Check every exercise and set file and list every problem and warning in one "
            f"run. Without PATH: the built-in library and ${ENV_EXERCISES_DIR} if set. "
            "With PATH: that folder or that single file (its sets may use built-in "
            "exercises). Warnings (such as gendered Spanish) don't fail."
        ),
    )
    validate_parser.add_argument("dir", nargs="?", default=None, metavar="PATH")
    validate_parser.set_defaults(func=_run_validate)

    catalogue_parser = commands.add_parser(
        "catalogue",
        help="print the library as Markdown tables (for docs/exercises.md)",
        description=(
            "Print the catalogue (exercises and sets) and the categories as Markdown: the "
            "built-in library, plus --dir if given. --write FILE replaces the generated "
            "blocks of FILE; --check FILE exits 1 if they are out of date."
        ),
    )
    catalogue_parser.add_argument("--dir", default=None, metavar="PATH")
    catalogue_parser.add_argument("--write", default=None, metavar="FILE")
    catalogue_parser.add_argument("--check", default=None, metavar="FILE")
    catalogue_parser.set_defaults(func=_run_catalogue)

    schema_parser = commands.add_parser(
        "schema",
        help="print the JSON Schemas of the file formats (for editors)",
        description="Print the JSON Schemas, or write them into a folder with --write DIR.",
    )
    schema_parser.add_argument("--write", default=None, metavar="DIR")
    schema_parser.set_defaults(func=_run_schema)
