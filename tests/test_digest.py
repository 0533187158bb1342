"""The weekly digest: when it is due, that it is claimed once, and its order of couples."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta

import pytest

from bot.db.engine import Database
from bot.db.models import Flag, Partner, Therapist
from bot.services import digest
from tests.reporting_world import deliver, seed, utc


def therapist(zone: str, **fields: object) -> Therapist:
    return Therapist(telegram_id=1, name="T", timezone=zone, **fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("zone", "moment", "expected"),
    [
        ("UTC", utc(2026, 11, 23, 7, 59), None),  # Monday, a minute early
        ("UTC", utc(2026, 11, 23, 8, 0), "2026-W48"),
        ("UTC", utc(2026, 11, 24, 7, 59), "2026-W48"),  # still within a day
        ("UTC", utc(2026, 11, 24, 8, 0), None),  # too late: skipped, not stale
        ("America/New_York", utc(2026, 11, 23, 8, 0), None),  # 03:00 there
        ("America/New_York", utc(2026, 11, 23, 13, 0), "2026-W48"),  # 08:00 EST
        ("Pacific/Kiritimati", utc(2026, 11, 22, 18, 0), "2026-W48"),  # Mon 08:00 at +14
        # The Monday after Berlin's clocks went back (Oct 25): 08:00 is now 07:00 UTC.
        ("Europe/Berlin", utc(2026, 10, 26, 6, 59), None),
        ("Europe/Berlin", utc(2026, 10, 26, 7, 0), "2026-W44"),
    ],
)
def test_due_at_monday_eight_in_the_therapists_zone(
    zone: str, moment: datetime, expected: str | None
) -> None:
    assert digest.due_week(moment, therapist(zone), weekday=1, at="08:00") == expected


def test_weekday_and_time_are_configurable_and_off_means_never() -> None:
    friday = utc(2026, 11, 27, 17, 30)

    assert digest.due_week(friday, therapist("UTC"), weekday=5, at="17:30") == "2026-W48"
    assert (
        digest.due_week(friday, therapist("UTC", digest_enabled=False), weekday=5, at="17:30")
        is None
    )


async def test_a_week_is_claimed_once_even_by_two_instances_at_once(
    database: Database, database_url: str
) -> None:
    world = await seed(database)
    second = Database(database_url)
    now = utc(2026, 11, 23, 8)

    async def attempt(db: Database, week: str = "2026-W48") -> bool:
        async with db.session() as session:
            return await digest.claim(
                session=session, therapist=world.therapist, week=week, now=now
            )

    try:
        results = await asyncio.gather(attempt(database), attempt(second), attempt(database))
        later = await attempt(second)
        next_week = await attempt(database, "2026-W49")
    finally:
        await second.dispose()

    assert sorted(results) == [False, False, True]
    assert later is False
    assert next_week is True


async def test_lines_put_the_couples_most_in_need_first(database: Database) -> None:
    calm = await seed(database, public_id="calmxx", label="Calm")
    flagged = await seed(database, public_id="flagxx", label="Flagged", existing=calm.therapist)
    struggling = await seed(
        database, public_id="hardxx", label="Struggling", existing=calm.therapist
    )
    monday = date(2026, 11, 16)
    for n in range(5):
        day = monday + timedelta(days=n)
        for p in calm.partners:
            await deliver(database, calm, p, day, "done")
        for p in struggling.partners:
            await deliver(database, struggling, p, day, "missed" if n % 2 else "done")
        for p in flagged.partners:
            await deliver(database, flagged, p, day, "done")
    async with database.session() as session:
        session.add(Flag(partner_id=flagged.partners[0].id))  # type: ignore[arg-type]
        # Seen flags count for nothing: "Calm" stays calm.
        for partner in calm.partners:
            session.add(Flag(partner_id=partner.id, seen_at=utc(2026, 11, 20)))  # type: ignore[arg-type]
        ben = await session.get(Partner, struggling.partners[1].id)
        assert ben is not None
        ben.unreachable_at = utc(2026, 11, 20)
        session.add(ben)

    async with database.session() as session:
        lines = await digest.lines_for(
            session=session, therapist=calm.therapist, now=utc(2026, 11, 23, 8)
        )

    assert [line.couple.label for line in lines] == ["Flagged", "Struggling", "Calm"]
    flagged_line, struggling_line, calm_line = lines
    assert flagged_line.unseen_flags == 1
    assert calm_line.unseen_flags == 0
    assert struggling_line.unreachable == ["Ben"]
    assert (struggling_line.tally.missed, struggling_line.tally.done) == (4, 6)
    assert (calm_line.tally.done, calm_line.tally.due) == (10, 10)


async def test_set_enabled_turns_the_digest_off_and_on(database: Database) -> None:
    world = await seed(database)
    async with database.session() as session:
        off = await digest.set_enabled(session=session, therapist=world.therapist, enabled=False)
    async with database.session() as session:
        due = await digest.due_therapists(
            session=session, now=utc(2026, 11, 23, 8), weekday=1, at="08:00"
        )
        on = await digest.set_enabled(session=session, therapist=world.therapist, enabled=True)

    assert off.digest_enabled is False and due == []
    assert on.digest_enabled is True
