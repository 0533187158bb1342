"""/leave: a partner leaves their couple; the other partner is never told who or why."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.context import TwofoldContext
from bot.db.models import NoticeKind
from bot.handlers.common import caller, esc, keyboard, not_for_you, notify, reply
from bot.handlers.menu import publish_menu_for
from bot.i18n import translator
from bot.services import conversations, membership
from bot.services.identity import Identity, Role
from bot.services.membership import LeaveOutcome


async def leave(update: Update, context: TwofoldContext) -> None:
    """Ask the partner to confirm leaving, saying exactly who will be told what."""
    me = await caller(update, context)
    if me.role is not Role.PARTNER:
        await not_for_you(update, me)
        return
    _ = me._
    await reply(
        update,
        _(
            "Leave your couple in Twofold? Your exercises stop. Your partner will only be "
            "told that exercises are on hold, not who left or why. Your therapist will be "
            "told that you left."
        ),
        keyboard([[(_("Leave"), "leave:yes"), (_("Stay"), "leave:no")]]),
    )


async def on_leave_button(update: Update, context: TwofoldContext) -> None:
    """Leave on confirmation; tell the other partner only that exercises are on hold."""
    query = update.callback_query
    assert query is not None and query.data is not None
    me = await caller(update, context)
    _ = me._
    if me.role is not Role.PARTNER:
        await query.answer(_("This is no longer available."))
        return
    await query.answer()
    if query.data != "leave:yes":
        await query.edit_message_text(_("Good, nothing changed."))
        return
    async with context.services.database.session() as session:
        outcome = await membership.leave(
            session=session, telegram_id=me.identity.telegram_id, now=context.services.clock.now()
        )
        await conversations.end(session=session, telegram_id=me.identity.telegram_id)
    if outcome is None:
        await query.edit_message_text(_("This is no longer available."))
        return
    await query.edit_message_text(
        _(
            "You have left the couple. Nothing you wrote was deleted. If you want to come "
            "back, ask your therapist for a new invite link. Take care."
        )
    )
    await publish_menu_for(
        context.bot, Identity(me.identity.telegram_id, Role.STRANGER, me.identity.language)
    )
    await announce_leaving(context, outcome, outcome.former.display_name)


HANDLERS = [
    CommandHandler("leave", leave),
    CallbackQueryHandler(on_leave_button, pattern=r"^leave:"),
]


async def announce_leaving(context: TwofoldContext, outcome: LeaveOutcome, name: str) -> None:
    """Tell the other partner only that exercises are on hold; tell the therapist who left.

    /leave and /deleteme both use this, so erasing can never tell the partner more.
    """
    if outcome.other is not None:
        o_ = translator(outcome.other.language)
        await notify(
            context,
            outcome.other.telegram_id,
            o_("Your exercises are on hold for now. Your therapist will be in touch."),
            kind=NoticeKind.LEFT,
        )
    t_ = translator(outcome.therapist.language)
    await notify(
        context,
        outcome.therapist.telegram_id,
        t_(
            "{name} left <b>{label}</b>. Their partner was told only that exercises are on hold."
        ).format(name=esc(name), label=esc(outcome.couple.label)),
        kind=NoticeKind.LEFT,
    )
