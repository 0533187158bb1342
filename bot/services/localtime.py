"""Local wall-clock times in a person's IANA zone, turned into UTC instants safely.

DST rules (the contract with couples): one delivery per local day, always.
- A time that does not exist that day (spring forward) moves to the next valid minute.
- A time that happens twice (fall back) uses the first occurrence.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

MINUTE = timedelta(minutes=1)


def parse_hhmm(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def _exists(local: datetime) -> bool:
    """True when this wall time occurs in its zone (is not inside a DST gap)."""
    round_trip = local.astimezone(UTC).astimezone(local.tzinfo)
    return round_trip.replace(tzinfo=None) == local.replace(tzinfo=None)


def to_utc(day: date, at: time, zone: str) -> datetime:
    """The UTC instant of `at` on `day` in `zone`, following the DST rules above."""
    tz = ZoneInfo(zone)
    # fold=0 is the first of two occurrences of an ambiguous time: what we want.
    local = datetime.combine(day, at, tzinfo=tz).replace(fold=0)
    # Gaps are at most a few hours (usually 60 or 30 minutes): walk to the first
    # minute that exists. Bounded so a broken zone table can never loop forever.
    for _ in range(24 * 60):
        if _exists(local):
            return local.astimezone(UTC)
        local = (local.replace(tzinfo=None) + MINUTE).replace(tzinfo=tz)
    raise ValueError(f"no valid local time after {day} {at} in {zone}")  # pragma: no cover


def local_now(now: datetime, zone: str) -> datetime:
    return now.astimezone(ZoneInfo(zone))


def local_today(now: datetime, zone: str) -> date:
    return local_now(now, zone).date()


def in_quiet_hours(moment: datetime, zone: str, start: str, end: str) -> bool:
    """Whether `moment` falls in the quiet window [start, end) local time (may span midnight)."""
    if start == end:
        return False
    clock = local_now(moment, zone).time().replace(second=0, microsecond=0)
    begin, finish = parse_hhmm(start), parse_hhmm(end)
    if begin < finish:
        return begin <= clock < finish
    return clock >= begin or clock < finish


def after_quiet_hours(moment: datetime, zone: str, start: str, end: str) -> datetime:
    """`moment` itself if it is outside quiet hours, else the end of those quiet hours."""
    if not in_quiet_hours(moment, zone, start, end):
        return moment
    local = local_now(moment, zone)
    finish = parse_hhmm(end)
    end_day = local.date() if local.time() < finish else local.date() + timedelta(days=1)
    return to_utc(end_day, finish, zone)
