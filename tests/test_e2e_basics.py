"""The bot end to end: greeting by role, help, menus, fallbacks, groups, errors."""

from __future__ import annotations

from bot.context import TwofoldApp
from bot.services import therapists
from tests.fakebotapi import FakeTelegram


async def test_a_stranger_is_greeted_and_told_how_to_join(
    tg: FakeTelegram, bot: TwofoldApp
) -> None:
    alice = tg.user(1001, "Alice")

    await alice.send("/start")

    greeting = await alice.wait_for(r"Hello, Alice")
    assert "invite link" in greeting.text


async def test_help_lists_the_commands_of_a_stranger(tg: FakeTelegram, bot: TwofoldApp) -> None:
    alice = tg.user(1001, "Alice")

    await alice.send("/help")

    help_text = (await alice.wait_for(r"what you can do")).text
    assert "/start" in help_text
    assert "/newcouple" not in help_text
    assert "not an emergency service" in help_text


async def test_a_therapist_is_greeted_as_one_and_gets_their_menu(
    tg: FakeTelegram, bot: TwofoldApp
) -> None:
    async with bot.bot_data.services.database.session() as session:  # type: ignore[union-attr]
        await therapists.grant(session=session, telegram_id=2001)
    ruiz = tg.user(2001, "Marta")

    await ruiz.send("/start")

    await ruiz.wait_for(r"Welcome back, Marta")
    await ruiz.send("/help")
    assert "/newcouple" in (await ruiz.wait_for(r"what you can do")).text
    menu = [c.command for c in tg.commands(scope={"type": "chat", "chat_id": 2001})]
    assert "newcouple" in menu
