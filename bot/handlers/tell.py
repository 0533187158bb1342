"""/tell: a partner writes privately to their therapist; the message is passed on, not stored.

Nothing in this module ever writes to the other partner's chat (docs/safety.md).
"""

from __future__ import annotations

from telegram import Update

from bot.context import TwofoldContext
from bot.handlers.common import Caller, caller, command_argument, esc, notify, reply
from bot.handlers.crisis_help import screen_text
from bot.i18n import translator
from bot.services import conversations, safety
from bot.services.identity import Role

TELL_FLOW = "tell"


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
