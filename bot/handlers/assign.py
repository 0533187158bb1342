"""/assign: a therapist assigns an exercise set to a couple, in one line or guided.

The guided /assign keeps its step in `conversation_states` (flow "assign": couple → set
→ date); the text router sends typed answers to `on_text`. Both partners are told, each
in their own language, what was assigned and when their first exercise arrives.
Creating the assignment and the announcements live in `assign_result`.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.context import TwofoldContext

# FLOW and date_text are re-exported: text.py and controls.py import them from here.
from bot.handlers.assign_result import FLOW as FLOW
from bot.handlers.assign_result import create_and_announce, problem_text, start_error, therapist_of
from bot.handlers.assign_result import date_text as date_text
from bot.handlers.common import (
    Caller,
    caller,
    command_argument,
    esc,
    keyboard,
    not_for_you,
    reply,
)
from bot.i18n import N_
from bot.services import assignments, conversations, couples
from bot.services.assignments import AssignProblem, StartDateError

USAGE = "/assign ID SET [YYYY-MM-DD]"
STALE = N_("This is no longer available.")


def _today(context: TwofoldContext, me: Caller) -> date:
    return assignments.today_for(therapist_of(me), context.services.clock.now())


async def assign(update: Update, context: TwofoldContext) -> None:
    """`/assign <id> <set> [YYYY-MM-DD]` at once; guided when the set is missing."""
    me = await caller(update, context)
    if me.identity.therapist is None:
        await not_for_you(update, me)
        return
    words = command_argument(update).split()
    if not words:
        await _ask_couple(update, context, me)
    elif len(words) == 1:
        await _choose_couple(update, context, me, words[0])
    elif len(words) > 3:
        await reply(update, me._("Use {usage}, or /assign alone.").format(usage=esc(USAGE)))
    else:
        start = today = _today(context, me)
        if len(words) == 3:
            try:
                start = assignments.parse_start(words[2], today=today)
            except StartDateError as error:
                await reply(update, start_error(me._, error, words[2], today))
                return
        public_id = couples.normalize_public_id(words[0])
        await create_and_announce(update, context, me, public_id, words[1].lower(), start)


async def _step(context: TwofoldContext, me: Caller, step: str, **data: Any) -> None:
    """Open the guided flow at `step` ("couple" starts afresh), keeping what it collected."""
    telegram_id, now = me.identity.telegram_id, context.services.clock.now()
    async with context.services.database.session() as session:
        state = await conversations.current(session=session, telegram_id=telegram_id)
        if step == "couple" or state is None or state.flow != FLOW:
            await conversations.begin(
                session=session, telegram_id=telegram_id, flow=FLOW, step=step, now=now, data=data
            )
        else:
            await conversations.advance(session=session, state=state, step=step, now=now, **data)


async def _ask_couple(update: Update, context: TwofoldContext, me: Caller) -> None:
    async with context.services.database.session() as session:
        views = await assignments.assignable_couples(
            session=session, therapist=therapist_of(me), now=context.services.clock.now()
        )
    if not views:
        text = me._(
            "None of your couples has both partners yet, and assigning a set needs both. "
            "Send /couples to see where each one stands."
        )
        await reply(update, text)
        return
    await _step(context, me, "couple")
    rows = [[(view.couple.label, f"assign:c:{view.couple.public_id}")] for view in views[:40]]
    await reply(update, me._("Which couple? Tap one, or type its id."), keyboard(rows))


async def _choose_couple(update: Update, context: TwofoldContext, me: Caller, typed: str) -> None:
    public_id = couples.normalize_public_id(typed)
    async with context.services.database.session() as session:
        view = await couples.get_for(
            session=session,
            therapist=therapist_of(me),
            public_id=public_id,
            now=context.services.clock.now(),
        )
    problem = assignments.problem_with(view)
    if problem is not None or view is None:
        await reply(
            update, problem_text(context, me, problem or AssignProblem.NOT_FOUND, public_id)
        )
        return
    await _step(context, me, "set", couple=public_id)
    lang = me.identity.language
    rows = [
        [(exercise_set.title_in(lang), f"assign:s:{slug}")]
        for slug, exercise_set in sorted(context.services.library.sets.items())
    ]
    text = me._("Which set for <b>{label}</b>? Tap one, or type its short name.")
    await reply(update, text.format(label=esc(view.couple.label)), keyboard(rows))


async def _choose_set(update: Update, context: TwofoldContext, me: Caller, typed: str) -> None:
    slug = typed.strip().lower()
    if context.services.library.set(slug) is None:
        await reply(update, problem_text(context, me, AssignProblem.UNKNOWN_SET, slug))
        return
    await _step(context, me, "date", set=slug)
    _ = me._
    text = _(
        "When should it start? Dates are in your time zone ({zone}). Tap one, or type a date "
        "like {example}."
    ).format(zone=esc(therapist_of(me).timezone), example=_start_choice(context, me, "tomorrow"))
    rows = [
        [(_("Today"), "assign:d:today"), (_("Tomorrow"), "assign:d:tomorrow")],
        [(_("Next Monday"), "assign:d:monday")],
    ]
    await reply(update, text, keyboard(rows))


def _start_choice(context: TwofoldContext, me: Caller, choice: str) -> date:
    today = _today(context, me)
    if choice == "tomorrow":
        return today + timedelta(days=1)
    if choice == "monday":
        return today + timedelta(days=7 - today.weekday())
    return today


async def on_text(update: Update, context: TwofoldContext, me: Caller, text: str) -> None:
    """A typed answer to the open step of a guided /assign (the text router's hook)."""
    if me.identity.therapist is None:
        return
    async with context.services.database.session() as session:
        state = await conversations.current(session=session, telegram_id=me.identity.telegram_id)
    if state is None or state.flow != FLOW:
        return
    if state.step == "couple":
        await _choose_couple(update, context, me, text)
    elif state.step == "set":
        await _choose_set(update, context, me, text)
    elif state.step == "date":
        today = _today(context, me)
        try:
            start = assignments.parse_start(text, today=today)
        except StartDateError as error:
            await reply(update, start_error(me._, error, text.strip(), today))
            return
        await create_and_announce(
            update, context, me, str(state.data.get("couple")), str(state.data.get("set")), start
        )


async def on_assign_button(update: Update, context: TwofoldContext) -> None:
    """A tapped couple, set or start date of the guided /assign."""
    query = update.callback_query
    assert query is not None and query.data is not None
    _prefix, kind, value = [*query.data.split(":", 2), "", ""][:3]
    me = await caller(update, context)
    async with context.services.database.session() as session:
        state = await conversations.current(session=session, telegram_id=me.identity.telegram_id)
    step = {"c": "couple", "s": "set", "d": "date"}.get(kind)
    if me.identity.therapist is None or state is None or state.flow != FLOW or state.step != step:
        await query.answer(me._(STALE))
        return
    await query.answer()
    await query.edit_message_reply_markup(None)
    if kind == "c":
        await _choose_couple(update, context, me, value)
    elif kind == "s":
        await _choose_set(update, context, me, value)
    else:
        start = _start_choice(context, me, value)
        await create_and_announce(
            update, context, me, str(state.data.get("couple")), str(state.data.get("set")), start
        )


HANDLERS = [
    CommandHandler("assign", assign),
    CallbackQueryHandler(on_assign_button, pattern=r"^assign:"),
]
