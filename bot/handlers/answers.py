"""Written answers: a partner's message becomes the answer to the exercise it belongs to."""

from __future__ import annotations

import base64

from telegram import Update
from telegram.ext import CallbackQueryHandler, MessageHandler, filters

from bot.context import TwofoldContext
from bot.db.models import Delivery
from bot.handlers import answer_replies, follow_ups, homes, safety
from bot.handlers.common import Caller, caller, esc, keyboard, reply
from bot.library import Exercise
from bot.services import conversations, responses
from bot.services.crisis import Level
from bot.services.identity import Role
from bot.services.responses import Fit

FLOW = homes.FLOW  # a message waiting for the partner to say where it belongs


async def on_text(
    update: Update, context: TwofoldContext, me: Caller, text: str, *, quiet: bool = False
) -> bool:
    """Store `text` as an exercise answer if it can be one; False if it cannot.

    `quiet`: the safety screen has just answered, so the answer is saved without the
    usual "Saved…" and "How helpful was this?" (nothing written is lost).
    """
    message = update.effective_message
    assert message is not None
    if me.role is not Role.PARTNER:
        return False
    services, _ = context.services, me._
    reply_to = message.reply_to_message.message_id if message.reply_to_message else None
    now = services.clock.now()
    async with services.database.session() as session:
        partner = await responses.current_partner(
            session=session, telegram_id=me.identity.telegram_id
        )
        if partner is None:
            return False
        placement = await responses.place_text(
            session=session, library=services.library, partner=partner, reply_to=reply_to, now=now
        )
        if placement.fit in (Fit.ANSWER, Fit.EDIT):
            exercise = services.library.exercise(placement.delivery.exercise_slug)
            recorded = await responses.record_text(
                session=session, crypto=services.crypto, delivery=placement.delivery,
                text=text, message_id=message.message_id, now=now,
                complete=_words_complete(exercise),
            )  # fmt: skip
        elif placement.fit in (Fit.CHOOSE, Fit.OFFER_EDIT):
            # Stored (encrypted) the moment it arrives, while we ask where it belongs.
            pending = base64.b64encode(services.crypto.encrypt(text)).decode()
            await conversations.begin(
                session=session, telegram_id=me.identity.telegram_id, flow=FLOW,
                step=placement.fit.value, now=now,
                data={"ct": pending, "ids": [d.id for d in placement.deliveries],
                      "message_id": message.message_id},
            )  # fmt: skip
    if placement.fit is Fit.NONE:
        if quiet:
            return True  # the screen's caring reply stands alone (docs/answers.md)
        await homes.offer(update, context, me, partner, text)
        return True
    if placement.fit is Fit.LOCKED:
        await reply(
            update,
            _(
                "That answer can't be changed any more: a newer exercise has arrived. "
                "If it matters, tell your therapist at your next session."
            ),
        )
        return True
    if placement.fit in (Fit.CHOOSE, Fit.OFFER_EDIT):
        await _ask_where(update, context, me, placement.deliveries, placement.fit)
        return True
    await _saved(update, context, me, recorded, quiet=quiet)
    return True


async def _saved(
    update: Update,
    context: TwofoldContext,
    me: Caller,
    recorded: responses.Recorded,
    *,
    quiet: bool = False,
) -> None:
    exercise = context.services.library.exercise(recorded.delivery.exercise_slug)
    assert exercise is not None
    written = exercise.response in ("text", "letter")
    if recorded.completed or written:
        # Done, Skip and Later no longer apply once the words are in.
        await answer_replies.drop_buttons(context, me.identity.telegram_id, recorded.delivery)
    if not written and not recorded.completed:
        # Words with a scale, choice or done exercise: tapped already, or still to tap
        # (that tap is then its answer, with the rating).
        await answer_replies.after_follow_up(context, recorded, exercise, quiet=quiet)
        return
    await answer_replies.after_completion(
        context, recorded.delivery, exercise, first=recorded.first,
        said=answer_replies.Said.WORDS, quiet=quiet,
    )  # fmt: skip


def _words_complete(exercise: Exercise | None) -> bool:
    """Words complete an exercise, except one still waiting for its scale or choice tap."""
    return exercise is None or exercise.response not in ("scale", "choice")


