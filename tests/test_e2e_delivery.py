"""A delivered exercise end to end: buttons, stale and forged presses, blocking the bot."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlmodel import select

from bot.clock import ManualClock
from bot.context import TwofoldApp
from bot.db.models import Delivery, Partner
from tests import flows
from tests.fakebotapi import FakeTelegram


async def rows(app: TwofoldApp) -> list[Delivery]:
    async with flows.services(app).database.session() as session:
        return list((await session.exec(select(Delivery).order_by(Delivery.id))).all())  # type: ignore[arg-type]


async def test_done_later_and_stale_buttons(
    tg: FakeTelegram, bot: TwofoldApp, clock: ManualClock
) -> None:
    await flows.grant_therapist(bot, 2001)
    ana, ben = tg.user(1001, "Ana"), tg.user(1002, "Ben")
    public_id, code_a, code_b = await flows.new_couple(tg.user(2001, "Marta"), "Buttons")
    await flows.onboard(ana, code_a, timezone="Europe/Berlin", time="10:00")
    await flows.onboard(ben, code_b, timezone="America/New_York", time="10:00")
    await flows.assign(bot, public_id, "daily-connection", date(2026, 11, 24))
    dispatcher = flows.services(bot).dispatcher

    clock.set(datetime(2026, 11, 24, 9, 0, tzinfo=UTC))  # 10:00 in Berlin
    await dispatcher.tick()
    exercise = await ana.wait_for(r"Day 1")
    query = await ana.press(exercise, "Done")
    assert await ana.wait_for_answer(query) == "Marked as done. Thank you for making the time."

    stale = await ana.press_data(exercise, "dl:done")  # a double tap
    assert await ana.wait_for_answer(stale) == "This is no longer available."

    clock.set(datetime(2026, 11, 24, 15, 0, tzinfo=UTC))  # 10:00 in New York
    await dispatcher.tick()
    bens = await ben.wait_for(r"Day 1")
    later = await ben.press(bens, "Later: 1 hour")
    assert await ben.wait_for_answer(later) == "I'll bring it back at 11:00."
    # No id to forge: a Skip on a message that shows no exercise of his changes nothing.
    forged = await ben.press_data(ben.messages[0], "dl:skip")
    assert await ben.wait_for_answer(forged) == "This is no longer available."

    clock.advance(timedelta(hours=1))
    await dispatcher.tick()
    await ben.wait_for(r"open-ended question is waiting")  # the exercise's own reminder

    statuses = {d.partner_id: d.status for d in await rows(bot) if d.day == 1}
    assert sorted(statuses.values()) == ["done", "sent"]


async def test_blocking_and_unblocking_the_bot_is_noticed(
    tg: FakeTelegram, bot: TwofoldApp
) -> None:
    await flows.grant_therapist(bot, 2001)
    ana = tg.user(1001, "Ana")
    _, code, _ = await flows.new_couple(tg.user(2001, "Marta"), "Blocking")
    await flows.onboard(ana, code)

    async def unreachable() -> bool:
        async with flows.services(bot).database.session() as session:
            partner = (await session.exec(select(Partner))).one()
        return partner.unreachable_at is not None

    # The bot polls again once it has handled an update: wait for that, not for time.
    tg.block(1001)
    for _ in range(50):
        if await unreachable():
            break
        await tg.wait_for_call("getUpdates", timeout=2)
    assert await unreachable()

    tg.unblock(1001)
    for _ in range(50):
        if not await unreachable():
            break
        await tg.wait_for_call("getUpdates", timeout=2)
    assert not await unreachable()
