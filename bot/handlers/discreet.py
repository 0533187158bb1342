"""Discreet mode: `/clear` removes the recent conversation from the chat on the phone.

Telegram lets a bot delete messages in a private chat, its own and the user's, for 48 hours
after they were sent; ids outside that window, or unknown, are skipped by `deleteMessages`.
What is older stays until the user clears the chat history in Telegram itself, so the
confirmation says how, and then deletes itself too.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import cast

from telegram import Update
from telegram.error import TelegramError

from bot.context import TwofoldApp, TwofoldContext
from bot.handlers.common import caller

logger = logging.getLogger(__name__)

BATCH = 100  # the most ids one deleteMessages call accepts
REACH = 5 * BATCH  # message ids below /clear that are tried: generous for 48 hours of chat
NOTE_LIFETIME = timedelta(minutes=1)


def recent_ids(newest: int, reach: int = REACH) -> list[list[int]]:
    """Batches of message ids from `newest` down to `newest - reach + 1`, newest first."""
    ids = list(range(newest, max(0, newest - reach), -1))
    return [sorted(ids[i : i + BATCH]) for i in range(0, len(ids), BATCH)]


async def clear(update: Update, context: TwofoldContext) -> None:
    """Delete the last 48 hours of this chat as far as Telegram allows, then say how to do more."""
    message, chat = update.effective_message, update.effective_chat
    assert message is not None and chat is not None
    _ = (await caller(update, context))._
    # Newest first: if Telegram stops us part way, the most recent (most revealing) is gone.
    for batch in recent_ids(message.message_id):
        try:
            await context.bot.delete_messages(chat.id, batch)
        except TelegramError as exc:
            logger.info("could not delete messages %s-%s: %s", batch[0], batch[-1], exc.message)
    note = await context.bot.send_message(
        chat.id,
        _(
            "Done: I deleted our messages from the last 48 hours, as far as Telegram allows. "
            "Older messages can only be removed by you: open this chat's menu and choose "
            "“Clear history”. This note disappears in a minute."
        ),
    )
    # CallbackContext does not carry its own type into `job_queue`; the app's queue does.
    jobs = cast("TwofoldApp", context.application).job_queue
    assert jobs is not None
    jobs.run_once(
        _delete_note,
        when=NOTE_LIFETIME,
        chat_id=chat.id,
        data=note.message_id,
        name=f"clear-note:{chat.id}:{note.message_id}",
    )


async def _delete_note(context: TwofoldContext) -> None:
    """Remove the /clear confirmation (a one-off job)."""
    job = context.job
    assert job is not None and job.chat_id is not None and isinstance(job.data, int)
    try:
        await context.bot.delete_message(job.chat_id, job.data)
    except TelegramError as exc:
        # Already gone (the user cleared the chat) or blocked: nothing left to hide.
        logger.info("could not delete the /clear note: %s", exc.message)
