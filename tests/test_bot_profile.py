"""The bot's profile texts: set at start-up in every language, only when they changed."""

from __future__ import annotations

from pathlib import Path

from bot.clock import ManualClock
from bot.handlers.menu import DESCRIPTION, SHORT_DESCRIPTION
from bot.i18n import translator
from tests import e2e
from tests.fakebotapi import FakeTelegram

SETTERS = {"setMyDescription", "setMyShortDescription"}


def profile_calls(tg: FakeTelegram) -> list[str]:
    return [call.method for call in tg.state.calls if call.method in SETTERS]


async def test_start_up_sets_both_profile_texts_in_every_language_once(
    tg: FakeTelegram, database_url: str, tmp_path: Path, clock: ManualClock
) -> None:
    settings = e2e.settings_for(tg, database_url, tmp_path)
    async with e2e.running_bot(settings, clock):
        pass

    spanish = translator("es")
    assert tg.state.descriptions[("description", "")] == DESCRIPTION
    assert tg.state.descriptions[("short", "")] == SHORT_DESCRIPTION
    assert tg.state.descriptions[("description", "es")] == spanish(DESCRIPTION)
    assert tg.state.descriptions[("short", "es")] == spanish(SHORT_DESCRIPTION)
    assert spanish(DESCRIPTION) != DESCRIPTION  # translated, not the English fallback
    for text in map(str.lower, tg.state.descriptions.values()):
        assert "not an emergency service" in text or "no es un servicio de emergencia" in text
    first_start = profile_calls(tg)
    assert len(first_start) == 4

    async with e2e.running_bot(settings, clock):  # a restart with nothing changed
        pass

    assert profile_calls(tg) == first_start


async def test_a_refused_profile_text_does_not_stop_the_bot(
    tg: FakeTelegram, database_url: str, tmp_path: Path, clock: ManualClock
) -> None:
    tg.fail_next("setMyDescription", 400, times=10)

    async with e2e.running_bot(e2e.settings_for(tg, database_url, tmp_path), clock):
        alice = tg.user(1001, "Alice")
        await alice.send("/start")
        await alice.wait_for(r"Hello, Alice")

    assert ("description", "") not in tg.state.descriptions
    assert tg.state.descriptions[("short", "")] == SHORT_DESCRIPTION  # the other text still set
