"""Answer crisis language and "I need help now": the person's own plan first, then helplines.

Nothing in this module ever writes to the other partner's chat (docs/safety.md).
"""

from __future__ import annotations

import logging

from telegram import InlineKeyboardMarkup, Update

from bot.context import TwofoldContext
from bot.db.models import FlagKind, NoticeKind
from bot.handlers import check_in, flags
from bot.handlers.common import Caller, caller, esc, keyboard, notify
from bot.handlers.safety_plan import plan_heading
from bot.i18n import Gettext, translator
from bot.services import crisis, crisis_resources, safety
from bot.services.crisis import Level
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
    identity = me.identity
    person = identity.partner or identity.therapist  # strangers have no time zone yet
    lines = crisis_resources.resources_for(
        context.services.settings.crisis_resources_file,
        identity.language,
        person.timezone if person is not None else None,
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


async def screen_text(
    update: Update, context: TwofoldContext, me: Caller, text: str, *, in_plan: bool = False
) -> Level:
    """Answer risk at once and privately: help and a flag (alert) or a check-in.

    Returns the level, so that what follows (saving an answer) stays quiet: after words
    like these, a cheerful "Saved!" or "I'm not waiting for a message" would sound cold.
    """
    if in_plan:
        # A safety plan names warning signs by design; writing one is not an alarm.
        return Level.NONE
    language = me.identity.language
    assessment = crisis.assess(text, language)
    if assessment.level is Level.NONE:
        return Level.NONE
    logger.info(
        "safety screen: %s (%s, %s)", assessment.level, assessment.category, assessment.reason
    )
    message = update.effective_message
    if assessment.level is Level.CHECK_IN:
        await check_in.ask(update, context, me, message.message_id if message else None)
        return Level.CHECK_IN
    _ = me._
    intro = _(
        "What you wrote sounds like you may be going through something really hard. "
        "You deserve support right now, and you don't have to face this alone."
    )
    flagged = await raise_flag(context, me, FlagKind.CRISIS)
    privacy = (
        _(
            "Only you can see this. Your partner is not told anything. Your therapist gets a "
            "private note that you may need support, without your words."
        )
        if flagged
        else _("Only you can see this. Your partner is not told anything.")
    )
    await send_help(context, me, intro, privacy)
    return Level.ALERT


def _flag_notice(t_: Gettext, kind: FlagKind) -> str:
    if kind is FlagKind.CHECK_IN:
        return t_(
            "Private safety flag: {name} (<b>{label}</b>) answered a safety check-in with "
            '"not sure" or "I need help". They were shown crisis resources. Their '
            "words are not shown here, and their partner is not told. Please follow up as "
            "you agreed with them."
        )
    if kind is FlagKind.HELP_NOW:
        return t_(
            'Private safety flag: {name} (<b>{label}</b>) pressed "I need help now". They '
            "were shown their safety plan and crisis resources. Their partner is not told. "
            "Please follow up as you agreed with them."
        )
    return t_(
        "Private safety flag: something {name} (<b>{label}</b>) wrote may mean they "
        "need support or are in danger. They were shown crisis resources. Their words "
        "are not shown here, and their partner is not told. Please follow up as you "
        "agreed with them."
    )


async def raise_flag(context: TwofoldContext, me: Caller, kind: FlagKind) -> bool:
    """Record a flag for a partner's therapist (no words) and tell them; False if none."""
    partner = me.identity.partner if me.role is Role.PARTNER else None
    if partner is None:
        return False
    async with context.services.database.session() as session:
        recorded = await safety.record_crisis(
            session=session, partner=partner, now=context.services.clock.now(), kind=kind
        )
        couple, therapist = await safety.couple_of(session=session, partner=partner)
    if therapist is None:
        return False
    if recorded.notify:
        t_ = translator(therapist.language)
        await notify(
            context,
            therapist.telegram_id,
            _flag_notice(t_, kind).format(name=esc(partner.display_name), label=esc(couple.label)),
            flags.seen_button(t_, recorded.flag_id),
            kind=NoticeKind.FLAG,
        )
    return True


async def on_help_now(update: Update, context: TwofoldContext) -> None:
    """Show the presser's own safety plan first, then the helplines; flag the therapist."""
    query = update.callback_query
    assert query is not None
    await query.answer()
    me = await caller(update, context)
    flagged = await raise_flag(context, me, FlagKind.HELP_NOW)
    extra = (
        me._(
            "Your therapist gets a private note that you asked for help, without any of your "
            "words. Your partner is not told anything."
        )
        if flagged
        else None
    )
    await send_help(context, me, extra=extra)
