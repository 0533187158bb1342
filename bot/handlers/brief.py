"""/brief <couple id>: a one-page summary before the next session, as a message and a PDF."""

from __future__ import annotations

import asyncio

from babel.dates import format_date, format_datetime
from telegram import Update
from telegram.constants import ChatAction
from telegram.ext import CommandHandler

from bot.context import TwofoldContext
from bot.handlers.answer_lines import scale_lines, written_lines
from bot.handlers.common import Caller, command_argument, couple_not_found, esc, reply
from bot.handlers.flags import kind_label
from bot.handlers.reports import exercise_title, pack, therapist_of
from bot.i18n import N_, Gettext
from bot.library import utf16_length
from bot.services import audit, brief, couples
from bot.services.brief import Brief
from bot.services.localtime import local_now
from bot.services.reports import Row

MAX_SHARED = 700  # characters of one answer in the brief; /export has them whole
HARD = {
    "skipped": N_("skipped"),
    "missed": N_("missed (it could not be sent in time)"),
    "undelivered": N_("not delivered"),
    "low_rating": N_("rated {rating}/5 for helpfulness"),
}

Section = tuple[str, list[str]]


def _cut(_: Gettext, text: str) -> str:
    if len(text) <= MAX_SHARED:
        return text
    return f"{text[:MAX_SHARED].rstrip()}… " + _("(shortened: /export has the full text)")


def _item(context: TwofoldContext, me: Caller, row: Row) -> str:
    language = me.identity.language
    title = exercise_title(context, row.delivery.exercise_slug, language)
    when = format_date(row.delivery.local_date, "EEE d MMM", locale=language)
    return f"{row.partner.display_name} — {title} ({when})"


def sections(context: TwofoldContext, me: Caller, found: Brief) -> list[Section]:
    """The brief as plain-text sections (escaped for the message, drawn as-is in the PDF)."""
    _, language = me._, me.identity.language
    nothing = _("Nothing in this period.")
    counts: dict[str, int] = {}
    for row in found.done:
        counts[row.partner.display_name] = counts.get(row.partner.display_name, 0) + 1
    done = [_("{name}: {n} done").format(name=name, n=n) for name, n in counts.items()]
    done += [f"  · {_item(context, me, row)}" for row in found.done]
    hard = []
    for row, reason in found.hard:
        why = _(HARD[reason]).format(rating=row.rating)
        hard.append(f"{_item(context, me, row)}: {why}")
    ratings = [
        _("{name}: {average:.1f}/5 on average (ratings: {n})").format(
            name=line.key, average=line.average_rating or 0, n=len(line.ratings)
        )
        for line in found.ratings
    ]
    shared = [f"{_item(context, me, row)}:\n{_cut(_, row.text or '')}" for row in found.answers]
    zone = me.identity.therapist.timezone if me.identity.therapist else "UTC"
    flags = [
        _("{name}: {kind}, {when}").format(
            name=partner.display_name,
            kind=kind_label(_, flag.kind),
            when=format_date(local_now(flag.created_at, zone), "EEE d MMM", locale=language),
        )
        for partner, flag in found.flags
    ]
    if flags:
        flags.append(_("Open until marked as seen: /flags {id}").format(id=found.couple.public_id))
    scales = scale_lines(_, context.services.library, language, found.scales)
    return [
        (_("What was done"), done or [nothing]),
        (_("What was hard"), hard or [nothing]),
        (_("Helpfulness ratings"), ratings or [nothing]),
        (_("Scale and choice answers"), scales or [nothing]),
        (_("What was written"), written_lines(_, found.written) or [nothing]),
        (_("Written answers shared with you"), shared or [nothing]),
        (_("Open flags"), flags or [_("No open flags.")]),
    ]


def title_of(me: Caller, found: Brief, zone: str) -> tuple[str, str]:
    _, language = me._, me.identity.language
    title = _("Before the session: {label}").format(label=found.couple.label)
    span = _("From {since} to {until}").format(
        since=format_datetime(local_now(found.since, zone), "d MMM, HH:mm", locale=language),
        until=format_datetime(local_now(found.until, zone), "d MMM, HH:mm", locale=language),
    )
    return title, span


def message_blocks(title: str, span: str, parts: list[Section]) -> list[str]:
    blocks = [f"<b>{esc(title)}</b>\n{esc(span)}"]
    for heading, body in parts:
        whole = f"<b>{esc(heading)}</b>\n" + "\n".join(esc(line) for line in body)
        if utf16_length(whole) <= 3000:
            blocks.append(whole)
        else:
            blocks += [f"<b>{esc(heading)}</b>", *[esc(line) for line in body]]
    return blocks


async def send_brief(update: Update, context: TwofoldContext) -> None:
    """Send a couple's one-page summary since the last brief, then the PDF."""
    found_me = await therapist_of(update, context)
    if found_me is None:
        return
    me, therapist = found_me
    public_id = couples.normalize_public_id(command_argument(update))
    if not public_id:
        await reply(update, me._("Send /brief followed by a couple's id, like /brief k7m2qx."))
        return
    now = context.services.clock.now()
    async with context.services.database.session() as session:
        found = await brief.build(
            session=session,
            therapist=therapist,
            public_id=public_id,
            now=now,
            box=context.services.crypto,
            library=context.services.library,
        )
        await audit.record_therapist_look(
            session=session, therapist_telegram_id=therapist.telegram_id, action="brief",
            public_id=public_id, detail="" if found else None, now=now,
        )  # fmt: skip
    if found is None:
        await reply(update, couple_not_found(me, public_id))
        return
    title, span = title_of(me, found, therapist.timezone)
    parts = sections(context, me, found)
    for text in pack(message_blocks(title, span, parts)):
        await reply(update, text)
    message = update.effective_message
    assert message is not None
    await context.bot.send_chat_action(message.chat_id, ChatAction.UPLOAD_DOCUMENT)
    document = await asyncio.to_thread(
        brief.pdf,
        title,
        [(span, []), *parts],
        more=me._("… more in /report and /export."),
    )
    await message.reply_document(
        document,
        filename=f"brief-{found.couple.public_id}-{now.date().isoformat()}.pdf",
        caption=me._("The same brief as a PDF."),
    )
    # Only once it has been delivered does the next brief start from here.
    async with context.services.database.session() as session:
        await brief.mark_briefed(session=session, couple=found.couple, now=now)


HANDLERS = [CommandHandler("brief", send_brief)]
