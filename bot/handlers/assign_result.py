"""Create what /assign asked for and tell the therapist and both partners, or say why not."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from babel.dates import format_date
from telegram import Update

from bot.context import TwofoldContext
from bot.db.models import NoticeKind, Therapist
from bot.handlers.common import Caller, couple_not_found, echo, esc, notify, reply
from bot.i18n import Gettext, translator
from bot.library import render_set
from bot.services import assignments, conversations
from bot.services.assignments import AssignProblem, Created, StartDateError
from bot.services.couples import CoupleStatus
from bot.services.localtime import local_now, local_today

FLOW = "assign"


def date_text(day: date, language: str) -> str:
    """A calendar date in words, in `language` ("Monday, November 23, 2026")."""
    return str(format_date(day, "full", locale=language))


def start_error(_: Gettext, error: StartDateError, value: str, today: date) -> str:
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


def problem_text(context: TwofoldContext, me: Caller, problem: AssignProblem, key: str) -> str:
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
        ).format(id=echo(key))
    return _(
        "I don't know a set called {slug}. The sets are: {slugs}. /library shows what each one "
        "contains, and /assign alone lets you choose with buttons."
    ).format(slug=echo(key), slugs=esc(", ".join(sorted(context.services.library.sets))))


def therapist_of(me: Caller) -> Therapist:
    """The calling therapist (the caller is known to be one)."""
    assert me.identity.therapist is not None
    return me.identity.therapist


async def create_and_announce(
    update: Update, context: TwofoldContext, me: Caller, public_id: str, slug: str, start: date
) -> None:
    therapist, now = therapist_of(me), context.services.clock.now()
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
        await reply(update, problem_text(context, me, result, key))
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
        await notify(context, partner.telegram_id, "\n\n".join(parts), kind=NoticeKind.ASSIGNED)


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
