"""Therapist reporting: /report, /export and /brief for one of their couples.

Each is recorded in the audit log. A couple id that is unknown or another therapist's
gets the same answer (`couple_not_found`), so ids cannot be probed.
"""

from __future__ import annotations

import asyncio

from babel.dates import format_date
from telegram import Message, Update
from telegram.constants import ChatAction
from telegram.ext import CommandHandler

from bot.context import TwofoldContext
from bot.db.models import Therapist
from bot.handlers.answer_lines import scale_lines, written_lines
from bot.handlers.common import (
    Caller,
    caller,
    command_argument,
    couple_not_found,
    esc,
    not_for_you,
    reply,
)
from bot.i18n import Gettext
from bot.library import MAX_MESSAGE_LENGTH, utf16_length
from bot.services import audit, charts, couples, export, reports
from bot.services.reports import Line, Report, Row

# Room under Telegram's 4096 for what a split adds; counted on the raw HTML, which is
# never shorter than the text Telegram counts.
MESSAGE_BUDGET = MAX_MESSAGE_LENGTH - 96
MAX_ANSWER = 1500  # characters of one answer shown in a chat; /export has them whole


def pack(blocks: list[str], budget: int = MESSAGE_BUDGET) -> list[str]:
    """Join blocks into as few messages as fit, never splitting a block.

    Every block must fit on its own (callers cut long text before escaping it).
    """
    messages: list[str] = []
    current = ""
    for block in blocks:
        candidate = f"{current}\n\n{block}" if current else block
        if utf16_length(candidate) <= budget:
            current = candidate
            continue
        if current:
            messages.append(current)
        current = block
    if current:
        messages.append(current)
    return messages


def shortened(_: Gettext, text: str, limit: int = MAX_ANSWER) -> str:
    """Escaped text, cut at `limit` characters with a note saying where the rest is."""
    if len(text) <= limit:
        return esc(text)
    note = _("(shortened: /export has the full text)")
    return f"{esc(text[:limit].rstrip())}… <i>{note}</i>"


async def therapist_of(update: Update, context: TwofoldContext) -> tuple[Caller, Therapist] | None:
    me = await caller(update, context)
    if me.identity.therapist is None:
        await not_for_you(update, me)
        return None
    return me, me.identity.therapist


def _rating(_: Gettext, line: Line) -> str:
    average = line.average_rating
    if average is None:
        return ""
    return _("helpfulness {average:.1f}/5 (ratings: {n})").format(
        average=average, n=len(line.ratings)
    )


def line_text(_: Gettext, line: Line, name: str) -> str:
    tally = line.tally
    parts = [_("{done} of {due} done").format(done=tally.done, due=tally.due)]
    for count, label in (
        (line.late, _("{n} late")),
        (tally.skipped, _("{n} skipped")),
        (tally.missed, _("{n} missed")),
        (tally.open, _("{n} open")),
        (tally.undelivered, _("{n} not delivered")),
        (tally.paused, _("{n} on hold")),
    ):
        if count:
            parts.append(label.format(n=count))
    if rating := _rating(_, line):
        parts.append(rating)
    return f"• <b>{esc(name)}</b>: " + " · ".join(parts)


def exercise_title(context: TwofoldContext, slug: str, language: str) -> str:
    exercise = context.services.library.exercise(slug)
    return exercise.title_in(language) if exercise else slug


def answer_block(context: TwofoldContext, me: Caller, row: Row) -> str:
    assert row.text is not None
    language = me.identity.language
    when = format_date(row.delivery.local_date, "EEE d MMM", locale=language)
    title = exercise_title(context, row.delivery.exercise_slug, language)
    head = f"<i>{esc(row.partner.display_name)}, {esc(when)} — {esc(title)}</i>"
    return f"{head}\n{shortened(me._, row.text)}"


def bulleted(heading: str, lines: list[str]) -> str:
    """A heading (HTML) over plain-text lines, escaped, one bullet each."""
    return "\n".join([heading, *(f"• {esc(line)}" for line in lines)])


