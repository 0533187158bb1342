"""The delivery engine against the fake Bot API, in virtual time.

Each partner gets each day's item at their own local time, exactly once, across
restarts, DST, Telegram's limits and several dispatchers.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.db.engine import Database
from bot.services import deliveries
from tests.delivery_world import World, world
from tests.fakebotapi import RateLimits, Window

MONDAY = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)
TICK = timedelta(minutes=1)


@pytest.fixture
async def w(database: Database) -> AsyncIterator[World]:
    async with world(database, MONDAY, rate_limits=False) as w:
        yield w


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


async def test_each_partner_receives_at_their_own_local_time(w: World) -> None:
    couple, (ana, ben) = await w.couple(
        (1001, "Ana", "America/New_York", "08:00"), (1002, "Ben", "Europe/Berlin", "08:00")
    )
    kiri, (kai, _lea) = await w.couple(
        (1003, "Kai", "Pacific/Kiritimati", "08:00"), (1004, "Lea", "Europe/Berlin", "20:00")
    )
    await w.assign(couple, "gratitude-week", date(2026, 11, 24))
    await w.assign(kiri, "gratitude-week", date(2026, 11, 24))
    dispatcher = await w.dispatcher()
    user = w.tg.user

    await w.run_until(dispatcher, utc(2026, 11, 23, 17, 59), TICK)
    assert [w.exercises(user(i)) for i in (1001, 1002, 1003, 1004)] == [[], [], [], []]

    await w.run_until(dispatcher, utc(2026, 11, 23, 18, 0), TICK)  # 08:00 Nov 24 in +14
    assert len(w.exercises(user(1003))) == 1
    await w.run_until(dispatcher, utc(2026, 11, 24, 7, 0), TICK)  # 08:00 Berlin
    assert len(w.exercises(user(1002))) == 1 and w.exercises(user(1001)) == []
    await w.run_until(dispatcher, utc(2026, 11, 24, 13, 0), TICK)  # 08:00 New York
    assert len(w.exercises(user(1001))) == 1
    await w.run_until(dispatcher, utc(2026, 11, 24, 19, 0), TICK)  # 20:00 Berlin
    assert len(w.exercises(user(1004))) == 1

    first = w.exercises(user(1001))[0]
    assert ("Day 1" in first and "Ana" in first) or "Ben" in first
    sent = await w.deliveries(status="sent")
    assert {d.partner_id for d in sent} == {ana.id, ben.id, kai.id, _lea.id}


async def test_an_assignment_starting_today_delivers_only_if_the_time_is_still_ahead(
    w: World,
) -> None:
    w.at(utc(2026, 11, 23, 12, 0))  # 13:00 Berlin, 07:00 New York
    couple, (ana, ben) = await w.couple(
        (1001, "Ana", "America/New_York", "08:00"), (1002, "Ben", "Europe/Berlin", "08:00")
    )
    await w.assign(couple, "daily-connection", date(2026, 11, 23))

    planned = {d.partner_id: d.local_date for d in await w.deliveries(status="planned")}

    assert planned == {ana.id: date(2026, 11, 23), ben.id: date(2026, 11, 24)}


@pytest.mark.parametrize(
    ("zone", "at", "first_day", "days"),
    [
        ("America/New_York", "02:30", date(2026, 3, 6), 5),  # spring forward: 2:30 missing
        ("America/New_York", "01:30", date(2026, 10, 30), 5),  # fall back: 1:30 twice
        ("Europe/Berlin", "02:30", date(2026, 3, 27), 5),
        ("Europe/Berlin", "02:30", date(2026, 10, 23), 5),
        ("Australia/Lord_Howe", "02:15", date(2026, 10, 2), 5),  # 30-minute spring forward
        ("Australia/Lord_Howe", "01:45", date(2026, 4, 3), 5),  # 30-minute fall back
    ],
)
async def test_dst_never_skips_or_doubles_a_day(
    database: Database, zone: str, at: str, first_day: date, days: int
) -> None:
    start = datetime.combine(first_day - timedelta(days=1), datetime.min.time(), UTC)
    async with world(database, start, rate_limits=False) as w:
        # Quiet hours off: a night-time delivery time is exactly what is under test here.
        couple, (ana, _ben) = await w.couple(
            (1001, "Ana", zone, at), (1002, "Ben", "UTC", "12:00"), quiet=("00:00", "00:00")
        )
        await w.assign(couple, "daily-connection", first_day)
        dispatcher = await w.dispatcher(grace=timedelta(hours=6), remind_after=None)
        await w.run_until(dispatcher, start + timedelta(days=days + 2), timedelta(minutes=15))

        mine = [d for d in await w.deliveries() if d.partner_id == ana.id and d.sent_at]
        local_days = [d.local_date for d in mine]
        # Consecutive local days from the first one: none skipped, none doubled.
        assert len(local_days) >= days + 1
        assert local_days == [first_day + timedelta(days=n) for n in range(len(local_days))]
        assert len(w.exercises(w.tg.user(1001))) == len(mine)
        for delivery in mine:  # sent at (or within one tick after) the planned instant
            assert delivery.sent_at is not None
            assert timedelta(0) <= delivery.sent_at - delivery.scheduled_at < timedelta(minutes=15)


async def test_downtime_inside_the_grace_window_sends_late_outside_marks_missed(
    w: World,
) -> None:
    couple, (ana, ben) = await w.couple(
        (1001, "Ana", "UTC", "08:00"), (1002, "Ben", "UTC", "14:00")
    )
    await w.assign(couple, "daily-connection", date(2026, 11, 23))
    dispatcher = await w.dispatcher(grace=timedelta(hours=6))

    w.at(utc(2026, 11, 23, 16, 0))  # the bot was down since midnight
    await dispatcher.tick()

    by_partner = {d.partner_id: d for d in await w.deliveries(local_date=date(2026, 11, 23))}
    assert by_partner[ana.id].status == "missed"  # 8 hours late
    assert by_partner[ben.id].status == "sent"  # 2 hours late
    assert w.exercises(w.tg.user(1001)) == []
    # Missing a day does not stop the program: tomorrow is planned for both.
    tomorrow = await w.deliveries(local_date=date(2026, 11, 24))
    assert {d.partner_id for d in tomorrow} == {ana.id, ben.id}


async def test_a_crash_between_send_and_record_resends_at_most_once_and_counts_it(
    w: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    couple, _ = await w.couple((1001, "Ana", "UTC", "08:00"), (1002, "Ben", "UTC", "08:00"))
    await w.assign(couple, "daily-connection", date(2026, 11, 23))
    crashing = await w.dispatcher()

    class KilledError(Exception):
        """The process dies after Telegram accepted the message, before it is recorded."""

    async def crash(**_: object) -> None:
        raise KilledError

    monkeypatch.setattr(deliveries, "settle_send", crash)
    w.at(utc(2026, 11, 23, 8, 0))
    with pytest.raises(ExceptionGroup) as crashed:
        await crashing.tick()
    assert crashed.group_contains(KilledError)
    monkeypatch.undo()
    delivered_before = len(w.exercises(w.tg.user(1001))) + len(w.exercises(w.tg.user(1002)))

    restarted = await w.dispatcher()
    await restarted.tick()  # the lease still holds: nothing is sent twice yet
    assert len(w.exercises(w.tg.user(1001))) + len(w.exercises(w.tg.user(1002))) == delivered_before
    w.at(utc(2026, 11, 23, 8, 3))  # the lease has expired
    await restarted.tick()

    today = await w.deliveries(local_date=date(2026, 11, 23))
    assert {d.status for d in today} == {"sent"}
    for user_id in (1001, 1002):
        assert 1 <= len(w.exercises(w.tg.user(user_id))) <= 2  # never lost, at most one repeat
    # Both were in flight when the process died: both outcomes were unknown, counted once.
    assert [d.unknown_outcomes for d in today] == [1, 1]


async def test_crashes_during_the_resend_never_give_up_on_a_delivery(
    w: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    couple, _ = await w.couple((1001, "Ana", "UTC", "08:00"), (1002, "Ben", "UTC", "08:00"))
    await w.assign(couple, "daily-connection", date(2026, 11, 23))

    class KilledError(Exception):
        """The process dies after Telegram accepted the message, before it is recorded."""

    async def crash(**_: object) -> None:
        raise KilledError

    w.at(utc(2026, 11, 23, 8, 0))
    for _ in range(3):  # killed three times in a row, each time during the (re)send
        monkeypatch.setattr(deliveries, "settle_send", crash)
        with pytest.raises(ExceptionGroup):
            await (await w.dispatcher()).tick()
        monkeypatch.undo()
        w.at(w.clock.now() + timedelta(minutes=3))  # the lease expires
    await (await w.dispatcher()).tick()

    today = await w.deliveries(local_date=date(2026, 11, 23))
    # Each crash may have repeated the sends in flight, but none is given up on: a
    # "failed" here would be a day's exercise lost if the sends had not arrived.
    assert {d.status for d in today} == {"sent"}
    assert [d.unknown_outcomes for d in today] == [3, 3]
    for user_id in (1001, 1002):  # at most one repeat per crash
        assert 1 <= len(w.exercises(w.tg.user(user_id))) <= 4


async def test_blocked_partner_becomes_unreachable_and_the_therapist_is_told_once(
    w: World,
) -> None:
    couple, (ana, _ben) = await w.couple(
        (1001, "Ana", "UTC", "08:00"), (1002, "Ben", "UTC", "08:00")
    )
    await w.assign(couple, "daily-connection", date(2026, 11, 23))
    dispatcher = await w.dispatcher()
    w.tg.block(1001)

    await w.run_until(dispatcher, utc(2026, 11, 25, 9, 0), TICK)

    assert (await w.partner(ana.id)).unreachable_at is not None
    statuses = [
        d.status for d in await w.deliveries() if d.partner_id == ana.id and d.sent_at is None
    ]
    assert statuses.count("unreachable") == 3  # three days recorded, none sent
    notices = [t for t in w.texts(w.tg.user(w.therapist_id)) if "can't be reached" in t]
    assert len(notices) == 1 and "Ana" in notices[0]
    assert len(w.exercises(w.tg.user(1002))) == 3  # the other partner is unaffected


async def test_429_storm_every_delivery_once_and_nothing_sent_during_retry_after(
    database: Database,
) -> None:
    strict = RateLimits(overall=Window(10, 1.0), private_chat=Window(1, 1.0))
    async with world(database, MONDAY, rate_limits=strict) as w:
        couples = [
            await w.couple(
                (2000 + 2 * n, f"A{n}", "UTC", "08:00"), (2001 + 2 * n, f"B{n}", "UTC", "08:00")
            )
            for n in range(30)
        ]
        for couple, _ in couples:
            await w.assign(couple, "gratitude-week", date(2026, 11, 23))
        # Deliberately faster than the fake allows, to provoke 429s. One send at a time:
        # a request already in flight when a 429 arrives cannot be recalled, so what is
        # checked is that nothing *starts* while a known retry_after is in force.
        dispatcher = await w.dispatcher(rate=30, batch=200, concurrency=1)
        w.tg.fail_next("sendMessage", status=429, retry_after=3, times=5)

        await w.run_until(dispatcher, utc(2026, 11, 23, 8, 10), timedelta(seconds=2))

        today = await w.deliveries(local_date=date(2026, 11, 23))
        assert len(today) == 60 and {d.status for d in today} == {"sent"}
        for _couple, partners in couples:
            for partner in partners:
                assert len(w.exercises(w.tg.user(partner.telegram_id))) == 1
        stats = w.tg.rate_limit_stats
        assert stats.total_429 >= 5
        assert stats.violations == 0


async def test_two_dispatchers_on_one_database_send_each_delivery_once(
    w: World, database_url: str
) -> None:
    for n in range(20):
        couple, _ = await w.couple(
            (3000 + 2 * n, f"A{n}", "UTC", "08:00"), (3001 + 2 * n, f"B{n}", "UTC", "08:00")
        )
        await w.assign(couple, "daily-connection", date(2026, 11, 23))
    second_database = Database(database_url)
    first = await w.dispatcher(batch=15)
    second = await w.dispatcher(database=second_database, batch=15)
    w.at(utc(2026, 11, 23, 8, 0))

    for _ in range(4):
        await asyncio.gather(first.tick(), second.tick())
    await second_database.dispose()

    sent = await w.deliveries(local_date=date(2026, 11, 23))
    assert len(sent) == 40 and {d.status for d in sent} == {"sent"}
    for n in range(40):
        assert len(w.exercises(w.tg.user(3000 + n))) == 1


async def test_quiet_hours_hold_a_late_delivery_until_morning(w: World) -> None:
    couple, (ana, _ben) = await w.couple(
        (1001, "Ana", "Europe/Berlin", "21:50"), (1002, "Ben", "Europe/Berlin", "09:00")
    )
    await w.assign(couple, "daily-connection", date(2026, 11, 23))
    dispatcher = await w.dispatcher()

    w.at(utc(2026, 11, 23, 21, 5))  # 22:05 Berlin: fifteen minutes late, now quiet hours
    await dispatcher.tick()
    assert w.exercises(w.tg.user(1001)) == []
    await w.run_until(dispatcher, utc(2026, 11, 24, 6, 0), TICK)  # 07:00 Berlin

    ana_today = [
        d for d in await w.deliveries(local_date=date(2026, 11, 23)) if d.partner_id == ana.id
    ]
    assert ana_today[0].status == "sent"
    assert ana_today[0].sent_at == utc(2026, 11, 24, 6, 0)


async def test_one_gentle_reminder_never_in_quiet_hours_never_after_the_next_item(
    w: World,
) -> None:
    couple, _ = await w.couple((1001, "Ana", "UTC", "08:00"), (1002, "Ben", "UTC", "19:00"))
    await w.assign(couple, "daily-connection", date(2026, 11, 23))
    dispatcher = await w.dispatcher(remind_after=timedelta(hours=6))

    await w.run_until(dispatcher, utc(2026, 11, 24, 9, 0), TICK)

    ana, ben = w.tg.user(1001), w.tg.user(1002)
    # A reminder is the exercise's own text, replying to the exercise message.
    assert len([m for m in ana.messages if m.from_bot and m.reply_to]) == 1  # day 1 only so far
    # Ben's 19:00 item would be reminded at 01:00: quiet hours, so at 07:00 instead.
    ben_reminders = [m for m in ben.messages if m.from_bot and m.reply_to]
    assert len(ben_reminders) == 1
    assert ben_reminders[0].date == utc(2026, 11, 24, 7, 0)


async def test_a_lost_answer_is_an_unknown_outcome_repeated_once_and_counted(w: World) -> None:
    couple, (ana, _ben) = await w.couple(
        (1001, "Ana", "UTC", "08:00"), (1002, "Ben", "UTC", "09:00")
    )
    await w.assign(couple, "daily-connection", date(2026, 11, 23))
    dispatcher = await w.dispatcher()
    # Telegram stores the message, then the connection drops before the answer arrives.
    w.tg.drop_response_next("sendMessage")

    await w.run_until(dispatcher, utc(2026, 11, 23, 8, 5), timedelta(seconds=30))

    [first_day] = [
        d for d in await w.deliveries(local_date=date(2026, 11, 23)) if d.partner_id == ana.id
    ]
    assert first_day.status == "sent"
    assert first_day.unknown_outcomes == 1
    assert len(w.exercises(w.tg.user(1001))) == 2  # the documented, counted duplicate
