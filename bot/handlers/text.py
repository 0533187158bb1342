"""Free text: the answer to whatever guided step the user is on, if any."""

from __future__ import annotations

from telegram import Update

from bot.context import TwofoldContext
from bot.handlers import answers, assign, couples, fallback, follow_ups, safety, setup
from bot.handlers.common import caller
from bot.services import conversations
from bot.services.crisis import Level
from bot.services.identity import Role


async def on_text(update: Update, context: TwofoldContext) -> None:
    """Route a text message to the open step, or explain that none is open."""
    message = update.effective_message
    assert message is not None and message.text is not None
    me = await caller(update, context)
    # NUL is never part of what a person meant, and PostgreSQL text cannot hold it.
    text = message.text.replace("\x00", "")
    async with context.services.database.session() as session:
        state = await conversations.current(session=session, telegram_id=me.identity.telegram_id)
    flow = state.flow if state is not None else None
    # Order matters: risk is answered first, privately, whatever step is open; the text
    # then goes on to its step as usual, quietly if the screen answered (docs/safety.md).
    # (A safety plan names warning signs by design; a therapist's reply to /tell may
    # name risks to a client: neither is screened.)
    level = await safety.screen_text(
        update, context, me, text, in_plan=flow in (safety.PLAN_FLOW, safety.REPLY_FLOW)
    )
    quiet = level is not Level.NONE
    if flow == setup.FLOW:
        await setup.continue_flow(update, context, me, text)
    elif flow == couples.FLOW and me.role is Role.THERAPIST:
        await couples.on_label(update, context, me, text)
    elif flow == assign.FLOW and me.role is Role.THERAPIST:
        await assign.on_text(update, context, me, text)
    elif flow == safety.PLAN_FLOW:
        await safety.on_plan_text(update, context, me, text)
    # (Not only partners: someone who left can still /tell for a while, docs/safety.md.)
    elif flow == safety.TELL_FLOW and me.role is not Role.THERAPIST:
        await safety.on_tell_text(update, context, me, text)
    elif flow == safety.REPLY_FLOW and me.role is Role.THERAPIST:
        await safety.on_reply_text(update, context, me, text)
    elif flow == answers.FLOW:
        await answers.continue_pending(update, context, me, text)
    elif flow == follow_ups.FLOW and await follow_ups.take(update, context, me, text, quiet=quiet):
        pass  # the words the exercise's follow-up asked for (a stale step lets them go on)
    # Order matters: with no guided step open, text is an exercise answer if it can be one;
    # a partner's words that fit none are offered a home (answers.on_text).
    elif not await answers.on_text(update, context, me, text, quiet=quiet) and not quiet:
        # (After the screen answered, "I'm not waiting for a message" would sound cold.)
        await fallback.unexpected_text(update, context)
