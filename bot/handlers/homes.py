"""A home for words that fit no open exercise: the therapist, today's exercise, or nowhere.

Nothing a partner writes is dropped without their say. The message is kept encrypted in
their conversation state (`FLOW`, step `home`) while they choose with `nh:` buttons;
further messages sent meanwhile join it (`answers.continue_pending`).
"""

from __future__ import annotations

import base64

from telegram import Update
from telegram.ext import CallbackQueryHandler

from bot.context import TwofoldContext
from bot.db.models import Delivery, Partner
from bot.handlers import answer_replies, tell
from bot.handlers.common import Caller, caller, keyboard, reply
from bot.services import conversations, responses, safety
from bot.services.localtime import local_today

FLOW = "answer"  # shared with answers: a message waiting for the partner to say where it goes
STEP = "home"
TITLE_LIMIT = 40  # of an exercise title on a button


async def offer(
    update: Update, context: TwofoldContext, me: Caller, partner: Partner, text: str
) -> None:
    """Keep `text` (encrypted) and ask where it should go."""
    message = update.effective_message
    assert message is not None
    services, _ = context.services, me._
    now = services.clock.now()
    async with services.database.session() as session:
        today = local_today(now, partner.timezone)
        open_one = await responses.todays_open(session=session, partner=partner, today=today)
        line = await safety.private_line(
            session=session, telegram_id=me.identity.telegram_id, now=now
        )
        await conversations.begin(
            session=session, telegram_id=me.identity.telegram_id, flow=FLOW, step=STEP,
            now=now,
            data={"ct": base64.b64encode(services.crypto.encrypt(text)).decode(),
                  "ids": [open_one.id] if open_one else [], "message_id": message.message_id},
        )  # fmt: skip
    rows: list[list[tuple[str, str]]] = []
    if line is not None and line.therapist is not None:
        rows.append([(_("Send it to my therapist"), "nh:t")])
    if open_one is not None:
        exercise = services.library.exercise(open_one.exercise_slug)
        title = exercise.title_in(me.identity.language) if exercise else open_one.exercise_slug
        if len(title) > TITLE_LIMIT:
            title = title[: TITLE_LIMIT - 1].rstrip() + "…"
        rows.append([(_("Add it to “{title}”").format(title=title), "nh:a")])
    rows.append([(_("Don't save it"), "nh:x")])
    await reply(
        update,
        _(
            "No exercise is waiting for a written answer right now. What should I do with "
            "this message?"
        ),
        keyboard(rows),
    )


async def on_choice(update: Update, context: TwofoldContext) -> None:
    """Send the kept message to the therapist, add it to today's exercise, or let it go."""
    query = update.callback_query
    assert query is not None and query.data is not None
    me = await caller(update, context)
    _, services, choice = me._, context.services, query.data.removeprefix("nh:")
    now = services.clock.now()
    async with services.database.session() as session:
        state = await conversations.current(session=session, telegram_id=me.identity.telegram_id)
        waiting = state is not None and state.flow == FLOW and state.step == STEP
        if state is None or not waiting or choice not in ("t", "a", "x"):
            await query.answer(_("This is no longer available."))
            return
        text = services.crypto.decrypt(base64.b64decode(state.data["ct"]))
        await conversations.end(session=session, telegram_id=me.identity.telegram_id)
        ids = state.data.get("ids") or []
        delivery = await session.get(Delivery, ids[0]) if choice == "a" and ids else None
        recorded, fresh = None, False
        if delivery is not None:
            before = await responses.answer_of(session=session, delivery_id=delivery.id or 0)
            exercise = services.library.exercise(delivery.exercise_slug)
            waits_for_tap = exercise is not None and exercise.response in ("scale", "choice")
            # A first answer only if nothing was tapped or done on it before.
            fresh = before is None and not waits_for_tap and delivery.status == "sent"
            recorded = await responses.record_text(
                session=session, crypto=services.crypto, delivery=delivery, text=text,
                message_id=state.data.get("message_id"), now=now, complete=not waits_for_tap,
            )  # fmt: skip
    if choice == "a" and recorded is None:
        await query.answer(_("This is no longer available."))
        return
    await query.answer()
    await query.edit_message_reply_markup(None)
    if choice == "t":
        await tell.on_tell_text(update, context, me, text)
    elif recorded is not None:
        await _attached(context, me, recorded, fresh=fresh)
    else:
        await reply(update, _("Okay, I didn't save it."))


async def _attached(
    context: TwofoldContext, me: Caller, recorded: responses.Recorded, *, fresh: bool
) -> None:
    exercise = context.services.library.exercise(recorded.delivery.exercise_slug)
    assert exercise is not None
    if recorded.completed:
        await answer_replies.drop_buttons(context, me.identity.telegram_id, recorded.delivery)
    if fresh:
        # The first answer to it: the same acknowledgement as any answer.
        await answer_replies.after_completion(
            context, recorded.delivery, exercise, first=True, said=answer_replies.Said.WORDS
        )
    else:
        await answer_replies.after_follow_up(context, recorded, exercise, quiet=False)


HANDLERS = [CallbackQueryHandler(on_choice, pattern=r"^nh:")]
