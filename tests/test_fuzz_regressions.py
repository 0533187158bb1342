"""What the fuzz test (tests/test_properties.py) found, each pinned by a test of its own."""

from __future__ import annotations

import logging

import pytest

from bot.context import TwofoldApp
from tests.fakebotapi import FakeTelegram


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
