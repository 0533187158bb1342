"""How many database transactions one update costs, for the main flows (docs/architecture.md).

Every transaction on SQLite is a `BEGIN IMMEDIATE` (the write lock) and a durable commit,
so the count is the cost of an update. The ceilings are today's figures: an update that
needs more fails here, and one that needs fewer should lower its ceiling.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from bot.clock import ManualClock
from bot.context import TwofoldApp
from tests import flows
from tests.fakebotapi import FakeTelegram, FakeUser
from tests.test_e2e_answers import DAY1, couple_with

# Measured 2026-12-02 (before the unit-of-work change of issue 15).
CEILINGS = {"setup answer": 7, "exercise answer": 7, "rating button": 3, "/report": 3}


@contextmanager
def counting(app: TwofoldApp) -> Iterator[list[int]]:
    """Count the transactions begun on the bot's database inside the block."""
    engine = flows.services(app).database.engine.sync_engine
    count = [0]

    def begun(_connection: Any) -> None:
        count[0] += 1

    event.listen(engine, "begin", begun)
    try:
        yield count
    finally:
        event.remove(engine, "begin", begun)


async def cost(
    app: TwofoldApp, user: FakeUser, act: Callable[[], Awaitable[object]], reply: str | None
) -> int:
    """Transactions for one update of `user`, until its last effect.

    A person's updates are handled in order, so once a /help sent after it is answered,
    everything the update did (notices through the outbox included) is finished; /help's
    own cost is measured the same way and taken off.
    """

    async def marker() -> None:
        await user.send("/help")
        await user.wait_for(r"what you can do")

    with counting(app) as alone:
        await marker()
        await marker()
    with counting(app) as total:
        await act()
        if reply is not None:
            await user.wait_for(reply)
        await marker()
    return total[0] - alone[0] // 2


def within_ceilings(measured: dict[str, int]) -> None:
    print(f"transactions per update: {measured}")
    for flow, count in measured.items():
        assert count <= CEILINGS[flow], f"{flow}: {count} transactions, ceiling {CEILINGS[flow]}"


async def test_a_setup_answer(tg: FakeTelegram, bot: TwofoldApp) -> None:
    await flows.grant_therapist(bot, 2001)
    marta, ana = tg.user(2001, "Marta"), tg.user(1001, "Ana")
    _public_id, code_a, _code_b = await flows.new_couple(marta, "Costs")
    await flows.accept_invite(ana, code_a)
    await ana.press(await ana.wait_for(r"What name should"), re.compile(".+"))
    await ana.wait_for(r"Which time zone")
    setup = await cost(bot, ana, lambda: ana.send("Europe/Berlin"), r"At what time of day")
    within_ceilings({"setup answer": setup})


async def test_an_answer_a_button_and_a_report(
    tg: FakeTelegram, bot: TwofoldApp, clock: ManualClock
) -> None:
    marta, ana, _ben, couple = await couple_with(tg, bot, "love-maps-week")
    clock.set(DAY1)
    await flows.services(bot).dispatcher.tick()
    await ana.wait_for(r"Day 1")
    measured = {}
    measured["exercise answer"] = await cost(
        bot, ana, lambda: ana.send("I worry about my sister's health."), r"Saved your answer"
    )
    rating = next(m for m in reversed(ana.messages) if "How helpful" in (m.text or ""))
    measured["rating button"] = await cost(
        bot, ana, lambda: ana.press(rating, re.compile("4")), None
    )
    measured["/report"] = await cost(bot, marta, lambda: marta.send(f"/report {couple}"), r"Ana")
    within_ceilings(measured)
