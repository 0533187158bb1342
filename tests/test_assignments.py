"""Assigning sets: planning day 1 in each partner's calendar, progress, pause/resume/cancel."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import col, select

from bot.clock import ManualClock
from bot.db.engine import Database
from bot.db.models import Assignment, Delivery, Partner, Therapist
from bot.library import Library, load_library
from bot.services import assignments, couples, invites, membership, therapists
from bot.services.assignments import AssignProblem, Created, StartDateError
from bot.services.invites import Joined

TTL = timedelta(days=7)
DR_RUIZ, DR_LEE = 1000, 2000
ANA, LUIS = 11, 12
MONDAY = date(2026, 11, 23)  # the clock fixture starts at 09:00 UTC that day


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


@pytest.fixture(scope="module")
def library() -> Library:
    return load_library().library


@dataclass
class World:
    database: Database
    clock: ManualClock
    library: Library
    owner: Therapist
    public_id: str

    async def assign(self, slug: str = "gratitude-week", start: date = MONDAY) -> Created:
        async with self.database.session() as session:
            result = await assignments.create(
                session=session,
                therapist=self.owner,
                public_id=self.public_id,
                set_slug=slug,
                start_date=start,
                library=self.library,
                now=self.clock.now(),
            )
        assert isinstance(result, Created), result
        return result

    async def deliveries(self, assignment_id: int | None = None) -> list[Delivery]:
        query = select(Delivery).order_by(
            col(Delivery.partner_id),
            col(Delivery.day),
            col(Delivery.assignment_id),
            col(Delivery.item),
        )
        if assignment_id is not None:
            query = query.where(Delivery.assignment_id == assignment_id)
        async with self.database.session() as session:
            return list((await session.exec(query)).all())

    async def partner(self, telegram_id: int) -> Partner:
        async with self.database.session() as session:
            found = await membership.current_partner(session=session, telegram_id=telegram_id)
        assert found is not None
        return found

    async def set_status(self, delivery_id: int | None, status: str) -> None:
        async with self.database.session() as session:
            row = await session.get(Delivery, delivery_id)
            assert row is not None
            row.status = status
            session.add(row)


async def make_world(
    database: Database,
    clock: ManualClock,
    library: Library,
    *,
    zones: tuple[str, str] = ("America/New_York", "Asia/Tokyo"),
    times: tuple[str, str] = ("08:00", "08:00"),
    both: bool = True,
) -> World:
    """Dr. Ruiz's couple: Ana (slot 1) and, unless `both` is false, Luis (slot 2)."""
    async with database.session() as session:
        owner = await therapists.grant(session=session, telegram_id=DR_RUIZ, name="Dr. Ruiz")
        view, issued = await couples.create(
            session=session, therapist=owner, label="A & L", now=clock.now(), ttl=TTL
        )
    people = [(ANA, zones[0], times[0]), (LUIS, zones[1], times[1])][: 2 if both else 1]
    for invite, (telegram_id, zone, at) in zip(issued, people, strict=False):
        async with database.session() as session:
            joined = await invites.accept(
                session=session,
                code=invite.code,
                telegram_id=telegram_id,
                first_name=f"P{telegram_id}",
                language="en",
                now=clock.now(),
            )
            assert isinstance(joined, Joined)
            await membership.update_preferences(
                session=session, partner=joined.partner, timezone=zone, delivery_time=at
            )
    return World(database, clock, library, owner, view.couple.public_id)


# --- start dates -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("23/11/2026", "format"),
        ("2026-02-30", "format"),
        ("20261124", "format"),
        ("tomorrow", "format"),
        ("2026-11-22", "past"),
        ("2027-11-24", "too_far"),
    ],
)
def test_bad_start_dates_are_refused_with_a_reason(text: str, reason: str) -> None:
    with pytest.raises(StartDateError) as raised:
        assignments.parse_start(text, today=MONDAY)
    assert raised.value.reason == reason


