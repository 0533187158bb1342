"""Buttons on a delivered exercise: Done, Skip, Later."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler

from bot.context import TwofoldContext
from bot.handlers.common import caller
from bot.services import completion
from bot.services.completion import Action
from bot.services.localtime import local_now


async def on_exercise_button(update: Update, context: TwofoldContext) -> None:
    """Mark an exercise done or skipped, or bring it back later."""
    query, user = update.callback_query, update.effective_user
    assert query is not None and query.data is not None and user is not None
    me = await caller(update, context)
    _ = me._
    _prefix, raw_id, raw_action = [*query.data.split(":", 2), "", ""][:3]
    try:
        delivery_id, action = int(raw_id), Action(raw_action)
    except ValueError:
        await query.answer(_("This is no longer available."))
        return
    now = context.services.clock.now()
    async with context.services.database.session() as session:
        acted = await completion.act(
            session=session, delivery_id=delivery_id, telegram_id=user.id, action=action, now=now
        )
    if acted is None:
        await query.answer(_("This is no longer available."))
        return
    if action is Action.DONE:
        await query.answer(_("Marked as done. Thank you for making the time."))
        await query.edit_message_reply_markup(None)
    elif action is Action.SKIP:
        await query.answer(_("Skipped. That's okay: there is always the next one."))
        await query.edit_message_reply_markup(None)
    else:
        assert acted.remind_at is not None
        at = local_now(acted.remind_at, acted.partner.timezone).strftime("%H:%M")
        await query.answer(_("I'll bring it back at {time}.").format(time=at))


HANDLERS = [CallbackQueryHandler(on_exercise_button, pattern=r"^dl:")]
