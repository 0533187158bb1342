"""A partner's controls: pause and resume (who is told what), quiet hours, today's list."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.clock import ManualClock
from bot.db.engine import Database
from bot.db.models import Partner
from bot.library import Library, load_library
from bot.services import assignments, couples, pausing
from bot.services.couples import CoupleStatus, partner_paused
from bot.services.pausing import PauseLengthError
from bot.services.preferences import PreferenceError
from tests.test_assignments import ANA, LUIS, World, make_world, utc

NOW = utc(2026, 11, 23, 9, 0)


@pytest.fixture(scope="module")
def library() -> Library:
    return load_library().library


def test_a_partner_is_paused_only_while_a_pause_is_in_force() -> None:
    partner = Partner(couple_id=1, slot=1, telegram_id=1, display_name="A")
    assert not partner_paused(partner, NOW)
    partner.paused_at = NOW - timedelta(days=1)
    assert partner_paused(partner, NOW)  # no end: until /resume
    assert partner_paused(partner, NOW + timedelta(days=365))
    partner.paused_until = NOW + timedelta(hours=1)
    assert partner_paused(partner, NOW)
    assert not partner_paused(partner, NOW + timedelta(hours=1))  # the end is exclusive
    partner.paused_at = None
    assert not partner_paused(partner, NOW)  # paused_until alone means nothing


@pytest.mark.parametrize(
    ("text", "days"), [("", None), ("  ", None), ("7", 7), ("1", 1), ("60", 60), ("3 days", 3)]
)
def test_pause_lengths(text: str, days: int | None) -> None:
    assert pausing.parse_days(text) == days


@pytest.mark.parametrize("text", ["0", "61", "-2", "2.5", "soon", "7 weeks", "1000000"])
def test_bad_pause_lengths_are_refused(text: str) -> None:
    with pytest.raises(PauseLengthError):
        pausing.parse_days(text)


async def pause(world: World, telegram_id: int, days: int | None = None) -> pausing.Paused:
    partner = await world.partner(telegram_id)
    async with world.database.session() as session:
        return await pausing.pause(
            session=session, partner=partner, days=days, now=world.clock.now()
        )


async def resume(world: World, telegram_id: int) -> pausing.Resumed:
    partner = await world.partner(telegram_id)
    async with world.database.session() as session:
        return await pausing.resume(session=session, partner=partner, now=world.clock.now())


async def status(world: World) -> CoupleStatus:
    async with world.database.session() as session:
        view = await couples.get_for(
            session=session, therapist=world.owner, public_id=world.public_id, now=world.clock.now()
        )
    assert view is not None
    return view.status


async def test_pausing_tells_the_other_partner_once_and_resuming_when_nothing_holds(
    database: Database, clock: ManualClock, library: Library
) -> None:
    world = await make_world(database, clock, library)
    first = await pause(world, ANA)
    assert first.until is None and first.tell is not None and first.tell.telegram_id == LUIS
    stored = await world.partner(ANA)
    assert (stored.paused_at, stored.paused_until) == (clock.now(), None)
    assert await status(world) is CoupleStatus.PAUSED

    clock.advance(timedelta(hours=1))
    again = await pause(world, ANA, 3)  # a new end; the couple was already on hold
    assert again.tell is None and again.until == clock.now() + timedelta(days=3)
    assert (await world.partner(ANA)).paused_at == clock.now() - timedelta(hours=1)

    other = await pause(world, LUIS)  # already on hold: nobody is told
    assert other.tell is None
    ana_back = await resume(world, ANA)  # Luis's pause still holds
    assert (ana_back.was_paused, ana_back.still_on_hold, ana_back.tell) == (True, True, None)
    assert await status(world) is CoupleStatus.PAUSED
    luis_back = await resume(world, LUIS)
    assert luis_back.was_paused and not luis_back.still_on_hold
    assert luis_back.tell is not None and luis_back.tell.telegram_id == ANA
    assert await status(world) is CoupleStatus.ACTIVE
    stored = await world.partner(LUIS)
    assert (stored.paused_at, stored.paused_until) == (None, None)


async def test_a_timed_pause_ends_by_itself(
    database: Database, clock: ManualClock, library: Library
) -> None:
    world = await make_world(database, clock, library)
    paused = await pause(world, ANA, 2)
    assert paused.until == utc(2026, 11, 25, 9, 0)
    clock.advance(timedelta(days=2) - timedelta(seconds=1))
    assert await status(world) is CoupleStatus.PAUSED
    clock.advance(timedelta(seconds=1))
    assert await status(world) is CoupleStatus.ACTIVE
    late = await resume(world, ANA)
    assert (late.was_paused, late.tell) == (False, None)
    # A lapsed pause is no pause: pausing again tells the other partner again.
    assert (await pause(world, ANA)).tell is not None


async def test_a_partner_alone_can_pause_without_telling_anyone(
    database: Database, clock: ManualClock, library: Library
) -> None:
    world = await make_world(database, clock, library, both=False)
    assert (await pause(world, ANA, 60)).tell is None
    with pytest.raises(PauseLengthError):
        await pause(world, ANA, 61)
    assert (await resume(world, ANA)).tell is None


# --- quiet hours -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("21:30-07:30", ("21:30", "07:30")),
        ("22:00 – 6:45", ("22:00", "06:45")),
        ("10pm-7am", ("22:00", "07:00")),
        ("13:00-15:00", ("13:00", "15:00")),
        ("off", ("00:00", "00:00")),
        ("OFF", ("00:00", "00:00")),
        ("08:00-08:00", ("00:00", "00:00")),
    ],
)
def test_quiet_hours_are_read_side_by_side(text: str, expected: tuple[str, str]) -> None:
    assert pausing.parse_quiet(text) == expected


@pytest.mark.parametrize("text", ["", "22:00", "22:00-25:00", "22-7", "late-early", "1-2-3"])
def test_unreadable_quiet_hours_are_refused(text: str) -> None:
    with pytest.raises(PreferenceError):
        pausing.parse_quiet(text)


async def test_quiet_hours_are_stored_and_can_be_turned_off(
    database: Database, clock: ManualClock, library: Library
) -> None:
    world = await make_world(database, clock, library, times=("22:30", "08:00"))
    ana = await world.partner(ANA)
    assert (ana.quiet_start, ana.quiet_end) == ("22:00", "07:00")
    assert pausing.has_quiet_hours(ana) and pausing.delivery_in_quiet_hours(ana)
    async with database.session() as session:
        await pausing.set_quiet_hours(session=session, partner=ana, start="23:00", end="06:00")
    ana = await world.partner(ANA)
    assert (ana.quiet_start, ana.quiet_end) == ("23:00", "06:00")
    assert not pausing.delivery_in_quiet_hours(ana)
    async with database.session() as session:
        await pausing.set_quiet_hours(session=session, partner=ana, start="07:00", end="07:00")
    ana = await world.partner(ANA)
    assert (ana.quiet_start, ana.quiet_end) == ("00:00", "00:00")
    assert not pausing.has_quiet_hours(ana) and not pausing.delivery_in_quiet_hours(ana)


# --- today ------------------------------------------------------------------------------


async def test_today_lists_the_partners_own_day_without_cancelled_ones(
    database: Database, clock: ManualClock, library: Library
) -> None:
    # 09:00 UTC: Monday 04:00 in New York (Ana), Monday 18:00 in Tokyo (Luis).
    world = await make_world(database, clock, library)
    first = await world.assign("gratitude-week")
    check_in = await world.assign("weekly-check-in")
    ana, luis = await world.partner(ANA), await world.partner(LUIS)
    rows = await world.deliveries(check_in.assignment.id)
    (union,) = [
        r for r in rows if r.partner_id == ana.id and r.exercise_slug == "state-of-the-union"
    ]
    await world.set_status(union.id, "done")

    async def today(partner: Partner) -> list[tuple[str, str]]:
        async with database.session() as session:
            found = await pausing.today(session=session, partner=partner, now=clock.now())
        return [(row.exercise_slug, row.status) for row in found]

    assert await today(ana) == [
        ("gratitude-three-things", "planned"),
        ("state-of-the-union", "done"),  # the set's order within the day
        ("weekly-connection-scale", "planned"),
    ]
    assert await today(luis) == []  # his day 1 is tomorrow: 08:00 had passed in Tokyo
    async with database.session() as session:
        cancelled = await assignments.cancel(
            session=session, therapist=world.owner, assignment_id=first.assignment.id or 0, now=NOW
        )
    assert cancelled is not None
    check_in_slugs = ["state-of-the-union", "weekly-connection-scale"]
    assert [slug for slug, _ in await today(ana)] == check_in_slugs
    clock.advance(timedelta(days=1))
    assert [slug for slug, _ in await today(luis)] == check_in_slugs
    assert await today(ana) == []  # Tuesday in New York: day 2 is not planned yet
