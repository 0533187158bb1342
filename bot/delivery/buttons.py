"""Callback data of the buttons on exercises: each family built and parsed in one place.

Like aiogram's CallbackData factory: a small frozen class per family with `pack()` (what
goes into the button) and `parse()` (None for anything it did not build: forged, stale or
another family's data), and the handler pattern next to them. Telegram allows 64 bytes.

The data names only the action: the message a button sits on says which delivery it is,
looked up within the presser's own chat (`completion.find`), so a forged press can name
nobody else's exercise.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar

from bot.services.completion import Action

MAX_BYTES = 64  # Telegram's limit on callback data
RATINGS = range(1, 6)


def _checked(data: str) -> str:
    assert len(data.encode()) <= MAX_BYTES, data
    return data


@dataclass(frozen=True, slots=True)
class ExerciseButton:
    """A button on an exercise message: Done, Skip, Later, or a value (scale or choice)."""

    PREFIX: ClassVar[str] = "dl"
    PATTERN: ClassVar[str] = r"^dl:"
    _VALUE: ClassVar[re.Pattern[str]] = re.compile(r"v(?P<value>[0-9]{1,2})")

    action: Action | None = None
    value: int | None = None  # 1-5 on a scale, the option's index on a choice

    def pack(self) -> str:
        if self.value is not None:
            return _checked(f"{self.PREFIX}:v{self.value}")
        assert self.action is not None
        return _checked(f"{self.PREFIX}:{self.action.value}")

    @classmethod
    def parse(cls, data: str | None) -> ExerciseButton | None:
        prefix, _, rest = (data or "").partition(":")
        if prefix != cls.PREFIX:
            return None
        if match := cls._VALUE.fullmatch(rest):
            return cls(value=int(match["value"]))
        try:
            return cls(action=Action(rest))
        except ValueError:
            return None

    @classmethod
    def is_value(cls, data: str | None) -> bool:
        found = cls.parse(data)
        return found is not None and found.value is not None


@dataclass(frozen=True, slots=True)
class RatingButton:
    """ "How helpful was this exercise?" 1-5, on the acknowledgement of an answer."""

    PREFIX: ClassVar[str] = "rt"
    PATTERN: ClassVar[str] = r"^rt:"

    rating: int

    def pack(self) -> str:
        return _checked(f"{self.PREFIX}:{self.rating}")

    @classmethod
    def parse(cls, data: str | None) -> RatingButton | None:
        prefix, _, rest = (data or "").partition(":")
        if prefix != cls.PREFIX or not (rest.isascii() and rest.isdigit()):
            return None
        if int(rest) not in RATINGS:
            return None
        return cls(int(rest))
