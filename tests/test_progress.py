"""Shared progress: tallies and the joint streak, as rules and on a real database."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from bot.db.engine import Database
from bot.services import pausing, progress
from bot.services.progress import Day, classify, joint_streak
from tests.reporting_world import deliver, seed, utc

D0 = date(2026, 11, 16)  # a Monday
KINDS = st.sampled_from(list(Day))
# A history of joint days: each day, each partner's kind (dates consecutive from D0).
HISTORIES = st.lists(st.tuples(KINDS, KINDS), max_size=30)


def as_days(history: list[tuple[Day, Day]]) -> list[dict[date, Day]]:
    ana = {D0 + timedelta(days=n): a for n, (a, _b) in enumerate(history)}
    ben = {D0 + timedelta(days=n): b for n, (_a, b) in enumerate(history)}
    return [ana, ben]


def reference_streak(history: list[tuple[Day, Day]]) -> int:
    """The rule written the other way round: complete days after the last breaking day."""
    joint = [progress.combine(list(pair)) for pair in history]
    breaks = [n for n, kind in enumerate(joint) if kind is Day.INCOMPLETE]
    after = joint[breaks[-1] + 1 :] if breaks else joint
    return sum(kind is Day.COMPLETE for kind in after)


@given(HISTORIES)
def test_streak_matches_the_rule_written_the_other_way_round(history):  # type: ignore[no-untyped-def]
    assert joint_streak(as_days(history)) == reference_streak(history)


@given(HISTORIES, st.integers(min_value=0, max_value=30), st.sampled_from([Day.PAUSED, Day.EMPTY]))
def test_a_paused_or_empty_day_anywhere_neither_breaks_nor_extends(history, where, kind):  # type: ignore[no-untyped-def]
    where = min(where, len(history))
    with_gap = [*history[:where], (kind, kind), *history[where:]]

    assert joint_streak(as_days(with_gap)) == joint_streak(as_days(history))


@given(HISTORIES, KINDS)
def test_one_partner_paused_pauses_the_whole_day(history, other):  # type: ignore[no-untyped-def]
    paused = [*history, (Day.PAUSED, other)]

    assert joint_streak(as_days(paused)) == joint_streak(as_days(history))


@given(HISTORIES)
def test_today_still_open_never_breaks_the_streak(history):  # type: ignore[no-untyped-def]
    today = [*history, (Day.OPEN, Day.COMPLETE)]

    assert joint_streak(as_days(today)) == joint_streak(as_days(history))


@given(HISTORIES)
def test_a_complete_day_extends_and_a_breaking_day_resets(history):  # type: ignore[no-untyped-def]
    before = joint_streak(as_days(history))

    assert joint_streak(as_days([*history, (Day.COMPLETE, Day.EMPTY)])) == before + 1
    assert joint_streak(as_days([*history, (Day.COMPLETE, Day.INCOMPLETE)])) == 0


def test_classify_one_partners_day() -> None:
    assert classify(["done", "done"], ongoing=False) is Day.COMPLETE
    assert classify(["done", "skipped"], ongoing=False) is Day.INCOMPLETE
    assert classify(["sent"], ongoing=False) is Day.INCOMPLETE  # left open, day over
    assert classify(["sent"], ongoing=True) is Day.OPEN  # today, still time
    assert classify(["done", "planned"], ongoing=True) is Day.OPEN  # more to come today
    assert classify(["missed"], ongoing=True) is Day.INCOMPLETE  # missed is final
    assert classify(["held", "done"], ongoing=False) is Day.PAUSED
    assert classify(["done"], ongoing=False, paused=True) is Day.PAUSED
    assert classify(["cancelled"], ongoing=False) is Day.EMPTY
    assert classify([], ongoing=True) is Day.EMPTY


async def test_streak_across_the_dst_change_in_both_partners_zones(database: Database) -> None:
    # Berlin falls back on Sun 2026-10-25, New York on Sun 2026-11-01.
    world = await seed(database, start=date(2026, 10, 20))
    ana, ben = world.partners
    for n in range(14):  # Oct 20 .. Nov 2, every day done by both
        day = date(2026, 10, 20) + timedelta(days=n)
        await deliver(database, world, ana, day, "done", at=progress_time(n))
        await deliver(database, world, ben, day, "done", at=progress_time(n))

    # 00:30 on Nov 3 in Berlin, still Nov 2 evening in New York (18:30).
    now = utc(2026, 11, 2, 23, 30)
    async with database.session() as session:
        assert world.couple.id is not None
        result = await progress.for_couple(session=session, couple_id=world.couple.id, now=now)

    assert [p.today for p in result.partners] == [date(2026, 11, 3), date(2026, 11, 2)]
    assert result.streak == 14
    assert result.total.done == 28 and result.total.due == 28


def progress_time(n: int):  # type: ignore[no-untyped-def]
    """Times around the DST night, including one that does not exist on a spring day."""
    from datetime import time

    return [time(0, 30), time(2, 30), time(23, 30), time(9, 0)][n % 4]


async def test_a_pause_in_the_middle_pauses_the_streak(database: Database) -> None:
    world = await seed(database)
    ana, ben = world.partners
    plan = ["done", "done", "held", "held", "done"]
    for n, status in enumerate(plan):
        for partner in (ana, ben):
            await deliver(database, world, partner, D0 + timedelta(days=n), status)
    now = utc(2026, 11, 21, 12)  # Saturday: Mon..Fri above are over for both

    async with database.session() as session:
        result = await progress.for_couple(session=session, couple_id=world.couple.id, now=now)  # type: ignore[arg-type]

    assert result.streak == 3
    assert result.week.done == 6 and result.week.paused == 4 and result.week.due == 6


async def test_a_pause_in_force_today_pauses_even_without_held_rows(database: Database) -> None:
    world = await seed(database)
    ana, ben = world.partners
    for n in range(3):
        for partner in (ana, ben):
            await deliver(database, world, partner, D0 + timedelta(days=n), "done")
    # Ben left Thursday's item open, then paused on Friday: Thursday still breaks.
    await deliver(database, world, ana, D0 + timedelta(days=3), "done")
    await deliver(database, world, ben, D0 + timedelta(days=4), "sent")
    async with database.session() as session:
        partner = await session.get(type(ben), ben.id)
        assert partner is not None
        await pausing.pause(session=session, partner=partner, days=None, now=utc(2026, 11, 20, 8))

    async with database.session() as session:
        result = await progress.for_couple(
            session=session,
            couple_id=world.couple.id,  # type: ignore[arg-type]
            now=utc(2026, 11, 23, 12),
        )

    # Fri (open, but paused) .. Mon: paused; Thu: Ana done, Ben nothing due: complete.
    assert result.streak == 4


async def test_today_not_over_does_not_break_but_a_skip_does(database: Database) -> None:
    world = await seed(database)
    ana, ben = world.partners
    for n in range(3):
        for partner in (ana, ben):
            await deliver(database, world, partner, D0 + timedelta(days=n), "done")
    today = D0 + timedelta(days=3)
    await deliver(database, world, ana, today, "done")
    ben_today = await deliver(database, world, ben, today, "sent")
    now = utc(2026, 11, 19, 20)  # Thursday evening in both zones

    async def streak() -> int:
        async with database.session() as session:
            found = await progress.for_couple(
                session=session,
                couple_id=world.couple.id,  # type: ignore[arg-type]
                now=now,
            )
        return found.streak

    assert await streak() == 3
    for status, expected in (("done", 4), ("skipped", 0)):
        async with database.session() as session:
            row = await session.get(type(ben_today), ben_today.id)
            assert row is not None
            row.status = status
            session.add(row)
        assert await streak() == expected


async def test_tallies_this_week_and_all_time(database: Database) -> None:
    world = await seed(database, start=date(2026, 11, 9))
    ana, ben = world.partners
    await deliver(database, world, ana, date(2026, 11, 10), "done")  # last week
    await deliver(database, world, ana, D0, "done")
    await deliver(database, world, ana, D0 + timedelta(days=1), "skipped")
    await deliver(database, world, ben, D0, "missed")
    await deliver(database, world, ben, D0 + timedelta(days=1), "done")
    await deliver(database, world, ben, D0 + timedelta(days=2), "planned")

    async with database.session() as session:
        result = await progress.for_couple(
            session=session,
            couple_id=world.couple.id,  # type: ignore[arg-type]
            now=utc(2026, 11, 18, 6),
        )

    week_ana, week_ben = (p.week for p in result.partners)
    assert (week_ana.done, week_ana.skipped, week_ana.due) == (1, 1, 2)
    assert (week_ben.done, week_ben.missed, week_ben.due) == (1, 1, 2)
    assert result.partners[0].total.done == 2
    assert (result.week.done, result.week.due, result.total.due) == (2, 4, 5)
    cells = result.partners[0].cells
    assert len(cells) == progress.CHART_DAYS
    assert cells[D0] == progress.Cell(done=1, due=1, paused=False)