def test_start_dates_from_today_to_a_year_ahead_are_accepted() -> None:
    assert assignments.parse_start(" 2026-11-23 ", today=MONDAY) == MONDAY
    assert assignments.parse_start("2027-11-23", today=MONDAY) == date(2027, 11, 23)


def test_today_is_the_therapists_today(clock: ManualClock) -> None:
    # 11:00 UTC on Monday is already Tuesday in Kiritimati (+14), still Monday in Honolulu.
    now = clock.advance(timedelta(hours=2))
    assert assignments.today_for(Therapist(telegram_id=1, name="x"), now) == MONDAY
    kiritimati = Therapist(telegram_id=1, name="x", timezone="Pacific/Kiritimati")
    assert assignments.today_for(kiritimati, now) == MONDAY + timedelta(days=1)
    honolulu = Therapist(telegram_id=1, name="x", timezone="Pacific/Honolulu")
    assert assignments.today_for(honolulu, now) == MONDAY


# --- creating ---------------------------------------------------------------------------


async def test_starting_today_delivers_today_only_where_the_partners_time_is_ahead(
    database: Database, clock: ManualClock, library: Library
) -> None:
    # 09:00 UTC: 04:00 in New York (08:00 still ahead), 18:00 in Tokyo (08:00 passed).
    world = await make_world(database, clock, library)
    created = await world.assign("gratitude-week", MONDAY)
    ana, luis = await world.partner(ANA), await world.partner(LUIS)

    rows = await world.deliveries()
    assert [(r.partner_id, r.day, r.local_date, r.due_at, r.status) for r in rows] == [
        (ana.id, 1, MONDAY, utc(2026, 11, 23, 13, 0), "planned"),
        (luis.id, 1, MONDAY + timedelta(days=1), utc(2026, 11, 23, 23, 0), "planned"),
    ]
    assert all(
        r.scheduled_at == r.due_at and r.exercise_slug == "gratitude-three-things" for r in rows
    )
    assert {pid: d.id if d else None for pid, d in created.first.items()} == {
        ana.id: rows[0].id,
        luis.id: rows[1].id,
    }
    assert created.assignment.status == "active" and created.assignment.start_date == MONDAY


async def test_a_later_start_date_is_day_one_in_each_partners_calendar(
    database: Database, clock: ManualClock, library: Library
) -> None:
    world = await make_world(database, clock, library, times=("19:15", "07:30"))
    await world.assign("gratitude-week", date(2026, 11, 30))
    rows = await world.deliveries()
    assert [(r.local_date, r.due_at) for r in rows] == [
        (date(2026, 11, 30), utc(2026, 12, 1, 0, 15)),  # 19:15 in New York (UTC-5)
        (date(2026, 11, 30), utc(2026, 11, 29, 22, 30)),  # 07:30 in Tokyo (UTC+9)
    ]


async def test_a_couple_can_have_several_assignments_at_once(
    database: Database, clock: ManualClock, library: Library
) -> None:
    world = await make_world(database, clock, library)
    first = await world.assign("gratitude-week")
    clock.advance(timedelta(minutes=1))
    second = await world.assign("weekly-check-in")
    assert len(await world.deliveries(first.assignment.id)) == 2
    assert len(await world.deliveries(second.assignment.id)) == 4  # 2 items x 2 partners

    async with database.session() as session:
        found = await assignments.progress_for(
            session=session, therapist=world.owner, public_id=world.public_id, now=clock.now()
        )
    assert found is not None
    assert [p.assignment.set_slug for p in found[1]] == ["weekly-check-in", "gratitude-week"]
    assert [p.counts for p in found[1]] == [{"planned": 4}, {"planned": 2}]
    assert all(p.day == 0 for p in found[1])