async def _ask_where(
    update: Update, context: TwofoldContext, me: Caller, options: list[Delivery], fit: Fit
) -> None:
    _, language = me._, me.identity.language
    library = context.services.library

    def title(delivery: Delivery) -> str:
        exercise = library.exercise(delivery.exercise_slug)
        return exercise.title_in(language)[:48] if exercise else delivery.exercise_slug

    # Buttons name a position in the list kept with the waiting message, never an id.
    if fit is Fit.CHOOSE:
        rows = [[(title(d), f"an:{i}")] for i, d in enumerate(options)]
        rows.append([(_("Don't save it"), "an:x")])
        text = _("Which exercise is this the answer to?")
    else:
        only = options[0]
        rows = [
            [(_("Add to my answer"), "an:0:add")],
            [(_("Replace my answer"), "an:0")],
            [(_("Don't save it"), "an:x")],
        ]
        text = _("You already answered “{title}”. What should I do with this message?").format(
            title=esc(title(only))
        )
    await reply(update, text, keyboard(rows))


async def continue_pending(update: Update, context: TwofoldContext, me: Caller, text: str) -> None:
    """Another message while we wait for a choice: keep it with the first one."""
    services = context.services
    async with services.database.session() as session:
        state = await conversations.current(session=session, telegram_id=me.identity.telegram_id)
        if state is None or state.flow != FLOW:
            return
        earlier = services.crypto.decrypt(base64.b64decode(state.data["ct"]))
        joined = base64.b64encode(services.crypto.encrypt(f"{earlier}\n\n{text}")).decode()
        await conversations.advance(
            session=session, state=state, step=state.step, now=services.clock.now(), ct=joined
        )
    await reply(update, me._("Kept this together with your previous message. Choose above."))


async def on_choice(update: Update, context: TwofoldContext) -> None:
    """Store the waiting message as the answer the partner picked."""
    query = update.callback_query
    assert query is not None and query.data is not None
    me = await caller(update, context)
    _, services = me._, context.services
    raw_id, append = [*query.data.split(":")[1:], ""][:2]  # position in the waiting list
    now, recorded = services.clock.now(), None
    async with services.database.session() as session:
        state = await conversations.current(session=session, telegram_id=me.identity.telegram_id)
        if state is None or state.flow != FLOW:
            await query.answer(_("This is no longer available."))
            return
        if raw_id == "x":
            await conversations.end(session=session, telegram_id=me.identity.telegram_id)
        elif raw_id.isdigit() and int(raw_id) < len(state.data["ids"]):
            delivery = await session.get(Delivery, state.data["ids"][int(raw_id)])
            assert delivery is not None  # the ids were this partner's a moment ago
            text = services.crypto.decrypt(base64.b64decode(state.data["ct"]))
            recorded = await responses.record_text(
                session=session, crypto=services.crypto, delivery=delivery, text=text,
                message_id=state.data.get("message_id"), now=now, append=append == "add",
            )  # fmt: skip
            await conversations.end(session=session, telegram_id=me.identity.telegram_id)
        else:
            await query.answer(_("This is no longer available."))
            return
    await query.answer()
    await query.edit_message_reply_markup(None)
    if recorded is None:
        await reply(update, _("Okay, I didn't save it."))
    else:
        await _saved(update, context, me, recorded)


async def on_edited(update: Update, context: TwofoldContext) -> None:
    """Apply an edit of a message that holds an answer; ignore other edits."""
    message = update.edited_message
    if message is None or message.text is None or message.from_user is None:
        return
    if message.chat.type != message.chat.PRIVATE:
        return
    me = await caller(update, context)
    # Words edited in deserve the same care as words sent (docs/safety.md).
    level = await safety.screen_text(update, context, me, message.text)
    services = context.services
    async with services.database.session() as session:
        partner = await responses.current_partner(session=session, telegram_id=message.from_user.id)
        if partner is None:
            return
        result = await responses.edit_by_message(
            session=session, crypto=services.crypto, partner=partner,
            message_id=message.message_id, text=message.text, now=services.clock.now(),
        )  # fmt: skip
    if result is None:
        return
    if result is False:
        await reply(
            update, me._("That answer can't be changed any more: a newer exercise has arrived.")
        )
        return
    assert isinstance(result, responses.Recorded)
    await _saved(update, context, me, result, quiet=level is not Level.NONE)


HANDLERS = [
    CallbackQueryHandler(on_choice, pattern=r"^an:"),
    *homes.HANDLERS,
    *follow_ups.HANDLERS,
]
EDITS = MessageHandler(filters.UpdateType.EDITED_MESSAGE, on_edited)
