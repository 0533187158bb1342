"""``twofold exercises catalogue``: the library as Markdown tables for docs/exercises.md."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

from bot.library import CATEGORIES, LibraryError, load_library
from bot.library.catalogue import (
    REGENERATE,
    CatalogueError,
    catalogue_blocks,
    read_blocks,
    replace_blocks,
)
from bot.library.schema import schema_files

__all__ = ["catalogue", "schema"]


def catalogue(
    *,
    extra_dir: Path | None = None,
    write: Path | None = None,
    check: Path | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """Print the generated blocks, write them into ``write``, or check ``check`` is current."""
    out = out or sys.stdout
    err = err or sys.stderr
    try:
        result = load_library(extra_dir)
    except LibraryError as exc:
        print(exc, file=err)
        return 1
    for problem in result.warnings:
        print(f"warning (file skipped): {problem}", file=err)
    blocks = catalogue_blocks(result.library)
    if write is None and check is None:
        print("\n\n".join(blocks.values()), file=out)
        return 0
    target = write or check
    assert target is not None
    try:
        document = target.read_text(encoding="utf-8")
        updated = replace_blocks(document, blocks)
    except (OSError, CatalogueError) as exc:
        print(f"{target}: {exc}", file=err)
        return 1
    if check is not None:
        stale = [name for name, text in read_blocks(document).items() if text != blocks[name]]
        if stale:
            print(f"{target}: out of date ({', '.join(stale)}); run: {REGENERATE}", file=err)
            return 1
        print(f"OK: {target} is up to date", file=out)
        return 0
    if updated != document:
        target.write_text(updated, encoding="utf-8")
    print(f"wrote {target}", file=out)
    return 0


def schema(
    *, write: Path | None = None, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    """Print the JSON Schemas of the file formats, or write them into the folder ``write``."""
    out = out or sys.stdout
    err = err or sys.stderr
    try:
        files = schema_files(CATEGORIES)
    except LibraryError as exc:
        print(exc, file=err)
        return 1
    if write is None:
        for name, text in files.items():
            print(f"// {name}", file=out)
            print(text, file=out)
        return 0
    write.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (write / name).write_text(text, encoding="utf-8")
        print(f"wrote {write / name}", file=out)
    return 0
