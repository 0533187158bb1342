"""Where the built-in exercise library lives."""

from __future__ import annotations

from pathlib import Path

__all__ = ["EXERCISES_SUBDIR", "SETS_SUBDIR", "builtin_exercises_dir"]

EXERCISES_SUBDIR = "exercises"
SETS_SUBDIR = "sets"


def builtin_exercises_dir() -> Path:
    """The library shipped with Twofold.

    An installed wheel carries the repository's ``exercises/`` as
    ``bot/_exercises/`` (pyproject ``force-include``); a source checkout or an
    editable install uses the repository's ``exercises/`` directly.
    """
    here = Path(__file__).resolve()
    packaged = here.parent.parent / "_exercises"
    if (packaged / EXERCISES_SUBDIR).is_dir():
        return packaged
    return here.parents[2] / "exercises"
