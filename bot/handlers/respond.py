"""Buttons on a delivered exercise: Done, Skip, Later, an answer, a helpfulness rating.

Their callback data names only the action (`dl:done`, `dl:v3`, `rt:4`). Which delivery
is meant comes from the message the button sits on, looked up in the presser's own chat:
there is no id to forge, and another person's exercise cannot even be named.
"""

from __future__ import annotations

import contextlib

from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import TelegramError
from telegram.ext import CallbackQueryHandler

from bot.context import TwofoldContext
from bot.db.models import Delivery
from bot.delivery.buttons import ExerciseButton, RatingButton
from bot.handlers import answer_replies
from bot.handlers.common import caller, esc
from bot.services import completion, responses
from bot.services.completion import Action
from bot.services.localtime import local_now


def _anchors(query: CallbackQuery) -> list[int]:
    """The message ids that may show the delivery: this message, or what it replies to."""
    message = query.message
    if message is None:
        return []
    ids = [message.message_id]
    if isinstance(message, Message) and message.reply_to_message is not None:
        ids.append(message.reply_to_message.message_id)  # a reminder or a rating prompt
    return ids


async def _delivery(session: AsyncSession, query: CallbackQuery) -> Delivery | None:
    return await completion.find(
        session=session, telegram_id=query.from_user.id, message_ids=_anchors(query)
    )


async def on_exercise_button(update: Update, context: TwofoldContext) -> None:
    """Mark an exercise done or skipped, answer it, or bring it back later."""
    query = update.callback_query
    assert query is not None and query.data is not None
    _ = (await caller(update, context))._
    button = ExerciseButton.parse(query.data)
    if button is not None and button.value is not None:
        await _on_value(update, context, button.value)
        return
    if button is None or button.action is None:
        await query.answer(_("This is no longer available."))
        return
    action = button.action
    services = context.services
    async with services.database.session() as session:
        delivery = await _delivery(session, query)
        acted = None
        if delivery is not None:
            acted = await completion.act(
                session=session, delivery=delivery, action=action, now=services.clock.now()
            )
    if acted is None:
        await query.answer(_("This is no longer available."))
        return
    if action is Action.DONE:
        await query.answer(_("Marked as done. Thank you for making the time."))
        await query.edit_message_reply_markup(None)
        exercise = services.library.exercise(acted.delivery.exercise_slug)
        if exercise is not None:
            await answer_replies.after_completion(context, acted.delivery, exercise, first=True)
    elif action is Action.SKIP:
        await query.answer(_("Skipped. That's okay: there is always the next one."))
        await query.edit_message_reply_markup(None)
    else:
        assert acted.remind_at is not None
        at = local_now(acted.remind_at, acted.partner.timezone).strftime("%H:%M")
        await query.answer(_("I'll bring it back at {time}.").format(time=at))


async def _on_value(update: Update, context: TwofoldContext, value: int) -> None:
    """Record a scale or choice answer."""
    query = update.callback_query
    assert query is not None
    _ = (await caller(update, context))._
    services = context.services
    async with services.database.session() as session:
        delivery = await _delivery(session, query)
        recorded = None
        if delivery is not None:
            recorded = await completion.choose(
                session=session, library=services.library, delivery=delivery, value=value,
                now=services.clock.now(),
            )  # fmt: skip
        still_open = recorded is not None and await responses.editable(
            session=session, delivery=recorded.delivery
        )
    if recorded is None:
        await query.answer(_("This is no longer available."))
        return
    exercise = services.library.exercise(recorded.delivery.exercise_slug)
    assert exercise is not None
    await query.answer(
        _("Saved. You can change it until your next exercise arrives.")
        if still_open
        else _("Saved.")
    )
    await _mark_chosen(query, value)
    await answer_replies.after_completion(
        context, recorded.delivery, exercise, first=recorded.first
    )


CHOSEN = "✓ "


async def _mark_chosen(query: CallbackQuery, value: int) -> None:
    """Put ✓ on the chosen value; drop Done, Skip and Later, which no longer apply.

    The value buttons stay, so another tap still changes the answer while it may.
    """
    message = query.message
    if not isinstance(message, Message) or message.reply_markup is None:
        return
    chosen = ExerciseButton(value=value).pack()
    rows = [
        [
            InlineKeyboardButton(
                CHOSEN + button.text.removeprefix(CHOSEN)
                if button.callback_data == chosen
                else button.text.removeprefix(CHOSEN),
                callback_data=button.callback_data,
            )
            for button in row
        ]
        for row in message.reply_markup.inline_keyboard
        if any(ExerciseButton.is_value(str(button.callback_data or "")) for button in row)
    ]
    # unchanged (the same value again) or too old to edit: the answer is saved
    with contextlib.suppress(TelegramError):
        await query.edit_message_reply_markup(InlineKeyboardMarkup(rows))


async def on_rating(update: Update, context: TwofoldContext) -> None:
    """Record how helpful an exercise was (1-5)."""
    query = update.callback_query
    assert query is not None and query.data is not None
    _ = (await caller(update, context))._
    button, rated = RatingButton.parse(query.data), None
    if button is not None:
        async with context.services.database.session() as session:
            delivery = await _delivery(session, query)
            if delivery is not None:
                rated = await responses.rate(
                    session=session, delivery=delivery, rating=button.rating,
                    now=context.services.clock.now(),
                )  # fmt: skip
    if rated is None:
        await query.answer(_("This is no longer available."))
        return
    await query.answer(_("Thank you."))
    thanks = _("Thank you: you rated it {rating} of 5.").format(rating=rated.rating)
    message = query.message
    if not isinstance(message, Message) or not message.text:
        await query.edit_message_text(thanks)
        return
    # The rating may share its message with the acknowledgement and a follow-up question:
    # only the rating's own line and buttons change.
    text = message.text_html
    asked = esc(_("How helpful was this exercise for you? (optional)"))
    text = text.replace(asked, thanks) if asked in text else f"{text}\n\n{thanks}"
    rows = [
        [b for b in row if RatingButton.parse(str(b.callback_data or "")) is None]
        for row in (message.reply_markup.inline_keyboard if message.reply_markup else ())
    ]
    kept = [row for row in rows if row]
    await query.edit_message_text(text, reply_markup=InlineKeyboardMarkup(kept) if kept else None)


HANDLERS = [
    CallbackQueryHandler(on_exercise_button, pattern=ExerciseButton.PATTERN),
    CallbackQueryHandler(on_rating, pattern=RatingButton.PATTERN),
]
