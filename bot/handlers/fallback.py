"""Replies for anything no other handler understood."""

from __future__ import annotations

from telegram import Update

from bot.context import TwofoldContext
from bot.handlers.common import caller


async def unknown_command(update: Update, context: TwofoldContext) -> None:
    """Answer a command Twofold does not know."""
    assert update.effective_message is not None
    _ = (await caller(update, context))._
    await update.effective_message.reply_text(
        _("I don't know that command. Send /help to see what I can do.")
    )


async def unexpected_text(update: Update, context: TwofoldContext) -> None:
    """Answer free text that no open step is waiting for."""
    assert update.effective_message is not None
    _ = (await caller(update, context))._
    await update.effective_message.reply_text(
        _("I'm not waiting for a message from you right now. Send /help to see what I can do.")
    )


async def unsupported_message(update: Update, context: TwofoldContext) -> None:
    """Answer photos, stickers, voice notes and the like."""
    assert update.effective_message is not None
    _ = (await caller(update, context))._
    await update.effective_message.reply_text(
        _("I can only read text messages. Send /help to see what I can do.")
    )


async def stale_button(update: Update, context: TwofoldContext) -> None:
    """Answer a button no handler recognises (old, or forged) and change nothing."""
    query = update.callback_query
    assert query is not None
    _ = (await caller(update, context))._
    await query.answer(_("This is no longer available."))
