"""The command menu and /help text per role, from one list so they never disagree."""

from __future__ import annotations

from telegram import BotCommand, BotCommandScopeAllPrivateChats, BotCommandScopeChat
from telegram.ext import ExtBot

from bot.i18n import DEFAULT_LANGUAGE, LANGUAGES, N_, Gettext, translator
from bot.services.identity import Identity, Role

_COMMON = [
    ("start", N_("Start, or open an invite link")),
    ("help", N_("What I can do for you")),
]

COMMANDS: dict[Role, list[tuple[str, str]]] = {
    Role.STRANGER: _COMMON,
    Role.PARTNER: _COMMON,
    Role.THERAPIST: _COMMON,
}


def bot_commands(role: Role, _: Gettext) -> list[BotCommand]:
    return [BotCommand(name, _(description)) for name, description in COMMANDS[role]]


def help_lines(role: Role, _: Gettext) -> list[str]:
    return [f"/{name} — {_(description)}" for name, description in COMMANDS[role]]


async def publish_default_menus(bot: ExtBot[None]) -> None:
    """Set the menu every private chat sees before Twofold knows the person."""
    scope = BotCommandScopeAllPrivateChats()
    for language in LANGUAGES:
        await bot.set_my_commands(
            bot_commands(Role.STRANGER, translator(language)),
            scope=scope,
            language_code=None if language == DEFAULT_LANGUAGE else language,
        )


async def publish_menu_for(bot: ExtBot[None], identity: Identity) -> None:
    """Show this person the commands of their role, in their language."""
    await bot.set_my_commands(
        bot_commands(identity.role, translator(identity.language)),
        scope=BotCommandScopeChat(identity.telegram_id),
    )
