"""/safetyplan: write, show, rewrite or delete one's private, encrypted safety plan.

Nothing in this module ever writes to the other partner's chat (docs/safety.md).
"""

from __future__ import annotations

from telegram import Update

from bot.context import TwofoldContext
from bot.handlers.common import Caller, caller, esc, keyboard, reply
from bot.i18n import Gettext
from bot.services import conversations, safety

PLAN_FLOW = "safetyplan"


def plan_heading(_: Gettext) -> str:
    """The heading shown above the person's own plan."""
    return _("<b>Your safety plan</b> (only you can see it):")


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
    await reply(update, f"{plan_heading(_)}\n{esc(plan)}", keyboard(rows))


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
