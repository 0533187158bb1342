"""The last line of defence: log the failure, tell the user kindly, never show a traceback."""

from __future__ import annotations

import logging

from telegram import Chat, Update
from telegram.error import BadRequest, TelegramError

from bot.context import TwofoldContext
from bot.i18n import translator

logger = logging.getLogger(__name__)


def is_not_modified(error: BaseException | None) -> bool:
    """Telegram's 400 for editing a message to exactly what it already shows."""
    return isinstance(error, BadRequest) and "message is not modified" in error.message.lower()


async def on_error(update: object, context: TwofoldContext) -> None:
    """Log an exception with its update id and apologise to the user."""
    update_id = update.update_id if isinstance(update, Update) else None
    if is_not_modified(context.error):
        # A double tap on a button that edits its message to the same text: harmless.
        logger.info("update %s: message already showed that text", update_id)
        return
    logger.error("update %s failed", update_id, exc_info=context.error)
    if not isinstance(update, Update):
        return
    chat, user = update.effective_chat, update.effective_user
    _ = translator(user.language_code if user else None)
    text = _("Sorry, something went wrong on my side. Please try again in a moment.")
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(text)
        elif chat is not None and chat.type == Chat.PRIVATE:
            await context.bot.send_message(chat.id, text)
    except TelegramError:
        # The apology itself failed (blocked bot, network): the log above is what matters.
        logger.warning("could not tell the user about the failure of update %s", update_id)
