"""The command menu and /help text per role, from one list so they never disagree."""

from __future__ import annotations

import logging
from html import escape

from telegram import BotCommand, BotCommandScopeAllPrivateChats, BotCommandScopeChat
from telegram.error import TelegramError
from telegram.ext import ExtBot

from bot.i18n import DEFAULT_LANGUAGE, LANGUAGES, N_, Gettext, translator
from bot.services.identity import Identity, Role

logger = logging.getLogger(__name__)

# The bot's profile: shown in an empty chat before /start (description, at most 512
# characters) and on the profile page and in shares (short description, at most 120).
# Someone may find the bot in a bad moment, so both say first what it is not.
DESCRIPTION = N_(
    "Twofold delivers the homework your couples therapist gives you, in your own chat and "
    "at your own local time. What you write is encrypted and shared only as the exercise "
    "and your settings say.\n\n"
    "Twofold is not an emergency service. If you or someone else is in danger, call your "
    "local emergency number now.\n\n"
    "To begin, open the invite link your therapist sent you."
)
SHORT_DESCRIPTION = N_(
    "Homework from your couples therapist, at your own time. Not an emergency service."
)

_START = ("start", N_("Start, or open an invite link"))
_HELP = ("help", N_("What I can do for you"))
# Privacy commands: every role may see, copy and erase what is stored about them.
_PRIVACY = [
    ("privacy", N_("What is stored about you and who sees it")),
    ("mydata", N_("Get a file with everything stored about you")),
    ("deleteme", N_("Erase what you wrote and your settings")),
]

COMMANDS: dict[Role, list[tuple[str, str]]] = {
    Role.STRANGER: [_START, *_PRIVACY, _HELP],
    Role.PARTNER: [
        ("today", N_("What is planned for you today")),
        ("progress", N_("How you are doing together, with a picture")),
        ("pause", N_("Pause your exercises: /pause, or /pause <days>")),
        ("resume", N_("Start your exercises again after a pause")),
        ("quiet", N_("Hours when nothing arrives: /quiet 22:00-07:00")),
        ("settings", N_("Your name, time zone, delivery time, language and sharing")),
        ("time", N_("Change when exercises arrive")),
        ("timezone", N_("Change your time zone")),
        ("language", N_("Change your language")),
        ("name", N_("Change the name others see")),
        ("clear", N_("Delete our recent messages from this chat")),
        ("safetyplan", N_("Your private safety plan for hard moments")),
        ("tell", N_("Send your therapist a private message: /tell <message>")),
        ("leave", N_("Leave your couple in Twofold")),
        *_PRIVACY,
        _HELP,
    ],
    Role.THERAPIST: [
        ("newcouple", N_("Create a couple and get its invite links")),
        ("couples", N_("Your couples and their status")),
        ("couple", N_("One couple in detail: /couple <id>")),
        ("invite", N_("Fresh invite links: /invite <id>")),
        ("archive", N_("End a couple's program: /archive <id>")),
        ("assign", N_("Assign an exercise set: /assign <id> <set> [YYYY-MM-DD]")),
        ("assignments", N_("A couple's sets and progress: /assignments <id>")),
        ("report", N_("A couple's completion, ratings and shared answers: /report <id> [weeks]")),
        ("export", N_("A couple's history as CSV and JSON files: /export <id>")),
        ("brief", N_("A one-page summary before a session: /brief <id>")),
        ("flags", N_("A couple's open safety flags, to mark as seen: /flags <id>")),
        ("digest", N_("Turn the Monday digest on or off: /digest on|off")),
        ("library", N_("Browse the exercise sets")),
        ("settings", N_("Your time zone and language")),
        ("timezone", N_("Change your time zone")),
        ("language", N_("Change your language")),
        *_PRIVACY,
        _HELP,
    ],
}


def bot_commands(role: Role, _: Gettext) -> list[BotCommand]:
    return [BotCommand(name, _(description)) for name, description in COMMANDS[role]]


def help_lines(role: Role, _: Gettext) -> list[str]:
    # Descriptions are plain text in the menu but HTML in /help ("/couple <id>").
    return [
        f"/{name} — {escape(_(description), quote=False)}" for name, description in COMMANDS[role]
    ]


async def publish_default_menus(bot: ExtBot[int]) -> None:
    """Set the menu every private chat sees before Twofold knows the person."""
    scope = BotCommandScopeAllPrivateChats()
    for language in LANGUAGES:
        await bot.set_my_commands(
            bot_commands(Role.STRANGER, translator(language)),
            scope=scope,
            language_code=None if language == DEFAULT_LANGUAGE else language,
        )


async def publish_profile(bot: ExtBot[int]) -> None:
    """Set the bot's description and short description in every language, where changed."""
    for language in LANGUAGES:
        _ = translator(language)
        code = None if language == DEFAULT_LANGUAGE else language
        # Read first: an unchanged text is not set again at each start (Telegram limits
        # how often a bot may change its profile). A failure only leaves the old text in
        # place, so it is logged and never stops the bot from starting.
        try:
            current = await bot.get_my_description(language_code=code)
            if current.description != _(DESCRIPTION):
                await bot.set_my_description(_(DESCRIPTION), language_code=code)
        except TelegramError as error:
            logger.warning("could not set the bot's description (%s): %s", language, error)
        try:
            short = await bot.get_my_short_description(language_code=code)
            if short.short_description != _(SHORT_DESCRIPTION):
                await bot.set_my_short_description(_(SHORT_DESCRIPTION), language_code=code)
        except TelegramError as error:
            logger.warning("could not set the bot's short description (%s): %s", language, error)


async def publish_menu_for(bot: ExtBot[int], identity: Identity) -> None:
    """Show this person the commands of their role, in their language."""
    await bot.set_my_commands(
        bot_commands(identity.role, translator(identity.language)),
        scope=BotCommandScopeChat(identity.telegram_id),
    )
