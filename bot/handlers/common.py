"""Small helpers every handler uses: who is asking, and in which language to answer."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from telegram import Update

from bot.context import TwofoldContext
from bot.i18n import Gettext, translator
from bot.services.identity import Identity, identify


@dataclass(frozen=True, slots=True)
class Caller:
    identity: Identity
    _: Gettext


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
