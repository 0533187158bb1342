"""What the fuzz test (tests/test_properties.py) found, each pinned by a test of its own."""

from __future__ import annotations

import logging

import pytest

from bot.context import TwofoldApp
from bot.library import utf16_length
from tests import flows
from tests.fakebotapi import FakeTelegram

SMILE = "😀"  # one character, two UTF-16 code units: Telegram counts the units


async def test_a_message_reaching_a_group_the_bot_already_left_is_no_error(
    tg: FakeTelegram, bot: TwofoldApp, caplog: pytest.LogCaptureFixture
) -> None:
    ana = tg.user(1001, "Ana")
    group = tg.group(-100300, "Family")
    await group.send(ana, "hello")
    await group.wait_for(r"I only work in private chats")
    await tg.wait_for_call("leaveChat")
    # Sent before the bot left, delivered after: there is no one left to say goodbye to.
    with caplog.at_level(logging.ERROR):
        await group.send(ana, "are you still there?")
        await tg.wait_until(lambda: len(tg.calls_to("sendMessage")) == 2)
        await ana.send("/help")
        await ana.wait_for(r"Here is what you can do")
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert [m.text for m in group.messages].count(
        "I only work in private chats. Please message me directly. Goodbye!"
    ) == 1


async def test_a_safety_plan_is_measured_as_telegram_measures_it(
    tg: FakeTelegram, bot: TwofoldApp
) -> None:
    ana = tg.user(1001, "Ana")
    await ana.send("/safetyplan")
    await ana.press(await ana.wait_for(r"A safety plan is a few lines"), "Write my plan")
    await ana.wait_for(r"Write your safety plan in one message")
    # 2,010 characters but 4,010 units: it used to be saved, and then never shown again.
    await ana.send("My signs: " + SMILE * 2000)
    await ana.wait_for(r"A plan can be up to 3000 characters")

    await ana.send("/safetyplan")
    await ana.press(await ana.wait_for(r"A safety plan is a few lines"), "Write my plan")
    await ana.send(SMILE * 1500)  # 3,000 units: as long as a plan can be
    await ana.wait_for(r"Your safety plan is saved")
    await ana.send("/safetyplan")
    shown = await ana.wait_for(r"Your safety plan")
    assert shown.text.endswith(SMILE * 1500) and utf16_length(shown.text) <= 4096
    assert not [e for e in tg.errors if e.method == "sendMessage"]


async def test_a_tell_is_measured_as_telegram_measures_it(
    tg: FakeTelegram, bot: TwofoldApp
) -> None:
    await flows.grant_therapist(bot, 2001, "Marta")
    marta, ana = tg.user(2001, "Marta"), tg.user(1001, "Ana")
    _, code, _ = await flows.new_couple(marta, "Ana & Ben")
    await flows.onboard(ana, code)
    # 1,800 characters but 3,600 units: it went nowhere, and Ana was told to try again later.
    await ana.send("/tell " + SMILE * 1800)
    await ana.wait_for(r"A message can be up to 3500 characters")
    await ana.send("/tell " + SMILE * 1750)  # 3,500 units: as long as a message can be
    await ana.wait_for(r"Sent\. Only your therapist can read it")
    told = await marta.wait_for(r"Private message from")
    assert told.text.endswith(SMILE * 1750) and utf16_length(told.text) <= 4096
    assert not [e for e in tg.errors if e.method == "sendMessage"]
