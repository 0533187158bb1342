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


async def test_a_button_pressed_in_a_group_is_not_available_and_changes_nothing(
    tg: FakeTelegram, bot: TwofoldApp
) -> None:
    ana = tg.user(1001, "Ana")
    group = tg.group(-100201, "Friends")
    await group.send(ana, "hello")
    goodbye = await group.wait_for(r"I only work in private chats")
    # A forged press of Ana's safety-plan delete button, on the group's message.
    query = await group.press_data(ana, goodbye, "sp:delete")
    assert (
        await ana.wait_for_answer(query)
        == "This is not available here. Please message me directly."
    )
    assert [m.text for m in group.messages] == [goodbye.text], "the group message is unchanged"


async def test_risk_written_in_a_group_gets_private_help_and_no_flag(
    tg: FakeTelegram, bot: TwofoldApp
) -> None:
    ana = tg.user(1001, "Ana")
    await ana.send("/start")
    await ana.wait_for(r"Twofold")
    group = tg.group(-100202, "Family")
    await group.send(ana, "tonight i'm going to take all my pills")
    private = await ana.wait_for(r"You wrote something in a group")
    assert "not monitored in real time" in private.text
    await group.wait_for(r"I only work in private chats")
    assert not any("pills" in m.text or "check in" in m.text for m in group.messages)
