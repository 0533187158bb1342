"""DST and quiet hours: one delivery per local day, never skipped, never doubled."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta

import pytest

from bot.services.localtime import after_quiet_hours, in_quiet_hours, to_utc


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("zone", "day", "at", "expected"),
    [
        # Ordinary days.
        ("America/New_York", date(2026, 1, 15), time(8, 0), utc(2026, 1, 15, 13, 0)),
        ("Europe/Berlin", date(2026, 7, 1), time(8, 0), utc(2026, 7, 1, 6, 0)),
        # +14: the first place on Earth to reach a date.
        ("Pacific/Kiritimati", date(2026, 11, 23), time(8, 0), utc(2026, 11, 22, 18, 0)),
        # Spring forward: 02:30 does not exist; the next valid minute is 03:00.
        ("America/New_York", date(2026, 3, 8), time(2, 30), utc(2026, 3, 8, 7, 0)),
        ("Europe/Berlin", date(2026, 3, 29), time(2, 15), utc(2026, 3, 29, 1, 0)),
        # Lord Howe moves 30 minutes: 02:00-02:30 does not exist on 2026-10-04.
        ("Australia/Lord_Howe", date(2026, 10, 4), time(2, 10), utc(2026, 10, 3, 15, 30)),
        # Fall back: 01:30 happens twice; the first (still DST) one is used.
        ("America/New_York", date(2026, 11, 1), time(1, 30), utc(2026, 11, 1, 5, 30)),
        ("Europe/Berlin", date(2026, 10, 25), time(2, 30), utc(2026, 10, 25, 0, 30)),
        ("Australia/Lord_Howe", date(2026, 4, 5), time(1, 45), utc(2026, 4, 4, 14, 45)),
    ],
)
def test_local_times_become_the_right_instant(
    zone: str, day: date, at: time, expected: datetime
) -> None:
    assert to_utc(day, at, zone) == expected


@pytest.mark.parametrize("zone", ["America/New_York", "Europe/Berlin", "Australia/Lord_Howe"])
@pytest.mark.parametrize("at", [time(0, 0), time(1, 30), time(2, 0), time(2, 15), time(2, 30)])
def test_every_local_day_of_a_dst_year_gets_exactly_one_instant(zone: str, at: time) -> None:
    instants = [to_utc(date(2026, 1, 1) + timedelta(days=n), at, zone) for n in range(365)]
    # Strictly increasing and a day (give or take a DST hour) apart: nothing skipped
    # or doubled, whatever the transitions do to the wall clock.
    gaps = {b - a for a, b in itertools.pairwise(instants)}
    assert min(gaps) >= timedelta(hours=22, minutes=30)
    assert max(gaps) <= timedelta(hours=25, minutes=30)


QUIET = ("22:00", "07:00")


@pytest.mark.parametrize(
    ("moment", "quiet"),
    [
        (utc(2026, 11, 23, 21, 30), True),  # 22:30 Berlin
        (utc(2026, 11, 23, 5, 59), True),  # 06:59 Berlin
        (utc(2026, 11, 23, 6, 0), False),  # 07:00 Berlin: quiet hours are over
        (utc(2026, 11, 23, 20, 59), False),  # 21:59 Berlin
    ],
)
def test_quiet_hours_span_midnight(moment: datetime, quiet: bool) -> None:
    assert in_quiet_hours(moment, "Europe/Berlin", *QUIET) is quiet


def test_something_due_in_quiet_hours_waits_for_their_end() -> None:
    late = utc(2026, 11, 23, 22, 30)  # 23:30 Berlin
    morning = utc(2026, 11, 24, 6, 0)  # 07:00 Berlin, next day
    assert after_quiet_hours(late, "Europe/Berlin", *QUIET) == morning
    early = utc(2026, 11, 24, 4, 0)  # 05:00 Berlin
    assert after_quiet_hours(early, "Europe/Berlin", *QUIET) == morning
    daytime = utc(2026, 11, 24, 12, 0)
    assert after_quiet_hours(daytime, "Europe/Berlin", *QUIET) == daytime


def test_equal_start_and_end_means_no_quiet_hours() -> None:
    assert not in_quiet_hours(utc(2026, 11, 23, 23, 0), "Europe/Berlin", "00:00", "00:00")
