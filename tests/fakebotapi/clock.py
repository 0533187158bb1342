"""A hand-driven clock so rate limits and the 48-hour delete rule are tested without sleeping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

__all__ = ["FakeClock"]


class FakeClock:
    """Drives both clocks the fake reads: ``monotonic`` (rate limits) and ``now`` (dates).

    >>> clock = FakeClock()
    >>> tg = FakeTelegram(clock=clock.monotonic, wall_clock=clock.now)  # doctest: +SKIP
    >>> clock.advance(1.5)  # both move together
    """

    def __init__(self, start: datetime | None = None, monotonic_start: float = 1000.0) -> None:
        self._now = start or datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
        if self._now.tzinfo is None:
            raise ValueError("FakeClock needs an aware datetime")
        self._mono = monotonic_start

    def monotonic(self) -> float:
        return self._mono

    def now(self) -> datetime:
        return self._now

    def advance(self, seconds: float | timedelta) -> None:
        step = seconds.total_seconds() if isinstance(seconds, timedelta) else float(seconds)
        if step < 0:
            raise ValueError("time only moves forward")
        self._mono += step
        self._now += timedelta(seconds=step)
