"""The YAML mistakes people who don't program make, found line by line with a plain tip."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Final

__all__ = ["Pitfall", "find_yaml_pitfalls"]

# `key: value` (optionally a list item); the key is a field name or a language code.
_KEY_VALUE: Final = re.compile(
    r"^(?P<lead>[ \t]*(?:-[ \t]+)?)(?P<key>[A-Za-z_][\w-]*):[ \t]+(?P<value>.*)$"
)
# A value that YAML does not read as plain text: quoted, a block, a flow map or list, …
_NOT_PLAIN: Final = tuple("'\"|>[{&*!%@`#")
_BLOCK_START: Final = re.compile(r":[ \t]+[|>][-+0-9]*[ \t]*(?:#.*)?$")


@dataclass(frozen=True)
class Pitfall:
    """What is wrong with one line and how to fix it, in plain words; the line fixed."""

    tip: str
    repaired: str


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def find_yaml_pitfalls(text: str) -> dict[int, Pitfall]:
    """Tabs used for indentation and texts with an unquoted ``: ``, by 1-based line number.

    Lines inside ``|`` and ``>`` blocks are texts, where both are fine.
    """
    found: dict[int, Pitfall] = {}
    block_indent: int | None = None  # indentation of the key that opened a block
    for number, line in enumerate(text.splitlines(), start=1):
        if block_indent is not None:
            if not line.strip() or (not line.startswith("\t") and _indent(line) > block_indent):
                continue
            block_indent = None
        lead = line[: len(line) - len(line.lstrip(" \t"))]
        if "\t" in lead:
            fixed = lead.replace("\t", "  ") + line[len(lead) :]
            found[number] = Pitfall(
                "this line is indented with a tab, and YAML needs spaces: replace each tab "
                "with two spaces (most editors have a 'convert indentation to spaces' command)",
                fixed,
            )
            line = fixed
        if _BLOCK_START.search(line):
            block_indent = _indent(line)
            continue
        match = _KEY_VALUE.match(line)
        if match is None:
            continue
        value = match["value"].rstrip()
        if not value or value.startswith(_NOT_PLAIN):
            continue
        text_part = value.split(" #", 1)[0]
        if ": " in text_part or text_part.endswith(":"):
            key = match["key"]
            quoted = json.dumps(text_part, ensure_ascii=False)
            found[number] = Pitfall(
                f"the text after `{key}:` contains a colon followed by a space, which YAML "
                f"reads as the start of another field: put the whole text in double quotes, "
                f"like this: {key}: {quoted}",
                f"{match['lead']}{key}: {quoted}",
            )
    return found
