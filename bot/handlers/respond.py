"""Buttons on a delivered exercise: Done, Skip, Later, an answer, a helpfulness rating."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler

from bot.context import TwofoldContext
from bot.handlers import answer_replies
from bot.handlers.common import caller
from bot.services import completion, responses
from bot.services.completion import Action
from bot.services.localtime import local_now


def _parse(data: str) -> tuple[int, str] | None:
    _prefix, raw_id, action = [*data.split(":", 2), "", ""][:3]
    try:
        return int(raw_id), action
    except ValueError:
        return None


async def on_exercise_button(update: Update, context: TwofoldContext) -> None:
    """Mark an exercise done or skipped, answer it, or bring it back later."""
    query, user = update.callback_query, update.effective_user
    assert query is not None and query.data is not None and user is not None
    _ = (await caller(update, context))._
    parsed = _parse(query.data)
    if parsed is None:
        await query.answer(_("This is no longer available."))
        return
    delivery_id, raw = parsed
    if raw[:1] == "v" and raw[1:].isdigit():
        await _on_value(update, context, delivery_id, int(raw[1:]))
        return
    try:
        action = Action(raw)
    except ValueError:
        await query.answer(_("This is no longer available."))
        return
    services = context.services
    now = services.clock.now()
    async with services.database.session() as session:
        acted = await completion.act(
            session=session, delivery_id=delivery_id, telegram_id=user.id, action=action, now=now
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


async def _on_value(update: Update, context: TwofoldContext, delivery_id: int, value: int) -> None:
    """Record a scale or choice answer."""
    query, user = update.callback_query, update.effective_user
    assert query is not None and user is not None
    _ = (await caller(update, context))._
    services = context.services
    async with services.database.session() as session:
        recorded = await completion.choose(
            session=session, library=services.library, delivery_id=delivery_id,
            telegram_id=user.id, value=value, now=services.clock.now(),
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
    await answer_replies.after_completion(
        context, recorded.delivery, exercise, first=recorded.first
    )


async def on_rating(update: Update, context: TwofoldContext) -> None:
    """Record how helpful an exercise was (1-5)."""
    query, user = update.callback_query, update.effective_user
    assert query is not None and query.data is not None and user is not None
    _ = (await caller(update, context))._
    parsed = _parse(query.data)
    rated = None
    if parsed is not None and parsed[1].isdigit():
        async with context.services.database.session() as session:
            delivery = await completion.owned(
                session=session, delivery_id=parsed[0], telegram_id=user.id
            )
            if delivery is not None:
                rated = await responses.rate(
                    session=session, delivery=delivery, rating=int(parsed[1]),
                    now=context.services.clock.now(),
                )  # fmt: skip
    if rated is None:
        await query.answer(_("This is no longer available."))
        return
    await query.answer(_("Thank you."))
    await query.edit_message_text(
        _("Thank you: you rated it {rating} of 5.").format(rating=rated.rating)
    )


HANDLERS = [
    CallbackQueryHandler(on_exercise_button, pattern=r"^dl:"),
    CallbackQueryHandler(on_rating, pattern=r"^rt:"),
]
