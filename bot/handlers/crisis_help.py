"""Answer crisis language and "I need help now": the person's own plan first, then helplines.

Nothing in this module ever writes to the other partner's chat (docs/safety.md).
"""

from __future__ import annotations

import logging

from telegram import InlineKeyboardMarkup, Update

from bot.context import TwofoldContext
from bot.handlers.common import Caller, caller, esc, keyboard, notify
from bot.handlers.safety_plan import PLAN_FLOW, plan_heading
from bot.i18n import Gettext, translator
from bot.services import conversations, crisis, safety
from bot.services.identity import Role

logger = logging.getLogger(__name__)

HELP_NOW = "sos"  # the "I need help now" button; whoever presses it sees their own plan


def help_now_button(_: Gettext) -> InlineKeyboardMarkup:
    """The "I need help now" button, in the caller's language."""
    return keyboard([[(_("I need help now"), HELP_NOW)]])


def _not_an_emergency(_: Gettext) -> str:
    return _(
        "Twofold is not monitored in real time and is not an emergency service. "
        "If you are in danger right now, call your local emergency number."
    )


def _resources(context: TwofoldContext, me: Caller) -> str:
    lines = safety.resources_for(
        context.services.settings.crisis_resources_file, me.identity.language
    )
    return "\n".join(
        [me._("<b>You can reach someone right now:</b>"), *(f"• {esc(line)}" for line in lines)]
    )


async def send_help(
    context: TwofoldContext, me: Caller, intro: str | None = None, extra: str | None = None
) -> None:
    """Send the person's safety plan first (if they have one), then the helplines."""
    _ = me._
    chat_id = me.identity.telegram_id
    async with context.services.database.session() as session:
        plan = await safety.get_plan(
            session=session, crypto=context.services.crypto, telegram_id=chat_id
        )
    parts = [intro] if intro else []
    if plan is not None:
        parts.append(f"{plan_heading(_)}\n{esc(plan)}")
        await context.bot.send_message(chat_id, "\n\n".join(parts))
        parts = []
    parts += [_resources(context, me), _not_an_emergency(_)]
    if extra:
        parts.append(extra)
    if plan is None:
        parts.append(
            _(
                "You can keep a private safety plan with /safetyplan, so that it is here "
                "when you need it."
            )
        )
    await context.bot.send_message(chat_id, "\n\n".join(parts), reply_markup=help_now_button(_))


async def screen_text(update: Update, context: TwofoldContext, me: Caller, text: str) -> bool:
    """Answer crisis language at once and privately; flag it to the therapist, no words."""
    match = crisis.detect(text)
    if match is None:
        return False
    async with context.services.database.session() as session:
        state = await conversations.current(session=session, telegram_id=me.identity.telegram_id)
    if state is not None and state.flow == PLAN_FLOW:
        # A safety plan names warning signs by design; writing one is not an alarm.
        return False
    logger.info("crisis language detected (%s)", match.rule)
    _ = me._
    partner = me.identity.partner if me.role is Role.PARTNER else None
    intro = _(
        "What you wrote sounds like you may be going through something really hard. "
        "You deserve support right now, and you don't have to face this alone."
    )
    privacy = (
        _(
            "Only you can see this. Your partner is not told anything. Your therapist gets a "
            "private note that you may need support, without your words."
        )
        if partner is not None
        else None
    )
    await send_help(context, me, intro, privacy)
    if partner is None:
        return True
    async with context.services.database.session() as session:
        tell_now = await safety.record_crisis(
            session=session, partner=partner, now=context.services.clock.now()
        )
        couple, therapist = await safety.couple_of(session=session, partner=partner)
    if tell_now and therapist is not None:
        t_ = translator(therapist.language)
        await notify(
            context,
            therapist.telegram_id,
            t_(
                "Private safety flag: something {name} (<b>{label}</b>) wrote may mean they "
                "need support or are in danger. They were shown crisis resources. Their words "
                "are not shown here, and their partner is not told. Please follow up as you "
                "agreed with them."
            ).format(name=esc(partner.display_name), label=esc(couple.label)),
        )
    return True


async def on_help_now(update: Update, context: TwofoldContext) -> None:
    """Show the presser's own safety plan first, then the helplines."""
    query = update.callback_query
    assert query is not None
    await query.answer()
    await send_help(context, await caller(update, context))
