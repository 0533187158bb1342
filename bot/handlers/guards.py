"""Guards that run before every handler: replayed updates and floods stop here.

Both are `TypeHandler`s in negative groups (see `bot/handlers/__init__.py`); raising
`ApplicationHandlerStop` ends processing of the update, so no later group runs.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from telegram import Chat, ReplyParameters, Update
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop, TypeHandler

from bot.context import TwofoldContext
from bot.i18n import translator
from bot.services import updates
from bot.services.flood import FloodGate, Verdict

logger = logging.getLogger(__name__)

ONCE_GROUP = -100  # first: a replayed update must not even use up flood budget
FLOOD_GROUP = -99
PRIVATE_GROUP = -98  # then: buttons pressed outside a private chat stop here
FORGET_EVERY = timedelta(hours=6)


async def once_per_update(update: Update, context: TwofoldContext) -> None:
    """Stop an update whose id was already handled (a replayed or redelivered webhook)."""
    services = context.services
    async with services.database.session() as session:
        first = await updates.first_time(
            session=session, update_id=update.update_id, now=services.clock.now()
        )
    if not first:
        logger.info("update %s was already handled; ignoring the copy", update.update_id)
        raise ApplicationHandlerStop


async def forget_old_updates(context: TwofoldContext) -> None:
    """Prune remembered update ids older than `updates.REMEMBER_FOR` (a repeating job)."""
    services = context.services
    async with services.database.session() as session:
        forgotten = await updates.forget_before(
            session=session, cutoff=services.clock.now() - updates.REMEMBER_FOR
        )
    logger.debug("forgot %s processed update ids", forgotten)


class FloodGuard:
    """Drop what a flooding user sends, telling them once what was not read."""

    def __init__(self, gate: FloodGate | None = None) -> None:
        self.gate = gate or FloodGate()

    def handler(self) -> TypeHandler[Update, TwofoldContext, None]:
        return TypeHandler(Update, self.check)

    async def check(self, update: Update, context: TwofoldContext) -> None:
        """Let the update through, or drop it (answering as `Verdict` says)."""
        user = update.effective_user
        # Only what a person sends counts; my_chat_member (block/unblock) always passes.
        if user is None or (update.message is None and update.callback_query is None):
            return
        verdict = self.gate.admit(user.id, context.services.clock.now())
        if verdict is Verdict.ADMIT:
            return
        if verdict is Verdict.NOTIFY:
            logger.info("user %s is flooding; dropping their updates until they pause", user.id)
        _ = translator(user.language_code)
        quiet = int(self.gate.quiet.total_seconds())
        try:
            if update.callback_query is not None:
                # Every press is answered, or its button keeps spinning.
                await update.callback_query.answer(
                    _("Too many taps at once: I didn't take this one. Pause for a few seconds.")
                )
            elif verdict is Verdict.NOTIFY and update.effective_chat is not None:
                await _tell_once(update, context, update.effective_chat, quiet)
        except TelegramError as exc:
            logger.warning("could not tell user %s to slow down: %s", user.id, exc.message)
        raise ApplicationHandlerStop


async def _tell_once(update: Update, context: TwofoldContext, chat: Chat, quiet: int) -> None:
    message = update.message
    user = update.effective_user
    if chat.type != Chat.PRIVATE or message is None or user is None:
        return
    _ = translator(user.language_code)
    text = _(
        "Please slow down a little: you sent a lot of messages very quickly. I did not read "
        "this message, and I won't read anything you send until you pause for {seconds} "
        "seconds. After that, please send again whatever you still need me to see."
    ).format(seconds=quiet)
    # Quoting the first dropped message shows exactly where the unread part begins.
    await context.bot.send_message(
        chat.id,
        text,
        reply_parameters=ReplyParameters(message.message_id, allow_sending_without_reply=True),
    )