async def test_what_cannot_be_assigned_is_refused_and_nothing_is_stored(
    database: Database, clock: ManualClock, library: Library
) -> None:
    world = await make_world(database, clock, library, both=False)
    async with database.session() as session:
        lee = await therapists.grant(session=session, telegram_id=DR_LEE, name="Dr. Lee")
        theirs = await couples.create(
            session=session, therapist=lee, label="theirs", now=clock.now(), ttl=TTL
        )

    async def attempt(owner: Therapist, public_id: str, slug: str) -> object:
        async with database.session() as session:
            return await assignments.create(
                session=session,
                therapist=owner,
                public_id=public_id,
                set_slug=slug,
                start_date=MONDAY,
                library=library,
                now=clock.now(),
            )

    assert await attempt(world.owner, world.public_id, "gratitude-week") is AssignProblem.INCOMPLETE
    assert await attempt(lee, world.public_id, "gratitude-week") is AssignProblem.NOT_FOUND
    assert await attempt(world.owner, "zzzzzz", "gratitude-week") is AssignProblem.NOT_FOUND
    assert await attempt(world.owner, theirs[0].couple.public_id, "x") is AssignProblem.NOT_FOUND
    assert await attempt(lee, theirs[0].couple.public_id, "no-such-set") is (
        AssignProblem.INCOMPLETE
    )
    async with database.session() as session:
        await couples.archive(
            session=session, therapist=world.owner, public_id=world.public_id, now=clock.now()
        )
    assert await attempt(world.owner, world.public_id, "gratitude-week") is AssignProblem.ARCHIVED
    async with database.session() as session:
        assert (await session.exec(select(Assignment))).all() == []
    assert await world.deliveries() == []


async def test_an_unknown_set_is_refused(
    database: Database, clock: ManualClock, library: Library
) -> None:
    world = await make_world(database, clock, library)
    async with database.session() as session:
        result = await assignments.create(
            session=session,
            therapist=world.owner,
            public_id=world.public_id,
            set_slug="no-such-set",
            start_date=MONDAY,
            library=library,
            now=clock.now(),
        )
    assert result is AssignProblem.UNKNOWN_SET
    assert await world.deliveries() == []


# --- progress, pause, resume, cancel ----------------------------------------------------


async def progress(world: World) -> list[assignments.Progress]:
    async with world.database.session() as session:
        found = await assignments.progress_for(
            session=session, therapist=world.owner, public_id=world.public_id, now=world.clock.now()
        )
    assert found is not None
    return found[1]


async def test_progress_counts_deliveries_by_status_and_the_furthest_day_begun(
    database: Database, clock: ManualClock, library: Library
) -> None:
    world = await make_world(database, clock, library)
    created = await world.assign("gratitude-week")
    rows = await world.deliveries()
    await world.set_status(rows[0].id, "done")
    async with database.session() as session:
        later = Delivery(
            assignment_id=created.assignment.id or 0,
            partner_id=rows[0].partner_id,
            day=3,
            exercise_slug="partner-positive-traits",
            local_date=MONDAY + timedelta(days=2),
            scheduled_at=clock.now(),
            due_at=clock.now(),
            status="sent",
        )
        session.add(later)

    (item,) = await progress(world)
    assert item.counts == {"done": 1, "planned": 1, "sent": 1}
    assert item.day == 3  # planned rows have not begun: Luis's day 1 does not count
    async with database.session() as session:
        assert (
            await assignments.progress_for(
                session=session, therapist=world.owner, public_id="zzzzzz", now=clock.now()
            )
            is None
        )


async def test_pause_and_resume_change_only_the_right_state(
    database: Database, clock: ManualClock, library: Library
) -> None:
    world = await make_world(database, clock, library)
    assignment_id = (await world.assign()).assignment.id
    assert assignment_id is not None
    async with database.session() as session:
        lee = await therapists.grant(session=session, telegram_id=DR_LEE, name="Dr. Lee")

    async def act(action: str, owner: Therapist | None = None) -> assignments.Changed | None:
        who = owner or world.owner
        async with database.session() as session:
            if action == "pause":
                return await assignments.pause(
                    session=session, therapist=who, assignment_id=assignment_id, now=clock.now()
                )
            return await assignments.resume(
                session=session, therapist=who, assignment_id=assignment_id
            )

    assert await act("resume") is None  # not paused
    assert await act("pause", lee) is None  # not theirs
    paused = await act("pause")
    assert paused is not None and paused.couple.public_id == world.public_id
    assert (paused.assignment.status, paused.assignment.paused_at) == ("paused", clock.now())
    assert await act("pause") is None  # a second tap on a stale button
    clock.advance(timedelta(hours=1))
    resumed = await act("resume")
    assert resumed is not None
    assert (resumed.assignment.status, resumed.assignment.paused_at) == ("active", None)
    assert [row.status for row in await world.deliveries()] == ["planned", "planned"]


