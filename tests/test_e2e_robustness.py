"""Whatever arrives, the user gets a clear, friendly reply and nothing breaks."""

from __future__ import annotations

from bot.context import TwofoldApp
from tests.fakebotapi import FakeTelegram


async def test_an_unknown_command_is_answered(tg: FakeTelegram, bot: TwofoldApp) -> None:
    ana = tg.user(1001, "Ana")
    await ana.send("/frobnicate now")
    await ana.wait_for(r"I don't know that command. Send /help")


async def test_photos_and_stickers_get_a_kind_answer(tg: FakeTelegram, bot: TwofoldApp) -> None:
    ana = tg.user(1001, "Ana")
    await ana.send_sticker()
    await ana.wait_for(r"I can only read text messages")
    await ana.send_photo(caption="our weekend")
    await ana.wait_for(r"I can only read text messages")


async def test_the_bot_says_goodbye_to_a_group_and_leaves(
    tg: FakeTelegram, bot: TwofoldApp
) -> None:
    ana = tg.user(1001, "Ana")
    group = tg.group(-100200, "Family")
    await group.send(ana, "/start")
    await group.wait_for(r"I only work in private chats")
    await tg.wait_for_call("leaveChat")
    assert tg.calls_to("leaveChat")[0]["chat_id"] == -100200
    # Nothing was answered to the command itself in the group.
    assert [m.text for m in group.messages] == [
        "I only work in private chats. Please message me directly. Goodbye!"
    ]


async def test_a_failure_mid_update_becomes_an_apology_and_the_bot_carries_on(
    tg: FakeTelegram, bot: TwofoldApp
) -> None:
    ana = tg.user(1001, "Ana")
    tg.fail_next("sendMessage", status=500)
    await ana.send("/start")
    await ana.wait_for(r"Sorry, something went wrong on my side")
    await ana.send("/start")
    await ana.wait_for(r"Twofold")
    assert not any("Traceback" in m.text for m in ana.messages)
