"""Safety: crisis replies, "I need help now", /safetyplan and /tell (docs/safety.md).

Nothing in this module ever writes to the other partner's chat.
"""

from __future__ import annotations

import logging

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.context import TwofoldContext
from bot.handlers.common import Caller, caller, command_argument, esc, keyboard, notify, reply
from bot.i18n import Gettext, translator
from bot.services import conversations, crisis, safety
from bot.services.identity import Role

logger = logging.getLogger(__name__)

PLAN_FLOW = "safetyplan"
TELL_FLOW = "tell"
HELP_NOW = "sos"  # the "I need help now" button; whoever presses it sees their own plan


def help_now_button(_: Gettext) -> InlineKeyboardMarkup:
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


def _plan_heading(_: Gettext) -> str:
    return _("<b>Your safety plan</b> (only you can see it):")


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
        parts.append(f"{_plan_heading(_)}\n{esc(plan)}")
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


async def show_plan(update: Update, context: TwofoldContext) -> None:
    """Show the safety plan with buttons to rewrite or delete it, or explain and offer one."""
    me = await caller(update, context)
    _ = me._
    async with context.services.database.session() as session:
        plan = await safety.get_plan(
            session=session, crypto=context.services.crypto, telegram_id=me.identity.telegram_id
        )
    if plan is None:
        text = _(
            "A safety plan is a few lines you write for yourself, for a hard moment: your "
            "warning signs, what helps you calm down, people and places you can reach, and "
            "how to make things safer around you. You can write it with your therapist or "
            'alone. Only you can see it, and it is stored encrypted. "I need help now" in '
            "/help shows it first."
        )
        await reply(update, text, keyboard([[(_("Write my plan"), "sp:new")]]))
        return
    rows = [[(_("Write a new one"), "sp:new"), (_("Delete it"), "sp:del")]]
    await reply(update, f"{_plan_heading(_)}\n{esc(plan)}", keyboard(rows))


async def on_plan_button(update: Update, context: TwofoldContext) -> None:
    """Start writing the plan, or confirm and delete it."""
    query = update.callback_query
    assert query is not None and query.data is not None
    me = await caller(update, context)
    _ = me._
    await query.answer()
    if query.data == "sp:new":
        async with context.services.database.session() as session:
            await conversations.begin(
                session=session,
                telegram_id=me.identity.telegram_id,
                flow=PLAN_FLOW,
                step="text",
                now=context.services.clock.now(),
            )
        await context.bot.send_message(
            me.identity.telegram_id,
            _(
                "Write your safety plan in one message. It can help to answer:\n"
                "1. What are my warning signs?\n"
                "2. What helps me feel calmer?\n"
                "3. Who can I talk to, and where can I go?\n"
                "4. How can I make things around me safer?\n"
                "Only you will see it."
            ),
        )
    elif query.data == "sp:del":
        await query.edit_message_text(
            _("Delete your safety plan? This cannot be undone."),
            reply_markup=keyboard([[(_("Delete"), "sp:yes"), (_("Keep it"), "sp:no")]]),
        )
    elif query.data == "sp:yes":
        async with context.services.database.session() as session:
            await safety.delete_plan(session=session, telegram_id=me.identity.telegram_id)
        await query.edit_message_text(
            _("Your safety plan is deleted. You can write a new one with /safetyplan.")
        )
    elif query.data == "sp:no":
        await query.edit_message_text(_("Your safety plan is kept. See it with /safetyplan."))
    else:
        await query.edit_message_text(_("This is no longer available."))


async def on_plan_text(update: Update, context: TwofoldContext, me: Caller, text: str) -> None:
    """Save the typed safety plan, encrypted, and close the step."""
    _ = me._
    try:
        async with context.services.database.session() as session:
            await safety.save_plan(
                session=session,
                crypto=context.services.crypto,
                telegram_id=me.identity.telegram_id,
                text=text,
                now=context.services.clock.now(),
            )
            await conversations.end(session=session, telegram_id=me.identity.telegram_id)
    except safety.TextLengthError:
        await reply(
            update,
            _("A plan can be up to {max} characters. Please send a shorter version.").format(
                max=safety.MAX_PLAN_LENGTH
            ),
        )
        return
    await reply(
        update,
        _(
            "Your safety plan is saved. It is here whenever you need it: /safetyplan, or "
            '"I need help now" in /help.'
        ),
    )


async def tell(update: Update, context: TwofoldContext) -> None:
    """Send the partner's therapist a private message, or ask for it."""
    me = await caller(update, context)
    _ = me._
    if me.role is Role.THERAPIST:
        await reply(
            update,
            _("/tell lets partners write to you privately; their messages arrive in this chat."),
        )
        return
    if me.role is not Role.PARTNER:
        await reply(
            update,
            _(
                "/tell sends a private message to your couples therapist. It works once you "
                "have joined with the invite link your therapist sent you."
            ),
        )
        return
    text = command_argument(update)
    if text:
        await screen_text(update, context, me, text)
        await on_tell_text(update, context, me, text)
        return
    async with context.services.database.session() as session:
        await conversations.begin(
            session=session,
            telegram_id=me.identity.telegram_id,
            flow=TELL_FLOW,
            step="text",
            now=context.services.clock.now(),
        )
    await reply(
        update,
        _(
            "What would you like to tell your therapist? Write it in one message. Only your "
            "therapist will see it, never your partner."
        ),
    )


async def on_tell_text(update: Update, context: TwofoldContext, me: Caller, text: str) -> None:
    """Pass the message to the therapist only; it is not stored."""
    _ = me._
    partner = me.identity.partner
    assert partner is not None
    try:
        text = safety.check_tell(text)
    except safety.TextLengthError:
        await reply(
            update,
            _("A message can be up to {max} characters. Please send a shorter one.").format(
                max=safety.MAX_TELL_LENGTH
            ),
        )
        return
    async with context.services.database.session() as session:
        await conversations.end(session=session, telegram_id=me.identity.telegram_id)
        couple, therapist = await safety.couple_of(session=session, partner=partner)
    delivered = False
    if therapist is not None:
        t_ = translator(therapist.language)
        heading = t_(
            "Private message from {name} (<b>{label}</b>), sent with /tell. Their partner "
            "cannot see it:"
        ).format(name=esc(partner.display_name), label=esc(couple.label))
        delivered = await notify(context, therapist.telegram_id, f"{heading}\n\n{esc(text)}")
    if delivered:
        await reply(update, _("Sent. Only your therapist can read it."))
    else:
        await reply(
            update,
            _(
                "I couldn't deliver it to your therapist right now. Please try again later, "
                "or contact them another way."
            ),
        )


HANDLERS = [
    CommandHandler("safetyplan", show_plan),
    CommandHandler("tell", tell),
    CallbackQueryHandler(on_help_now, pattern=rf"^{HELP_NOW}$"),
    CallbackQueryHandler(on_plan_button, pattern=r"^sp:"),
]
