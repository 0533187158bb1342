"""Send results are recorded in groups, and grouping loses nothing.

The dispatcher writes what Telegram answered in one transaction per group of results
that finished together (docs/delivery.md, "Recording in groups"). A result not yet
recorded is the same case as a crash between send and record: the lease brings the
delivery back as an unknown outcome, resent at most once, never lost.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import Any

import pytest

from bot.db.engine import Database
from bot.delivery import dispatcher as dispatcher_module
from bot.delivery import messages
from bot.services import deliveries
from tests.delivery_world import World, world

MONDAY = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)
EIGHT = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
LEASE_EXPIRED = datetime(2026, 11, 23, 8, 3, tzinfo=UTC)
PEOPLE = range(4001, 4009)  # four couples


@pytest.fixture
async def w(database: Database) -> AsyncIterator[World]:
    async with world(database, MONDAY, rate_limits=False) as w:
        for first in PEOPLE[::2]:
            couple, _ = await w.couple(
                (first, f"A{first}", "UTC", "08:00"), (first + 1, f"B{first}", "UTC", "08:00")
            )
            await w.assign(couple, "daily-connection", date(2026, 11, 23))
        yield w


def received(w: World, user_id: int) -> int:
    return len(w.exercises(w.tg.user(user_id)))


async def test_a_burst_is_recorded_in_groups_and_each_next_day_is_planned(
    w: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    groups: list[int] = []
    settle = deliveries.settle_send

    async def counting(**kwargs: Any) -> Any:
        groups.append(len(kwargs["results"]))
        return await settle(**kwargs)

    monkeypatch.setattr(deliveries, "settle_send", counting)
    dispatcher = await w.dispatcher(concurrency=8)
    w.at(EIGHT)

    report = await dispatcher.tick()

    assert report.sent == 8 and sum(groups) == 8
    assert len(groups) < 8  # results that finished together shared a transaction
    today = await w.deliveries(local_date=date(2026, 11, 23))
    assert {d.status for d in today} == {"sent"} and len(today) == 8
    tomorrow = await w.deliveries(local_date=date(2026, 11, 24))
    assert len(tomorrow) == 8 and {d.status for d in tomorrow} == {"planned"}
    assert [received(w, user) for user in PEOPLE] == [1] * 8


async def test_a_crash_before_a_group_is_recorded_loses_nothing_and_resends_only_it(
    w: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    class KilledError(Exception):
        """The process dies after the first group was recorded, before the second."""

    settle = deliveries.settle_send
    calls = 0

    async def crash_on_second_group(**kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise KilledError
        return await settle(**kwargs)

    monkeypatch.setattr(deliveries, "settle_send", crash_on_second_group)
    monkeypatch.setattr(dispatcher_module, "SETTLE_GROUP", 3)
    crashing = await w.dispatcher(concurrency=1)
    w.at(EIGHT)
    with pytest.raises(ExceptionGroup) as crashed:
        await crashing.tick()
    assert crashed.group_contains(KilledError)
    monkeypatch.undo()
    recorded = {d.id for d in await w.deliveries(status="sent")}
    assert 1 <= len(recorded) <= 3  # the first group, and only it
    arrived_before = {user: received(w, user) for user in PEOPLE}

    restarted = await w.dispatcher()
    await restarted.tick()  # the leases still hold: nothing is repeated yet
    w.at(LEASE_EXPIRED)
    await restarted.tick()

    today = await w.deliveries(local_date=date(2026, 11, 23))
    assert len(today) == 8 and {d.status for d in today} == {"sent"}  # nothing lost
    never_attempted = 0
    for delivery in today:
        user = (await w.partner(delivery.partner_id)).telegram_id
        if delivery.id in recorded:  # a known outcome is never repeated
            assert (delivery.unknown_outcomes, received(w, user)) == (0, 1)
        elif arrived_before[user]:  # started, not recorded: unknown, resent once, counted
            assert delivery.unknown_outcomes == 1 and received(w, user) == 2
        else:  # never arrived: sent once now; unknown only if its send had started
            assert delivery.unknown_outcomes <= 1 and received(w, user) == 1
            never_attempted += delivery.unknown_outcomes == 0
    # Most of the claim was never attempted: due again, not counted as unknown outcomes.
    assert never_attempted >= 3


async def test_a_failing_send_still_records_the_sends_that_finished(
    w: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    render = messages.exercise_message
    rendered = 0

    def broken_fourth(*args: Any, **kwargs: Any) -> Any:
        nonlocal rendered
        rendered += 1
        if rendered == 4:
            raise RuntimeError("a bug in one message")
        return render(*args, **kwargs)

    monkeypatch.setattr(messages, "exercise_message", broken_fourth)
    dispatcher = await w.dispatcher(concurrency=1)
    w.at(EIGHT)

    with pytest.raises(ExceptionGroup) as failed:
        await dispatcher.tick()

    assert failed.group_contains(RuntimeError)
    today = await w.deliveries(local_date=date(2026, 11, 23))
    sent = [d for d in today if d.status == "sent"]
    # The three sends before the broken one were answered and are recorded as sent, so
    # they will never be repeated; the rest wait for their lease, as after any crash.
    assert len(sent) == 3 and all(d.unknown_outcomes == 0 for d in sent)
    assert {d.status for d in today if d not in sent} == {"sending"}
    assert sum(received(w, user) for user in PEOPLE) == 3


async def test_the_next_batch_is_claimed_while_the_last_sends_of_one_are_still_going(
    w: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    events: list[str] = []
    reclaim, send = deliveries.reclaim_expired, dispatcher_module.sender.send

    async def logged_claim(**kwargs: Any) -> Any:  # a claim's first step
        events.append("claiming")
        return await reclaim(**kwargs)

    async def logged_send(*args: Any, **kwargs: Any) -> Any:
        result = await send(*args, **kwargs)
        events.append("sent")
        return result

    monkeypatch.setattr(deliveries, "reclaim_expired", logged_claim)
    monkeypatch.setattr(dispatcher_module.sender, "send", logged_send)
    dispatcher = await w.dispatcher(batch=3, concurrency=2)
    w.at(EIGHT)

    report = await dispatcher.tick()

    assert report.sent == 8 and [received(w, user) for user in PEOPLE] == [1] * 8
    # Batches of 3, 3 and 2: each next claim started before the batch before it had been
    # sent in full, so the claim's round trips overlap the sends instead of pausing them.
    sent_before_claims = [events[:i].count("sent") for i, e in enumerate(events) if e == "claiming"]
    assert sent_before_claims[0] == 0
    assert sent_before_claims[1] < 3 and sent_before_claims[2] < 6
    assert events.count("claiming") == 3


async def test_a_failing_batch_stops_the_tick_claiming_more(
    w: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("a bug in every message")

    monkeypatch.setattr(messages, "exercise_message", broken)
    dispatcher = await w.dispatcher(batch=2, concurrency=1)
    w.at(EIGHT)

    with pytest.raises(ExceptionGroup):
        await dispatcher.tick()

    statuses = sorted(d.status for d in await w.deliveries(local_date=date(2026, 11, 23)))
    # The first batch waits for its lease; the other three were never claimed.
    assert statuses == ["planned"] * 6 + ["sending"] * 2
