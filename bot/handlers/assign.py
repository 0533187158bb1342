"""/assign: a therapist assigns an exercise set to a couple, in one line or guided.

The guided /assign keeps its step in `conversation_states` (flow "assign": couple → set
→ date); the text router sends typed answers to `on_text`. Both partners are told, each
in their own language, what was assigned and when their first exercise arrives.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from babel.dates import format_date
from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.context import TwofoldContext
from bot.db.models import Therapist
from bot.handlers.common import (
    Caller,
    caller,
    command_argument,
    couple_not_found,
    esc,
    keyboard,
    not_for_you,
    notify,
    reply,
)
from bot.i18n import N_, Gettext, translator
from bot.library import render_set
from bot.services import assignments, conversations, couples
from bot.services.assignments import AssignProblem, Created, StartDateError
from bot.services.couples import CoupleStatus
from bot.services.localtime import local_now, local_today

FLOW = "assign"
USAGE = "/assign ID SET [YYYY-MM-DD]"
STALE = N_("This is no longer available.")


def date_text(day: date, language: str) -> str:
    """A calendar date in words, in `language` ("Monday, November 23, 2026")."""
    return str(format_date(day, "full", locale=language))


def _start_error(_: Gettext, error: StartDateError, value: str, today: date) -> str:
    value = esc(value[:32])
    if error.reason == "past":
        return _("{date} is in the past. Please pick today or a later date.").format(date=value)
    if error.reason == "too_far":
        return _("{date} is more than a year away. Please pick a date within a year.").format(
            date=value
        )
    example = (today + timedelta(days=1)).isoformat()
    return _(
        "I couldn't read the date {value}. Please write it as YYYY-MM-DD, like {example}."
    ).format(value=value, example=example)


def _problem(context: TwofoldContext, me: Caller, problem: AssignProblem, key: str) -> str:
    """Why it can't be assigned; `key` is the couple id, or the set for UNKNOWN_SET."""
    _ = me._
    if problem is AssignProblem.NOT_FOUND:
        return couple_not_found(me, key)
    if problem is AssignProblem.ARCHIVED:
        return _("That couple is archived, so no new sets can be assigned to it.")
    if problem is AssignProblem.INCOMPLETE:
        return _(
            "Assigning a set needs both partners, and this couple is still waiting for someone "
            "to join. /invite {id} makes fresh invite links."
        ).format(id=esc(key))
    return _(
        "I don't know a set called {slug}. The sets are: {slugs}. /library shows what each one "
        "contains, and /assign alone lets you choose with buttons."
    ).format(slug=esc(key[:64]), slugs=esc(", ".join(sorted(context.services.library.sets))))


def _therapist(me: Caller) -> Therapist:
    assert me.identity.therapist is not None
    return me.identity.therapist


def _today(context: TwofoldContext, me: Caller) -> date:
    return assignments.today_for(_therapist(me), context.services.clock.now())


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
                await reply(update, _start_error(me._, error, words[2], today))
                return
        public_id = couples.normalize_public_id(words[0])
        await _create(update, context, me, public_id, words[1].lower(), start)


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
            session=session, therapist=_therapist(me), now=context.services.clock.now()
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
            therapist=_therapist(me),
            public_id=public_id,
            now=context.services.clock.now(),
        )
    problem = assignments.problem_with(view)
    if problem is not None or view is None:
        await reply(update, _problem(context, me, problem or AssignProblem.NOT_FOUND, public_id))
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
        await reply(update, _problem(context, me, AssignProblem.UNKNOWN_SET, slug))
        return
    await _step(context, me, "date", set=slug)
    _ = me._
    text = _(
        "When should it start? Dates are in your time zone ({zone}). Tap one, or type a date "
        "like {example}."
    ).format(zone=esc(_therapist(me).timezone), example=_start_choice(context, me, "tomorrow"))
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
            await reply(update, _start_error(me._, error, text.strip(), today))
            return
        await _create(
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
        await _create(
            update, context, me, str(state.data.get("couple")), str(state.data.get("set")), start
        )


async def _create(
    update: Update, context: TwofoldContext, me: Caller, public_id: str, slug: str, start: date
) -> None:
    therapist, now = _therapist(me), context.services.clock.now()
    async with context.services.database.session() as session:
        result = await assignments.create(
            session=session,
            therapist=therapist,
            public_id=public_id,
            set_slug=slug,
            start_date=start,
            library=context.services.library,
            now=now,
        )
        state = await conversations.current(session=session, telegram_id=me.identity.telegram_id)
        # Close a guided /assign (never another flow); a mistyped set may be typed again.
        if state is not None and state.flow == FLOW and result is not AssignProblem.UNKNOWN_SET:
            await conversations.end(session=session, telegram_id=me.identity.telegram_id)
    if not isinstance(result, Created):
        key = slug if result is AssignProblem.UNKNOWN_SET else public_id
        await reply(update, _problem(context, me, result, key))
        return
    exercise_set = context.services.library.set(slug)
    assert exercise_set is not None
    _, lang = me._, me.identity.language
    shown = render_set(exercise_set, lang, therapist=therapist.name)
    lines = [
        _("Assigned <b>{title}</b> to <b>{label}</b>: {frequency}, starting {date}.").format(
            title=shown.title,
            label=esc(result.view.couple.label),
            frequency=esc(shown.frequency),
            date=date_text(start, lang),
        ),
        _("Both partners have been told. /assignments {id} shows progress.").format(
            id=result.view.couple.public_id
        ),
    ]
    on_hold = result.view.status is CoupleStatus.PAUSED
    if on_hold:
        lines.append(
            _("This couple's exercises are on hold for now, so it begins once they're back on.")
        )
    await reply(update, "\n".join(lines))
    for partner in result.view.partners:
        p_ = translator(partner.language)
        shown = render_set(exercise_set, partner.language, therapist=therapist.name)
        first = result.first.get(partner.id or 0)
        parts = [
            p_(
                "Your therapist assigned you a new set of exercises: <b>{title}</b> ({frequency})."
            ).format(title=shown.title, frequency=esc(shown.frequency)),
            shown.description,
        ]
        if on_hold:
            parts.append(
                p_("Your exercises are on hold for now, so it begins once they're back on.")
            )
        elif first is not None:
            parts.append(_first_arrival(p_, partner.language, partner.timezone, first.due_at, now))
        await notify(context, partner.telegram_id, "\n\n".join(parts))


def _first_arrival(p_: Gettext, language: str, zone: str, due: datetime, now: datetime) -> str:
    local, today = local_now(due, zone), local_today(now, zone)
    time = local.strftime("%H:%M")
    if local.date() == today:
        return p_("Your first exercise arrives today at {time}.").format(time=time)
    if local.date() == today + timedelta(days=1):
        return p_("Your first exercise arrives tomorrow at {time}.").format(time=time)
    return p_("Your first exercise arrives on {date} at {time}.").format(
        date=date_text(local.date(), language), time=time
    )


HANDLERS = [
    CommandHandler("assign", assign),
    CallbackQueryHandler(on_assign_button, pattern=r"^assign:"),
]
