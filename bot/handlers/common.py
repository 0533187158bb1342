"""Small helpers every handler uses: who is asking, in which language, how to reply."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.context import TwofoldContext
from bot.db.models import NoticeKind
from bot.delivery.notices import NoticeOutcome
from bot.i18n import Gettext, translator
from bot.services.identity import Identity, Role, identify

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Caller:
    identity: Identity
    _: Gettext

    @property
    def role(self) -> Role:
        return self.identity.role


async def caller(update: Update, context: TwofoldContext) -> Caller:
    """Identify the sender of `update` and pick their language."""
    user = update.effective_user
    assert user is not None  # handlers are only registered for updates with a sender
    async with context.services.database.session() as session:
        identity = await identify(
            session=session, telegram_id=user.id, language_code=user.language_code
        )
    return Caller(identity, translator(identity.language))


def esc(text: str) -> str:
    """Escape user-provided text for Telegram HTML."""
    return escape(text, quote=False)


ECHO_LIMIT = 64  # what a reply repeats of something a person typed (an id, a name)


def echo(text: str, limit: int = ECHO_LIMIT) -> str:
    """Escape a short echo of user input: cut to `limit` characters, marked with "…"."""
    text = " ".join(text.split())
    return esc(text if len(text) <= limit else text[: limit - 1].rstrip() + "…")


def keyboard(rows: Sequence[Sequence[tuple[str, str]]]) -> InlineKeyboardMarkup:
    """An inline keyboard from rows of (label, callback data)."""
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in rows]
    )


def command_argument(update: Update) -> str:
    """Everything after the command word, stripped (`/name Ana Lucía` -> `Ana Lucía`)."""
    message = update.effective_message
    text = message.text if message and message.text else ""
    # NUL is never part of a real argument, and PostgreSQL text cannot hold it.
    parts = text.replace("\x00", "").split(maxsplit=1)
    return parts[1].strip() if len(parts) == 2 else ""


async def reply(update: Update, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    message = update.effective_message
    assert message is not None
    await message.reply_text(text, reply_markup=markup)


async def notify(
    context: TwofoldContext,
    telegram_id: int,
    text: str,
    markup: InlineKeyboardMarkup | None = None,
    *,
    kind: NoticeKind,
    about: int | None = None,
) -> NoticeOutcome:
    """Message another person through the outbox: tried now, retried until it arrives.

    The action that triggers a notification (a join, a leave) has already been
    committed; failing to tell someone now must not undo it or confuse the actor, and
    a transient error must not lose the notice (docs/delivery.md, "Notices").
    """
    return await context.services.notices.deliver(
        context.bot, telegram_id, text, markup, kind=kind, about=about
    )


def couple_not_found(me: Caller, public_id: str) -> str:
    """The answer for a couple id that is unknown *or another therapist's*.

    One text for both, so a therapist cannot probe which ids exist.
    """
    return me._("I can't find a couple with the id {id}. Send /couples to see yours.").format(
        id=echo(public_id or "—")
    )


async def not_for_you(update: Update, me: Caller) -> None:
    """Answer a command this role may not use, the same way whatever the reason."""
    await reply(update, me._("That command isn't available to you. Send /help to see yours."))
