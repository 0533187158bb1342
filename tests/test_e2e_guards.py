"""Flood protection and /clear, end to end against the fake Bot API."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from bot.clock import ManualClock
from bot.context import TwofoldApp
from bot.handlers.discreet import BATCH, REACH
from bot.handlers.menu import COMMANDS
from bot.services.flood import BURST, QUIET
from bot.services.identity import Role
from tests import e2e
from tests.fakebotapi import FakeTelegram, RateLimits, Window

SLOW_DOWN = r"Please slow down a little"


@pytest.fixture
async def tg(clock: ManualClock) -> AsyncIterator[FakeTelegram]:
    """The fake shares the bot's clock, so message dates (and the 48-hour rule) follow it."""
    limits = RateLimits(private_chat=Window(30, 1.0))
    async with FakeTelegram(token=e2e.TOKEN, rate_limits=limits, wall_clock=clock.now) as fake:
        yield fake


async def test_a_flooding_user_is_told_once_and_others_are_not_affected(
    tg: FakeTelegram, bot: TwofoldApp, clock: ManualClock
) -> None:
    flooder, bob = tg.user(1001, "Mallory"), tg.user(1002, "Bob")
    sent = []
    for n in range(BURST + 20):
        sent.append(await flooder.send(f"message {n}"))
        if n == BURST + 5:
            await bob.send("/help")
    await bob.wait_for(r"what you can do", timeout=10)
    await bob.send("/help")
    await bob.wait_for(r"what you can do", timeout=10)
    # People are served concurrently (bot/update_processor.py): Bob's reply no longer
    # means the flooder's queue is done, so wait for the flooder's own notice too.
    await flooder.wait_for(SLOW_DOWN, timeout=10)

    notices = [m for m in flooder.messages if re.search(SLOW_DOWN, m.text or "")]
    assert len(notices) == 1
    # The notice quotes the first message that was not read, so the user knows where.
    assert notices[0].reply_to is sent[BURST]
    assert len(flooder.messages) == BURST + 1  # the burst was answered, the rest dropped

    # After a pause the flooder is served again, and not told twice. The pause must come
    # after the flooder's last dropped updates are handled, or they would be dated after it.
    await tg.wait_until(lambda: None if bot.update_processor.current_concurrent_updates else 1)
    clock.advance(QUIET + timedelta(seconds=1))
    await flooder.send("/help")
    await flooder.wait_for(r"what you can do", timeout=10)
    assert sum(bool(re.search(SLOW_DOWN, m.text or "")) for m in flooder.messages) == 1


async def test_every_dropped_button_press_is_answered(tg: FakeTelegram, bot: TwofoldApp) -> None:
    mallory = tg.user(1001, "Mallory")
    await mallory.send("/start")
    greeting = await mallory.wait_for()
    queries = [await mallory.press_data(greeting, "nothing:here") for _ in range(BURST + 5)]
    answers = [await mallory.wait_for_answer(q, timeout=10) for q in queries]
    assert all(a == "This is no longer available." for a in answers[: BURST - 1])
    assert all(a is not None and a.startswith("Too many taps") for a in answers[BURST:])


async def test_clear_deletes_the_last_48_hours_and_then_its_own_note(
    tg: FakeTelegram, bot: TwofoldApp, clock: ManualClock
) -> None:
    ana = tg.user(1001, "Ana")
    await ana.send("/start")
    old_reply = await ana.wait_for(r"Hello, Ana")
    clock.advance(timedelta(hours=49))
    await ana.send("/help")
    recent_reply = await ana.wait_for(r"what you can do")
    clear = await ana.send("/clear")
    note = await ana.wait_for(r"Clear history")

    history = {m.message_id: m for m in ana.history}
    gone = {mid for mid, m in history.items() if m.deleted}
    # Everything from the last 48 hours (both sides, /clear included) is gone ...
    assert {recent_reply.message_id, clear.message_id, recent_reply.message_id - 1} <= gone
    # ... older messages stay (Telegram refuses), which is why the note explains "Clear history".
    assert not old_reply.deleted and not history[old_reply.message_id - 1].deleted
    assert not note.deleted
    calls = tg.calls_to("deleteMessages")
    assert 1 <= len(calls) <= REACH // BATCH
    assert all(1 <= len(c["message_ids"]) <= BATCH for c in calls)
    assert not [e for e in tg.errors if e.method.startswith("delete")]

    # The note removes itself a minute later (the job is run here instead of waited for).
    await ana.send("/help")  # updates are handled in order: /clear has fully finished
    await ana.wait_for(r"what you can do")
    assert bot.job_queue is not None
    (job,) = [j for j in bot.job_queue.jobs() if j.name and j.name.startswith("clear-note:")]
    await job.run(bot)
    assert note.deleted


def test_clear_is_in_the_partner_menu() -> None:
    assert "clear" in [name for name, _ in COMMANDS[Role.PARTNER]]
