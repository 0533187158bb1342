"""/progress for partners: this week, all time and the joint streak, with a picture."""

from __future__ import annotations

import asyncio

from telegram import Update
from telegram.constants import ChatAction
from telegram.ext import CommandHandler

from bot.context import TwofoldContext
from bot.handlers.answer_lines import scale_lines
from bot.handlers.common import Caller, caller, esc, not_for_you, reply
from bot.i18n import Gettext
from bot.services import charts, progress
from bot.services.couples import partner_paused
from bot.services.progress import CoupleProgress, OwnAnswers, PartnerProgress, Tally


def _count(_: Gettext, tally: Tally) -> str:
    if tally.due == 0:
        return _("nothing due yet")
    return _("{done} of {due} done").format(done=tally.done, due=tally.due)


def _who(_: Gettext, me: Caller, item: PartnerProgress) -> str:
    if item.partner.telegram_id == me.identity.telegram_id:
        return _("You")
    return esc(item.partner.display_name)


def _streak(_: Gettext, days: int) -> str:
    if days == 0:
        return _("Your next day of exercises together can start a new streak.")
    if days == 1:
        return _("Joint streak: 1 day. A good start!")
    return _("Joint streak: {n} days in a row together. Lovely consistency!").format(n=days)


def _encouragement(_: Gettext, result: CoupleProgress) -> str:
    week = result.week
    if week.due == 0:
        return _("A fresh week: whatever you do together this week counts.")
    if week.done == week.due:
        return _("Everything so far this week is done. Well done, both of you.")
    if week.done:
        return _("Every exercise you make time for is a step toward each other.")
    return _("There is still time this week: even one small exercise together helps.")


def own_lines(context: TwofoldContext, me: Caller, own: OwnAnswers) -> list[str]:
    """The reader's own scale answers and how much they wrote; never the partner's."""
    _, language = me._, me.identity.language
    lines = []
    if own.scales:
        lines += ["", _("<b>Your answers</b>")]
        found = scale_lines(_, context.services.library, language, own.scales, names=False)
        lines += [f"• {esc(line)}" for line in found]
    if own.written:
        lines += ["", _("You have written {n} answer(s) so far.").format(n=own.written)]
    return lines


def summary(
    _: Gettext, me: Caller, result: CoupleProgress, now_paused: bool, own: list[str] | None = None
) -> str:
    """The text part of /progress: counts as done-of-due, never a list of what wasn't done."""
    lines = [_("<b>Your progress together</b>"), "", _("<b>This week</b>")]
    lines += [f"• {_who(_, me, p)}: {_count(_, p.week)}" for p in result.partners]
    lines += ["", _("<b>All time</b>")]
    lines += [f"• {_who(_, me, p)}: {_count(_, p.total)}" for p in result.partners]
    together = result.total
    if together.due:
        lines.append(_("Together: {done} exercises done.").format(done=together.done))
    lines += own or []
    lines += ["", _streak(_, result.streak)]
    if now_paused:
        lines.append(_("Your exercises are paused right now; the streak waits for you."))
    lines += ["", _encouragement(_, result)]
    return "\n".join(lines)


async def show_progress(update: Update, context: TwofoldContext) -> None:
    """Show the couple's progress and the last four weeks as a picture."""
    me = await caller(update, context)
    partner = me.identity.partner
    if partner is None:
        await not_for_you(update, me)
        return
    _, now = me._, context.services.clock.now()
    async with context.services.database.session() as session:
        result = await progress.for_couple(session=session, couple_id=partner.couple_id, now=now)
        own = await progress.own_answers(
            session=session, partner=partner, library=context.services.library
        )
    paused = any(partner_paused(p.partner, now) for p in result.partners)
    await reply(update, summary(_, me, result, paused, own_lines(context, me, own)))
    message = update.effective_message
    assert message is not None
    await context.bot.send_chat_action(message.chat_id, ChatAction.UPLOAD_PHOTO)
    # Drawing takes a moment of CPU: off the event loop, so other chats are not kept waiting.
    picture = await asyncio.to_thread(
        charts.heatmap_png,
        charts.series_of(result),
        language=me.identity.language,
        title=_("The last four weeks"),
    )
    await message.reply_photo(
        picture, caption=_("Your last four weeks, day by day."), filename="progress.png"
    )


HANDLERS = [CommandHandler("progress", show_progress)]
