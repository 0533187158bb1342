"""A partner's controls over their exercises: /pause, /resume, /quiet, /today.

The other partner is only ever told that exercises are on hold or back on, never who
paused or why; the therapist is not told (they see the status in /couples).
"""

from __future__ import annotations

from datetime import datetime

from telegram import Update
from telegram.ext import CommandHandler

from bot.context import TwofoldContext
from bot.db.models import Delivery, NoticeKind, Partner
from bot.handlers.assign import date_text
from bot.handlers.common import (
    Caller,
    caller,
    command_argument,
    esc,
    not_for_you,
    notify,
    reply,
)
from bot.i18n import N_, Gettext, translator
from bot.services import membership, pausing
from bot.services.couples import partner_paused
from bot.services.localtime import local_now, local_today
from bot.services.pausing import MAX_PAUSE_DAYS, PauseLengthError
from bot.services.preferences import PreferenceError

# What /today says about each of today's deliveries ("planned" shows its time instead).
TODAY = {
    "sending": N_("to do"),
    "sent": N_("to do"),
    "done": N_("done"),
    "skipped": N_("skipped"),
    "missed": N_("missed"),
    "held": N_("on hold"),
    "failed": N_("couldn't be delivered"),
    "unreachable": N_("couldn't be delivered"),
}


async def _partner(update: Update, context: TwofoldContext) -> tuple[Caller, Partner] | None:
    """The calling partner, read afresh; anyone else is told the command isn't theirs."""
    me = await caller(update, context)
    if me.identity.partner is not None:
        async with context.services.database.session() as session:
            partner = await membership.current_partner(
                session=session, telegram_id=me.identity.telegram_id
            )
        if partner is not None:
            return me, partner
    await not_for_you(update, me)
    return None


def _paused_text(_: Gettext, partner: Partner) -> str:
    if partner.paused_until is None:
        return _("Your exercises are paused until you send /resume.")
    local = local_now(partner.paused_until, partner.timezone)
    return _(
        "Your exercises are paused until {date} at {time}. Send /resume to start again sooner."
    ).format(date=date_text(local.date(), partner.language), time=local.strftime("%H:%M"))


async def pause(update: Update, context: TwofoldContext) -> None:
    """`/pause` (until /resume) or `/pause <days>`."""
    found = await _partner(update, context)
    if found is None:
        return
    me, partner = found
    _ = me._
    try:
        days = pausing.parse_days(command_argument(update))
    except PauseLengthError:
        text = _(
            "Send /pause alone to pause until you send /resume, or add a number of days "
            "from 1 to {max}, like /pause 7."
        )
        await reply(update, text.format(max=MAX_PAUSE_DAYS))
        return
    async with context.services.database.session() as session:
        outcome = await pausing.pause(
            session=session, partner=partner, days=days, now=context.services.clock.now()
        )
    neutral = _("Your partner will only know that exercises are on hold, not who paused or why.")
    await reply(update, f"{_paused_text(_, outcome.partner)}\n{neutral}")
    if outcome.tell is not None:
        o_ = translator(outcome.tell.language)
        text = o_("Your exercises are on hold for now.")
        await notify(context, outcome.tell.telegram_id, text, kind=NoticeKind.PAUSE)


async def resume(update: Update, context: TwofoldContext) -> None:
    """End the partner's pause."""
    found = await _partner(update, context)
    if found is None:
        return
    me, partner = found
    _ = me._
    async with context.services.database.session() as session:
        outcome = await pausing.resume(
            session=session, partner=partner, now=context.services.clock.now()
        )
    if not outcome.was_paused:
        text = _(
            "You haven't paused, so there is nothing to resume. Send /pause if you need a break."
        )
    elif outcome.still_on_hold:
        text = _("Your pause has ended, but exercises are still on hold for now.")
    else:
        text = _("Welcome back! Your exercises are back on.")
    await reply(update, text)
    if outcome.tell is not None:
        o_ = translator(outcome.tell.language)
        text = o_("Your exercises are back on.")
        await notify(context, outcome.tell.telegram_id, text, kind=NoticeKind.PAUSE)


def _quiet_text(_: Gettext, partner: Partner) -> str:
    if not pausing.has_quiet_hours(partner):
        return _("You have no quiet hours: exercises and reminders may arrive at any time.")
    lines = [
        _(
            "Quiet hours: {start}–{end}, your time ({zone}). Nothing arrives then; what falls "
            "inside waits until {end}."
        ).format(start=partner.quiet_start, end=partner.quiet_end, zone=esc(partner.timezone))
    ]
    if pausing.delivery_in_quiet_hours(partner):
        lines.append(
            _(
                "Your delivery time, {time}, falls inside them, so exercises will arrive at "
                "{end}. /time changes it."
            ).format(time=partner.delivery_time, end=partner.quiet_end)
        )
    return "\n".join(lines)


async def quiet(update: Update, context: TwofoldContext) -> None:
    """`/quiet` shows the quiet hours; `/quiet 21:30-07:30` sets them; `/quiet off`."""
    found = await _partner(update, context)
    if found is None:
        return
    me, partner = found
    _, argument = me._, command_argument(update)
    if not argument:
        change = _("Change them with /quiet 21:30-07:30, or turn them off with /quiet off.")
        await reply(update, f"{_quiet_text(_, partner)}\n\n{change}")
        return
    try:
        start, end = pausing.parse_quiet(argument)
    except PreferenceError:
        text = _(
            "I couldn't read {value}. Write when quiet hours start and end, like "
            "/quiet 21:30-07:30, or /quiet off."
        )
        await reply(update, text.format(value=esc(argument[:32])))
        return
    async with context.services.database.session() as session:
        partner = await pausing.set_quiet_hours(
            session=session, partner=partner, start=start, end=end
        )
    await reply(update, _quiet_text(_, partner))


def _today_line(context: TwofoldContext, me: Caller, delivery: Delivery, zone: str) -> str:
    exercise = context.services.library.exercise(delivery.exercise_slug)
    title = exercise.title_in(me.identity.language) if exercise else delivery.exercise_slug
    if delivery.status == "planned":
        arrives = local_now(delivery.due_at, zone).strftime("%H:%M")
        status = me._("arrives at {time}").format(time=arrives)
    else:
        status = me._(TODAY.get(delivery.status, "to do"))
    return f"• <b>{esc(title)}</b> — {status}"


async def today(update: Update, context: TwofoldContext) -> None:
    """What is open or still coming today, in the partner's own calendar."""
    found = await _partner(update, context)
    if found is None:
        return
    me, partner = found
    _, now = me._, context.services.clock.now()
    async with context.services.database.session() as session:
        deliveries = await pausing.today(session=session, partner=partner, now=now)
        other = await membership.other_partner(session=session, partner=partner)
    day = date_text(local_today(now, partner.timezone), partner.language)
    if deliveries:
        lines = [_("Today, {date}:").format(date=day)]
        lines += [_today_line(context, me, delivery, partner.timezone) for delivery in deliveries]
    else:
        lines = [_("Nothing is planned for you today. Enjoy your day!")]
    lines += _hold_lines(_, partner, other, now)
    await reply(update, "\n".join(lines))


def _hold_lines(_: Gettext, partner: Partner, other: Partner | None, now: datetime) -> list[str]:
    if partner_paused(partner, now):
        return ["", _paused_text(_, partner)]
    if other is not None and partner_paused(other, now):
        return ["", _("Your exercises are on hold for now.")]
    return []


HANDLERS = [
    CommandHandler("pause", pause),
    CommandHandler("resume", resume),
    CommandHandler("quiet", quiet),
    CommandHandler("today", today),
]
