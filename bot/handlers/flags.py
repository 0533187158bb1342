"""/flags <couple id>: a couple's open safety flags, each with a "Mark as seen" button.

A flag stays open until the couple's therapist marks it as seen, here or with the same
button on the flag's notice (`seen_button`); the digest and the brief count only open
flags. A press by anyone else, or on a flag that is gone, changes nothing.
"""

from __future__ import annotations

import re

from babel.dates import format_datetime
from telegram import InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.context import TwofoldContext
from bot.db.models import FlagKind
from bot.handlers.common import caller, command_argument, couple_not_found, esc, keyboard, reply
from bot.handlers.reports import therapist_of
from bot.i18n import N_, Gettext
from bot.services import audit, couples, flags, reports
from bot.services.flags import OpenFlag
from bot.services.localtime import local_now

SEEN = "fs"  # "fs:<flag id>": mark one flag as seen
ALL_SEEN = "fa"  # "fa:<couple id>:<newest flag id listed>": mark those listed as seen
_SEEN_DATA = re.compile(rf"^{SEEN}:(\d{{1,18}})$")
_ALL_DATA = re.compile(rf"^{ALL_SEEN}:([a-z0-9]{{1,12}}):(\d{{1,18}})$")

KINDS = {
    FlagKind.CRISIS.value: N_("crisis language"),
    FlagKind.CHECK_IN.value: N_('answered a safety check-in with "not sure" or "I need help"'),
    FlagKind.HELP_NOW.value: N_('pressed "I need help now"'),
}


def kind_label(_: Gettext, kind: str) -> str:
    return _(KINDS[kind]) if kind in KINDS else kind


def seen_button(_: Gettext, flag_id: int) -> InlineKeyboardMarkup:
    """The "Mark as seen" button for one flag, in the therapist's language."""
    return keyboard([[(_("Mark as seen"), f"{SEEN}:{flag_id}")]])


def _flag_line(_: Gettext, item: OpenFlag, language: str, zone: str) -> str:
    when = format_datetime(
        local_now(item.flag.created_at, zone), "EEE d MMM yyyy, HH:mm", locale=language
    )
    return _("⚑ {name}: {kind}, {when}").format(
        name=f"<b>{esc(item.partner.display_name)}</b>",
        kind=esc(kind_label(_, item.flag.kind)),
        when=esc(when),
    )


async def list_flags(update: Update, context: TwofoldContext) -> None:
    """List a couple's open flags, oldest first, each with its Mark as seen button."""
    found_me = await therapist_of(update, context)
    if found_me is None:
        return
    me, therapist = found_me
    _, language = me._, me.identity.language
    public_id = couples.normalize_public_id(command_argument(update))
    if not public_id:
        await reply(update, _("Send /flags followed by a couple's id, like /flags k7m2qx."))
        return
    now = context.services.clock.now()
    async with context.services.database.session() as session:
        couple = await reports.own_couple(
            session=session, therapist=therapist, public_id=public_id, now=now
        )
        found = [] if couple is None else await flags.open_flags(session=session, couple=couple)
        await audit.record_therapist_look(
            session=session, therapist_telegram_id=therapist.telegram_id, action="flags",
            public_id=public_id, detail=None if couple is None else f"open={len(found)}",
            now=now,
        )  # fmt: skip
    if couple is None:
        await reply(update, couple_not_found(me, public_id))
        return
    label = esc(couple.label)
    if not found:
        await reply(update, _("<b>{label}</b> has no open flags.").format(label=label))
        return
    shown = found[: flags.MAX_LISTED]
    head = [
        _(
            "<b>Open flags: {label}</b> ({id}). Times in {zone}. Mark each as seen once "
            "you have followed up; the digest and /brief count only open flags."
        ).format(label=label, id=couple.public_id, zone=esc(therapist.timezone))
    ]
    if len(found) > len(shown):
        head.append(
            _("The {shown} oldest of {n} are shown; mark them as seen to see the rest.").format(
                shown=len(shown), n=len(found)
            )
        )
    markup = None
    if len(found) > 1:
        newest = max(item.flag.id or 0 for item in found)
        markup = keyboard([[(_("Mark all as seen"), f"{ALL_SEEN}:{couple.public_id}:{newest}")]])
    await reply(update, "\n".join(head), markup)
    for item in shown:
        assert item.flag.id is not None
        await reply(
            update,
            _flag_line(_, item, language, therapist.timezone),
            seen_button(_, item.flag.id),
        )


async def on_seen_button(update: Update, context: TwofoldContext) -> None:
    """Mark one flag as seen, if the presser is the therapist of its couple."""
    query = update.callback_query
    assert query is not None
    me = await caller(update, context)
    _, therapist = me._, me.identity.therapist
    match = _SEEN_DATA.match(query.data or "")
    marked = None
    if therapist is not None and match is not None:
        async with context.services.database.session() as session:
            marked = await flags.mark_seen(
                session=session,
                therapist=therapist,
                flag_id=int(match.group(1)),
                now=context.services.clock.now(),
            )
    if marked is None:
        await query.answer(_("This is no longer available."))
        return
    await query.answer(_("Marked as seen.") if marked else _("This flag was already seen."))
    await query.edit_message_reply_markup(None)


async def on_all_seen_button(update: Update, context: TwofoldContext) -> None:
    """Mark the flags a /flags list showed as seen (not any raised since)."""
    query = update.callback_query
    assert query is not None
    me = await caller(update, context)
    _, therapist = me._, me.identity.therapist
    match = _ALL_DATA.match(query.data or "")
    count = None
    if therapist is not None and match is not None:
        now = context.services.clock.now()
        async with context.services.database.session() as session:
            couple = await reports.own_couple(
                session=session, therapist=therapist, public_id=match.group(1), now=now
            )
            if couple is not None:
                count = await flags.mark_all_seen(
                    session=session, couple=couple, up_to=int(match.group(2)), now=now
                )
    if count is None:
        await query.answer(_("This is no longer available."))
        return
    await query.answer(_("Marked as seen: {n}.").format(n=count))
    await query.edit_message_reply_markup(None)


HANDLERS = [
    CommandHandler("flags", list_flags),
    CallbackQueryHandler(on_seen_button, pattern=rf"^{SEEN}:"),
    CallbackQueryHandler(on_all_seen_button, pattern=rf"^{ALL_SEEN}:"),
]
