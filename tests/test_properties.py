"""Property tests: whatever a person types or taps, every handler answers without crashing,
in valid Telegram HTML.

Hypothesis generates arbitrary text (plain, and after every registered command), arbitrary
`/start` payloads and arbitrary callback data (1-64 bytes, plain and after every registered
button prefix), sent as a stranger, a partner and a therapist. Each update goes through
`app.process_update` against the fake Bot API, which rejects invalid HTML and entities.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.app import ALLOWED_UPDATES
from bot.clock import ManualClock
from bot.context import TwofoldApp, TwofoldContext
from bot.handlers.errors import is_not_modified
from bot.library.telegram_html import MAX_MESSAGE_LENGTH, check_telegram_html
from tests import e2e, flows
from tests.fakebotapi import FakeTelegram, FakeUser

EXAMPLES = settings(
    max_examples=75,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
ROLES = ["stranger", "partner", "therapist"]


# A second tap on a button that edits its message to a fixed text ("Nothing changed.") gets
# Telegram's 400 "message is not modified"; the error handler treats exactly that as
# harmless (`errors.is_not_modified`), so it is the one error allowed to reach it here.
def known(error: BaseException | None) -> bool:
    return is_not_modified(error)


@dataclass
class World:
    tg: FakeTelegram
    app: TwofoldApp
    clock: ManualClock
    users: dict[str, FakeUser]
    crashes: list[BaseException | None] = field(default_factory=list)

    def commands(self) -> list[str]:
        return sorted(
            {c for group in self.app.handlers.values() for h in group
             if isinstance(h, CommandHandler) for c in h.commands}
        )  # fmt: skip

    def button_prefixes(self) -> list[str]:
        found = set()
        for group in self.app.handlers.values():
            for handler in group:
                if isinstance(handler, CallbackQueryHandler) and handler.pattern is not None:
                    pattern = getattr(handler.pattern, "pattern", handler.pattern)
                    if isinstance(pattern, str):
                        found.add(pattern.lstrip("^").split("(")[0].replace("\\", ""))
        return sorted(found)

    async def deliver(self, role: str, send: Any) -> None:
        """Create the update on the fake, hand it to the app, check everything the bot did."""
        self.clock.advance(timedelta(seconds=2))  # a person's pace: never a flood
        user = self.users[role]
        calls, errors = len(self.tg.calls), len(self.tg.errors)
        self.crashes.clear()
        await send(user)
        data = self.tg.state.updates.history[-1]
        await self.app.process_update(Update.de_json(data, self.app.bot))
        crashes = [c for c in self.crashes if not known(c)]
        assert crashes == [], f"{role}: {data!r} reached the error handler"
        refused = [
            (e.method, e.description)
            for e in self.tg.errors[errors:]
            # The harmless double tap above (and any apology to an already answered query).
            if not (
                "message is not modified" in e.description
                or (self.crashes and e.method == "answerCallbackQuery")
            )
        ]
        assert refused == [], f"{role}: Telegram refused {refused} in reply to {data!r}"
        for call in self.tg.calls[calls:]:
            text = call.params.get("text")
            if call.method in ("sendMessage", "editMessageText") and text is not None:
                problem = check_telegram_html(str(text), max_length=MAX_MESSAGE_LENGTH)
                assert problem is None, f"{role}: invalid reply to {data!r}: {problem}"


@pytest.fixture
async def world(database_url: str, clock: ManualClock, tmp_path: Path) -> AsyncIterator[World]:
    async with FakeTelegram(token=e2e.TOKEN, rate_limits=False, wall_clock=clock.now) as tg:
        settings_ = e2e.settings_for(tg, database_url, tmp_path)
        async with e2e.running_bot(settings_, clock) as app:
            await flows.grant_therapist(app, 2001, "Dr. Marta")
            marta, ana = tg.user(2001, "Marta"), tg.user(1001, "Ana")
            stranger = tg.user(3001, "Sam")
            _, code, _ = await flows.new_couple(marta, "Ana & Ben")
            await flows.onboard(ana, code)
            await stranger.send("/start")
            await stranger.wait_for()
            # From here on the test hands each update to the app itself.
            assert app.updater is not None
            await app.updater.stop()
            world = World(tg, app, clock, {"stranger": stranger, "partner": ana,
                                           "therapist": marta})  # fmt: skip

            async def record(update: object, context: TwofoldContext) -> None:
                world.crashes.append(context.error)

            app.add_error_handler(record)
            try:
                yield world
            finally:
                await app.updater.start_polling(  # for teardown
                    poll_interval=0.0, timeout=1, allowed_updates=ALLOWED_UPDATES
                )


def utf8_at_most(limit: int) -> st.SearchStrategy[str]:
    return st.text(min_size=1, max_size=limit).filter(lambda s: len(s.encode()) <= limit)


TEXT = st.text(min_size=1, max_size=300).filter(lambda s: s.strip() != "")


@EXAMPLES
@given(role=st.sampled_from(ROLES), text=TEXT, command=st.none() | st.integers(0, 10**6))
async def test_any_text_or_command_argument_gets_a_valid_answer(
    world: World, role: str, text: str, command: int | None
) -> None:
    commands = world.commands()
    message = text if command is None else f"/{commands[command % len(commands)]} {text}"
    await world.deliver(role, lambda user: user.send(message[:4096]))


@EXAMPLES
@given(
    role=st.sampled_from(ROLES),
    payload=utf8_at_most(64) | st.from_regex(r"[\w-]{1,64}", fullmatch=True),
)
async def test_any_start_payload_gets_a_valid_answer(world: World, role: str, payload: str) -> None:
    await world.deliver(role, lambda user: user.send(f"/start {payload}"))


@EXAMPLES
@given(role=st.sampled_from(ROLES), suffix=utf8_at_most(64), prefix=st.integers(0, 10**6))
async def test_any_callback_data_gets_a_valid_answer(
    world: World, role: str, suffix: str, prefix: int
) -> None:
    prefixes = ["", *world.button_prefixes()]
    data = (prefixes[prefix % len(prefixes)] + suffix).encode()[:64].decode(errors="ignore")
    user = world.users[role]
    target = user.messages[-1] if not user.messages[-1].deleted else user.messages[0]
    await world.deliver(role, lambda u: u.press_data(target, data or "x"))