def report_blocks(context: TwofoldContext, me: Caller, found: Report, weeks: int) -> list[str]:
    _, language = me._, me.identity.language
    head = _("<b>Report: {label}</b> ({id})\nThe last {weeks} week(s), since {date}.").format(
        label=esc(found.couple.label),
        id=found.couple.public_id,
        weeks=weeks,
        date=esc(format_date(found.since, "d MMM yyyy", locale=language)),
    )
    if not found.partners:
        return [head, _("Nothing was due in this period.")]
    per_partner = [line_text(_, line, line.key) for line in found.partners]
    blocks = [head, "\n".join([_("<b>Per partner</b>"), *per_partner])]
    blocks.append(
        "\n".join(
            [_("<b>Per exercise</b>")]
            + [
                line_text(_, line, exercise_title(context, line.key, language))
                for line in found.exercises
            ]
        )
    )
    if found.scales:
        scales = scale_lines(_, context.services.library, language, found.scales)
        blocks.append(bulleted(_("<b>Scale and choice answers</b>"), scales))
    if found.written:
        blocks.append(bulleted(_("<b>What was written</b>"), written_lines(_, found.written)))
    blocks.append(_("<b>Written answers shared with you</b>"))
    if found.answers:
        blocks += [answer_block(context, me, row) for row in found.answers]
    else:
        blocks.append(_("No written answers were shared with you in this period."))
    return blocks


def parse_report_argument(argument: str) -> tuple[str, int | None]:
    """`k7m2qx 6` -> ("k7m2qx", 6); a second word that is not a number -> weeks None."""
    words = argument.split()
    public_id = couples.normalize_public_id(words[0]) if words else ""
    if len(words) < 2:
        return public_id, reports.DEFAULT_WEEKS
    if len(words) == 2 and words[1].isdigit() and 1 <= int(words[1]) <= reports.MAX_WEEKS:
        return public_id, int(words[1])
    return public_id, None


async def send_chart(context: TwofoldContext, message: Message, me: Caller, found: Report) -> None:
    if not found.progress.partners:
        return
    await context.bot.send_chat_action(message.chat_id, ChatAction.UPLOAD_PHOTO)
    picture = await asyncio.to_thread(
        charts.heatmap_png,
        charts.series_of(found.progress),
        language=me.identity.language,
        title=found.couple.label,
    )
    await message.reply_photo(picture, caption=me._("The last four weeks, day by day."))


async def show_report(update: Update, context: TwofoldContext) -> None:
    """Send a couple's completion, ratings and shared answers, then the chart."""
    found_me = await therapist_of(update, context)
    if found_me is None:
        return
    me, therapist = found_me
    public_id, weeks = parse_report_argument(command_argument(update))
    if not public_id or weeks is None:
        text = me._(
            "Send /report followed by a couple's id and, if you like, a number of weeks "
            "(1-52), like /report k7m2qx 4."
        )
        await reply(update, text)
        return
    now = context.services.clock.now()
    async with context.services.database.session() as session:
        found = await reports.report(
            session=session,
            therapist=therapist,
            public_id=public_id,
            weeks=weeks,
            now=now,
            box=context.services.crypto,
            library=context.services.library,
        )
        await audit.record_therapist_look(
            session=session, therapist_telegram_id=therapist.telegram_id, action="report",
            public_id=public_id, detail=f"weeks={weeks}" if found else None, now=now,
        )  # fmt: skip
    if found is None:
        await reply(update, couple_not_found(me, public_id))
        return
    for text in pack(report_blocks(context, me, found, weeks)):
        await reply(update, text)
    message = update.effective_message
    assert message is not None
    await send_chart(context, message, me, found)


async def send_export(update: Update, context: TwofoldContext) -> None:
    """Send a couple's whole history as a CSV and a JSON document."""
    found_me = await therapist_of(update, context)
    if found_me is None:
        return
    me, therapist = found_me
    public_id = couples.normalize_public_id(command_argument(update))
    if not public_id:
        await reply(update, me._("Send /export followed by a couple's id, like /export k7m2qx."))
        return
    now = context.services.clock.now()
    async with context.services.database.session() as session:
        found = await export.export(
            session=session,
            therapist=therapist,
            public_id=public_id,
            now=now,
            box=context.services.crypto,
            library=context.services.library,
        )
        await audit.record_therapist_look(
            session=session, therapist_telegram_id=therapist.telegram_id, action="export",
            public_id=public_id, detail=f"rows={len(found.records)}" if found else None, now=now,
        )  # fmt: skip
    if found is None:
        await reply(update, couple_not_found(me, public_id))
        return
    message = update.effective_message
    assert message is not None
    await context.bot.send_chat_action(message.chat_id, ChatAction.UPLOAD_DOCUMENT)
    stem = f"twofold-{found.couple.public_id}-{now.date().isoformat()}"
    caption = me._(
        "The history of <b>{label}</b>: one row per exercise sent ({n}). Written answers "
        "appear only where the partner agreed to share them with you; the answer column "
        "says where one was kept private. The JSON file also lists the flags."
    ).format(label=esc(found.couple.label), n=len(found.records))
    await message.reply_document(found.csv, filename=f"{stem}.csv", caption=caption)
    await message.reply_document(found.json, filename=f"{stem}.json")


HANDLERS = [
    CommandHandler("report", show_report),
    CommandHandler("export", send_export),
]
