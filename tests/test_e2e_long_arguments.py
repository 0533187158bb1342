"""Every command given a 4,096-character argument answers within Telegram's limits."""

from __future__ import annotations

from datetime import timedelta

from bot.clock import ManualClock
from bot.context import TwofoldApp
from tests.fakebotapi import FakeTelegram
from tests.test_e2e_safety import couple, settled

COMMANDS = [
    "archive",
    "assign",
    "assignments",
    "brief",
    "clear",
    "couple",
    "couples",
    "deleteme",
    "digest",
    "export",
    "flags",
    "help",
    "invite",
    "language",
    "leave",
    "library",
    "mydata",
    "name",
    "newcouple",
    "pause",
    "privacy",
    "progress",
    "quiet",
    "report",
    "resume",
    "safetyplan",
    "settings",
    "start",
    "tell",
    "time",
    "timezone",
    "today",
]
WENT_WRONG = "something went wrong"


def long_argument(command: str) -> str:
    """The command and an argument up to Telegram's 4,096 characters in all."""
    prefix = f"/{command} "
    return prefix + ("k7m2qx" * 700)[: 4096 - len(prefix)]


async def test_every_command_with_a_huge_argument_answers_without_error(
    tg: FakeTelegram, bot: TwofoldApp, clock: ManualClock
) -> None:
    marta, ana, _ben = await couple(tg, bot)
    for user in (marta, ana):
        for command in COMMANDS:
            if command == "deleteme":
                continue  # asks to confirm; tested in the privacy tests
            text = long_argument(command)
            assert len(text) == 4096
            before = len(user.messages)
            clock.advance(timedelta(seconds=30))  # a person's pace: not the flood guard
            await user.send(text)
            await settled(user)
            replies = user.messages[before:]
            assert not any(WENT_WRONG in m.text for m in replies), (user.name, command)
