"""Scale answers over time and how much was written: for /report, /brief and /progress.

Pure functions over (who, exercise, day, value) points: the callers decide what a reader
may see (bot/services/visibility.py) before anything reaches here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True)
class Point:
    partner_id: int
    partner: str  # display name
    exercise: str  # slug
    day: date
    value: int


@dataclass
class Scale:
    """One partner's values on one exercise, oldest first."""

    partner_id: int
    partner: str
    exercise: str
    values: list[int] = field(default_factory=list)

    @property
    def latest(self) -> int:
        return self.values[-1]

    @property
    def trend(self) -> str | None:
        """`up`, `down` or `same` against the answer before; None with only one answer."""
        if len(self.values) < 2:
            return None
        before, latest = self.values[-2], self.values[-1]
        return "up" if latest > before else "down" if latest < before else "same"


def scales(points: Iterable[Point]) -> list[Scale]:
    """Per partner and exercise, in order of first appearance (points sorted by day)."""
    found: dict[tuple[int, str], Scale] = {}
    for point in sorted(points, key=lambda p: p.day):
        key = (point.partner_id, point.exercise)
        found.setdefault(key, Scale(point.partner_id, point.partner, point.exercise))
        found[key].values.append(point.value)
    return sorted(found.values(), key=lambda s: (s.partner_id, s.exercise))


@dataclass
class Written:
    """How many written answers one partner gave: readable by the reader, and kept private."""

    partner_id: int
    partner: str
    readable: int = 0
    private: int = 0

    @property
    def total(self) -> int:
        return self.readable + self.private
