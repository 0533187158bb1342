"""The written step after an answer: an exercise's `follow_up`, waited for with a Skip button.

The step lives in the partner's conversation state (`FLOW`), naming the delivery; the
Skip button (`fu:skip`) carries nothing else. Words written in the step are saved like
any answer (added to a written answer, or the words of a scale, choice or done one).
"""

from __future__ import annotations

import contextlib
from datetime import timedelta

from sqlmodel import col, select
from telegram import CallbackQuery, InlineKeyboardMarkup, Message, Update
from telegram.error import TelegramError
from telegram.ext import CallbackQueryHandler

from bot.context import TwofoldContext
from bot.db.models import Couple, Delivery, Partner, Therapist
from bot.handlers.common import Caller, caller, keyboard
from bot.i18n import translator
from bot.library import Exercise, render_exercise
from bot.services import conversations, responses

FLOW = "follow_up"
SKIP = "fu:skip"
# Words sent long after the question are not taken as its answer (the step quietly ends).
WINDOW = timedelta(hours=12)


async def render(context: TwofoldContext, delivery: Delivery, exercise: Exercise) -> str | None:
    """The exercise's follow-up question for the partner who received `delivery`."""
    if not exercise.follow_up:
        return None
    async with context.services.database.session() as session:
        partner = await session.get(Partner, delivery.partner_id)
        if partner is None:
            return None
        couple = await session.get(Couple, partner.couple_id)
        therapist = await session.get(Therapist, couple.therapist_id) if couple else None
        query = select(Partner).where(
            col(Partner.couple_id) == partner.couple_id,
            col(Partner.id) != partner.id,
            col(Partner.is_current).is_(True),
        )
        other = (await session.exec(query)).first()
    _ = translator(partner.language)
    rendered = render_exercise(
        exercise,
        partner.language,
        recipient=partner.display_name,
        partner=other.display_name if other else _("your partner"),
        therapist=therapist.name if therapist else _("your therapist"),
        day=delivery.day,
        on=delivery.local_date,
    )
    return rendered.follow_up


def waits_for_words(follow_up: str) -> bool:
    """Does the follow-up ask for words here? Not one that points to /tell instead."""
    return "/tell" not in follow_up


def question(follow_up: str, language: str) -> str:
    """The follow-up as it is asked: the question, then (if it wants words) how to answer."""
    if not waits_for_words(follow_up):
        return f"<i>{follow_up}</i>"
    _ = translator(language)
    hint = _("Write a few words here if you like, or tap “Skip writing”.")
    return f"<i>{follow_up}</i>\n{hint}"


def markup(language: str) -> InlineKeyboardMarkup:
    """The Skip button under a follow-up question."""
    _ = translator(language)
    return keyboard([[(_("Skip writing"), SKIP)]])


async def step_free(context: TwofoldContext, telegram_id: int) -> bool:
    """May a follow-up step open? Never over another guided step (setup, /tell, ...)."""
    async with context.services.database.session() as session:
        state = await conversations.current(session=session, telegram_id=telegram_id)
    return state is None or state.flow == FLOW


async def open_step(
    context: TwofoldContext,
    telegram_id: int,
    delivery: Delivery,
    *,
    prompt: int,
    rating_row: bool = False,
) -> None:
    """Wait for the follow-up words to `delivery`, asked in message `prompt`."""
    services = context.services
    async with services.database.session() as session:
        await conversations.begin(
            session=session, telegram_id=telegram_id, flow=FLOW, step="words",
            now=services.clock.now(),
            data={"delivery": delivery.id, "prompt": prompt, "rating_row": rating_row},
        )  # fmt: skip


async def take(
    update: Update, context: TwofoldContext, me: Caller, text: str, *, quiet: bool
) -> bool:
    """Save `text` as the words the open follow-up asked for; False if it is not for it."""
    from bot.handlers import answer_replies  # it asks follow-ups: imported here, not above

    message = update.effective_message
    assert message is not None
    services, now = context.services, context.services.clock.now()
    async with services.database.session() as session:
        state = await conversations.current(session=session, telegram_id=me.identity.telegram_id)
        if state is None or state.flow != FLOW:
            return False
        await conversations.end(session=session, telegram_id=me.identity.telegram_id)
        delivery = await session.get(Delivery, state.data.get("delivery") or 0)
        reply_to = message.reply_to_message.message_id if message.reply_to_message else None
        if (
            delivery is None
            or now - state.updated_at > WINDOW
            or (reply_to is not None and reply_to != delivery.telegram_message_id)
            or not await responses.editable(session=session, delivery=delivery)
        ):
            return False  # stale, or a reply elsewhere: the message finds its own place
        existing = await responses.answer_of(session=session, delivery_id=delivery.id or 0)
        append = existing is not None and existing.text_ct is not None
        recorded = await responses.record_text(
            session=session, crypto=services.crypto, delivery=delivery, text=text,
            message_id=message.message_id, now=now, append=append,
        )  # fmt: skip
    prompt = state.data.get("prompt")
    if isinstance(prompt, int) and prompt:
        # Skip no longer applies; the rating, if not given yet, still does.
        rated = recorded.response.rating is not None or not state.data.get("rating_row")
        with contextlib.suppress(TelegramError):
            await context.bot.edit_message_reply_markup(
                me.identity.telegram_id, prompt,
                reply_markup=None if rated else answer_replies.rating_keyboard(),
            )  # fmt: skip
    exercise = services.library.exercise(delivery.exercise_slug)
    assert exercise is not None
    await answer_replies.after_follow_up(context, recorded, exercise, quiet=quiet)
    return True


async def on_skip(update: Update, context: TwofoldContext) -> None:
    """End the follow-up step without words."""

    query = update.callback_query
    assert query is not None
    me = await caller(update, context)
    services = context.services
    async with services.database.session() as session:
        state = await conversations.current(session=session, telegram_id=me.identity.telegram_id)
        if state is not None and state.flow == FLOW:
            await conversations.end(session=session, telegram_id=me.identity.telegram_id)
    # Skip with nothing waiting (answered already, or a newer step) is just as fine.
    await query.answer(me._("Okay."))
    await without(query, SKIP)


async def without(query: CallbackQuery, data: str) -> None:
    """Take the button with callback `data` off the pressed message; keep the others."""
    message = query.message
    if not isinstance(message, Message) or message.reply_markup is None:
        return
    rows = [
        [button for button in row if button.callback_data != data]
        for row in message.reply_markup.inline_keyboard
    ]
    kept = [row for row in rows if row]
    # (Already edited, or too old to edit: the press itself has been handled.)
    with contextlib.suppress(TelegramError):
        await query.edit_message_reply_markup(InlineKeyboardMarkup(kept) if kept else None)


HANDLERS = [CallbackQueryHandler(on_skip, pattern=rf"^{SKIP}$")]
