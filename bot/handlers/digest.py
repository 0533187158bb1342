"""The weekly digest: the job that sends it, and /digest on|off for therapists."""

from __future__ import annotations

import logging

from babel.dates import format_date, get_day_names
from telegram import Update
from telegram.error import BadRequest, Forbidden
from telegram.ext import CommandHandler

from bot.context import TwofoldContext
from bot.handlers.common import caller, command_argument, esc, not_for_you, reply
from bot.handlers.reports import pack
from bot.i18n import Gettext, translator
from bot.services import digest
from bot.services.digest import CoupleLine
from bot.services.localtime import local_today

logger = logging.getLogger(__name__)

DIGEST_EVERY_SECONDS = 300  # how often the job looks for digests whose time has come
ON_WORDS = frozenset({"on", "yes", "si", "sí", "activar", "encender"})
OFF_WORDS = frozenset({"off", "no", "desactivar", "apagar"})


def line_text(_: Gettext, line: CoupleLine) -> str:
    tally = line.tally
    if tally.due:
        parts = [_("{done} of {due} done").format(done=tally.done, due=tally.due)]
    else:
        parts = [_("nothing was due")]
    if tally.missed:
        parts.append(_("{n} missed").format(n=tally.missed))
    if tally.skipped:
        parts.append(_("{n} skipped").format(n=tally.skipped))
    if line.paused:
        parts.append(_("paused"))
    if line.unreachable:
        names = ", ".join(esc(name) for name in line.unreachable)
        parts.append(_("can't be reached: {names}").format(names=names))
    if line.unseen_flags:
        parts.append(_("⚑ {n} new flag(s)").format(n=line.unseen_flags))
    couple = line.couple
    return f"• <b>{esc(couple.label)}</b> ({couple.public_id}): " + " · ".join(parts)


def digest_messages(_: Gettext, lines: list[CoupleLine], week_of: str) -> list[str]:
    head = _(
        "<b>Your weekly digest</b>, {date}: the last 7 days of each active couple, "
        "those most in need of attention first."
    ).format(date=esc(week_of))
    foot = _("/report &lt;id&gt; shows one couple in detail. /digest off stops this message.")
    return pack([head, *[line_text(_, line) for line in lines], foot])


async def send_digests(context: TwofoldContext) -> int:
    """Send every digest whose local time has come and that nobody sent yet; how many."""
    services = context.services
    settings, now = services.settings, services.clock.now()
    async with services.database.session() as session:
        due = await digest.due_therapists(
            session=session, now=now, weekday=settings.digest_weekday, at=settings.digest_time
        )
    sent = 0
    for therapist, week in due:
        async with services.database.session() as session:
            lines = await digest.lines_for(session=session, therapist=therapist, now=now)
            # Claimed in the transaction that read it, committed before anything is sent:
            # at most once, even with a crash between the two.
            if not lines or not await digest.claim(
                session=session, therapist=therapist, week=week, now=now
            ):
                continue
        _ = translator(therapist.language)
        week_of = format_date(
            local_today(now, therapist.timezone), "EEEE d MMMM", locale=therapist.language
        )
        try:
            for text in digest_messages(_, lines, week_of):
                await context.bot.send_message(therapist.telegram_id, text)
        except (Forbidden, BadRequest) as exc:
            logger.warning("could not send the digest to therapist %s: %s", therapist.id, exc)
            continue
        sent += 1
    return sent


async def toggle_digest(update: Update, context: TwofoldContext) -> None:
    """Turn the weekly digest on or off, or say whether it is on."""
    me = await caller(update, context)
    therapist = me.identity.therapist
    if therapist is None:
        await not_for_you(update, me)
        return
    _, word = me._, command_argument(update).lower()
    if word in ON_WORDS or word in OFF_WORDS:
        async with context.services.database.session() as session:
            therapist = await digest.set_enabled(
                session=session, therapist=therapist, enabled=word in ON_WORDS
            )
    settings = context.services.settings
    when = _("every {weekday} at {time} ({zone})").format(
        weekday=_weekday(settings.digest_weekday, me.identity.language),
        time=settings.digest_time,
        zone=esc(therapist.timezone),
    )
    if therapist.digest_enabled:
        text = _("Your weekly digest is on: {when}. /digest off turns it off.")
    else:
        text = _("Your weekly digest is off. /digest on turns it back on ({when}).")
    await reply(update, text.format(when=when))


def _weekday(iso_weekday: int, language: str) -> str:
    return str(get_day_names("wide", locale=language)[iso_weekday - 1])


HANDLERS = [CommandHandler("digest", toggle_digest)]