async def test_cancel_cancels_only_planned_deliveries_once(
    database: Database, clock: ManualClock, library: Library
) -> None:
    world = await make_world(database, clock, library)
    mine = (await world.assign()).assignment.id
    other = (await world.assign("weekly-check-in")).assignment.id
    assert mine is not None
    rows = await world.deliveries(mine)
    await world.set_status(rows[0].id, "sent")

    async def cancel() -> assignments.Changed | None:
        async with database.session() as session:
            return await assignments.cancel(
                session=session, therapist=world.owner, assignment_id=mine, now=clock.now()
            )

    async with database.session() as session:
        opened = await assignments.get_open(
            session=session, therapist=world.owner, assignment_id=mine
        )
    assert opened is not None and opened.assignment.status == "active"
    cancelled = await cancel()
    assert cancelled is not None
    assert (cancelled.assignment.status, cancelled.assignment.ended_at) == (
        "cancelled",
        clock.now(),
    )
    assert [row.status for row in await world.deliveries(mine)] == ["sent", "cancelled"]
    assert {row.status for row in await world.deliveries(other)} == {"planned"}
    assert await cancel() is None
    async with database.session() as session:
        stale = await assignments.get_open(
            session=session, therapist=world.owner, assignment_id=mine
        )
    assert stale is None


# --- replanning after a change of time or zone -----------------------------------------


async def test_a_new_time_or_zone_moves_only_planned_deliveries(
    database: Database, clock: ManualClock, library: Library
) -> None:
    world = await make_world(database, clock, library, zones=("Europe/Berlin", "Europe/Berlin"))
    await world.assign("gratitude-week", date(2026, 11, 24))
    first = await world.assign("weekly-check-in", date(2026, 11, 24))
    ana = await world.partner(ANA)
    ana_rows = [
        row for row in await world.deliveries(first.assignment.id) if row.partner_id == ana.id
    ]
    await world.set_status(ana_rows[0].id, "sent")

    async with database.session() as session:
        await membership.update_preferences(session=session, partner=ana, delivery_time="20:30")
    moved = {
        (row.assignment_id, row.item): row
        for row in await world.deliveries()
        if row.partner_id == ana.id
    }
    assert moved[(first.assignment.id, 0)].due_at == utc(2026, 11, 24, 7, 0)  # sent: untouched
    assert moved[(first.assignment.id, 1)].due_at == utc(2026, 11, 24, 19, 30)
    assert all(
        row.due_at == row.scheduled_at == utc(2026, 11, 24, 19, 30)
        for key, row in moved.items()
        if key != (first.assignment.id, 0)
    )

    async with database.session() as session:
        await membership.update_preferences(session=session, partner=ana, timezone="Asia/Tokyo")
    moved = {
        (row.assignment_id, row.item): row
        for row in await world.deliveries()
        if row.partner_id == ana.id
    }
    assert moved[(first.assignment.id, 0)].due_at == utc(2026, 11, 24, 7, 0)
    assert moved[(first.assignment.id, 1)].due_at == utc(2026, 11, 24, 11, 30)  # 20:30 in Tokyo
    luis_rows = [row for row in await world.deliveries() if row.partner_id != ana.id]
    assert {row.due_at for row in luis_rows} == {utc(2026, 11, 24, 7, 0)}  # Luis: unchanged
