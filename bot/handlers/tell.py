"""/tell and its answer: a private line between a partner and their therapist, both ways.

A partner writes with /tell; the therapist gets it with a Reply button, and their reply
reaches that partner's chat only. Both are kept, encrypted, for the therapist's /export
(bot/services/tells.py), once delivered. The line stays open for
`safety.TELL_AFTER_LEAVING` after the partner leaves (or the couple is archived); when
there is no therapist to reach, /tell says so and shows the crisis resources.

Nothing in this module ever writes to the other partner's chat (docs/safety.md).
"""

from __future__ import annotations

import re

from babel.dates import format_date
from telegram import InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler

from bot.context import TwofoldContext
from bot.db.models import NoticeKind, Therapist
from bot.delivery.messages import NEUTRAL_LINE
from bot.delivery.notices import NoticeOutcome
from bot.handlers.common import Caller, caller, command_argument, esc, keyboard, notify, reply
from bot.handlers.crisis_help import screen_text, send_help
from bot.i18n import Gettext, translator
from bot.services import conversations, safety, tells
from bot.services.identity import Role
from bot.services.localtime import local_today
from bot.services.safety import PrivateLine

TELL_FLOW = "tell"
REPLY_FLOW = "tellreply"  # a therapist writing their answer to a /tell
REPLY = "tr"  # the Reply button: "tr:<partner id>"; checked again on every press
_REPLY_DATA = re.compile(rf"^{REPLY}:(\d{{1,18}})$")
WINDOW_DAYS = safety.TELL_AFTER_LEAVING.days


def reply_button(t_: Gettext, partner_id: int) -> InlineKeyboardMarkup:
    """The Reply button under a /tell message, in the therapist's language."""
    return keyboard([[(t_("Reply"), f"{REPLY}:{partner_id}")]])


def _strangers_text(_: Gettext) -> str:
    return _(
        "/tell sends a private message to your couples therapist. It works once you "
        "have joined with the invite link your therapist sent you."
    )


async def _no_therapist(context: TwofoldContext, me: Caller, line: PrivateLine) -> None:
    """Say plainly that nobody will read a /tell now, then show the crisis resources."""
    _ = me._
    if line.expired:
        intro = _(
            "There is no therapist to reach with /tell: you left your couple more than "
            "{days} days ago, so /tell no longer reaches your former therapist. Please "
            "contact them another way."
        ).format(days=WINDOW_DAYS)
    else:
        intro = _(
            "There is no therapist to reach with /tell: your therapist no longer uses "
            "Twofold, so nothing can be sent to them. Please contact them another way."
        )
    await send_help(context, me, intro)


async def _line(context: TwofoldContext, me: Caller) -> PrivateLine | None:
    async with context.services.database.session() as session:
        return await safety.private_line(
            session=session,
            telegram_id=me.identity.telegram_id,
            now=context.services.clock.now(),
        )


async def tell(update: Update, context: TwofoldContext) -> None:
    """Send the partner's therapist a private message, or ask for it."""
    me = await caller(update, context)
    _ = me._
    if me.role is Role.THERAPIST:
        await reply(
            update,
            _("/tell lets partners write to you privately; their messages arrive in this chat."),
        )
        return
    line = await _line(context, me)
    if line is None:
        await reply(update, _strangers_text(_))
        return
    if line.therapist is None:
        await _no_therapist(context, me, line)
        return
    text = command_argument(update)
    if text:
        await screen_text(update, context, me, text)
        await on_tell_text(update, context, me, text)
        return
    async with context.services.database.session() as session:
        await conversations.begin(
            session=session,
            telegram_id=me.identity.telegram_id,
            flow=TELL_FLOW,
            step="text",
            now=context.services.clock.now(),
        )
    await reply(
        update,
        _(
            "What would you like to tell your therapist? Write it in one message. Only your "
            "therapist will see it, never your partner."
        ),
    )


def _left_on(line: PrivateLine, language: str, zone: str) -> str:
    assert line.partner.left_at is not None
    return str(format_date(local_today(line.partner.left_at, zone), "d MMMM", locale=language))


async def _within_length(update: Update, me: Caller, text: str) -> str | None:
    """The private message, trimmed; None (and the person told why) if empty or too long."""
    try:
        return safety.check_tell(text)
    except safety.TextLengthError:
        await reply(
            update,
            me._("A message can be up to {max} characters. Please send a shorter one.").format(
                max=safety.MAX_TELL_LENGTH
            ),
        )
        return None


async def on_tell_text(update: Update, context: TwofoldContext, me: Caller, text: str) -> None:
    """Pass the message to the therapist only, with a Reply button; kept for their /export."""
    _ = me._
    checked = await _within_length(update, me, text)
    if checked is None:
        return
    text = checked
    async with context.services.database.session() as session:
        await conversations.end(session=session, telegram_id=me.identity.telegram_id)
    line = await _line(context, me)
    if line is None:
        await reply(update, _strangers_text(_))
        return
    therapist = line.therapist
    if therapist is None:
        await _no_therapist(context, me, line)
        return
    partner, t_ = line.partner, translator(therapist.language)
    assert partner.id is not None
    if line.former:
        heading = t_(
            "Private message from {name}, who left <b>{label}</b> on {date}, sent with "
            "/tell. Their former partner cannot see it:"
        ).format(
            name=esc(partner.display_name),
            label=esc(line.couple.label),
            date=esc(_left_on(line, therapist.language, therapist.timezone)),
        )
    else:
        heading = t_(
            "Private message from {name} (<b>{label}</b>), sent with /tell. Their partner "
            "cannot see it:"
        ).format(name=esc(partner.display_name), label=esc(line.couple.label))
    delivered = await notify(
        context,
        therapist.telegram_id,
        f"{heading}\n\n{esc(text)}",
        reply_button(t_, partner.id),
        kind=NoticeKind.TELL,
        about=partner.telegram_id,
    )
    if delivered is not NoticeOutcome.UNREACHABLE:
        await _keep(context, partner.id, therapist, tells.TO_THERAPIST, text)
    if delivered is NoticeOutcome.UNREACHABLE:
        await reply(
            update,
            _(
                "I couldn't deliver it to your therapist right now. Please try again later, "
                "or contact them another way."
            ),
        )
    elif line.former:
        assert partner.left_at is not None
        until = local_today(partner.left_at + safety.TELL_AFTER_LEAVING, partner.timezone)
        await reply(
            update,
            _(
                "Sent. Only your former therapist can read it. /tell reaches them until {date}."
            ).format(date=esc(format_date(until, "d MMMM", locale=me.identity.language))),
        )
    else:
        await reply(update, _("Sent. Only your therapist can read it."))


async def _keep(
    context: TwofoldContext, partner_id: int, therapist: Therapist, direction: str, text: str
) -> None:
    """Keep a delivered message for the therapist's /export (bot/services/tells.py)."""
    assert therapist.id is not None
    async with context.services.database.session() as session:
        await tells.record(
            session=session, crypto=context.services.crypto, partner_id=partner_id,
            therapist_id=therapist.id, direction=direction, text=text,
            now=context.services.clock.now(),
        )  # fmt: skip


# -- the therapist's answer ------------------------------------------------------------


def _reference(data: str | None) -> int | None:
    match = _REPLY_DATA.match(data or "")
    return int(match.group(1)) if match else None


async def on_reply_button(update: Update, context: TwofoldContext) -> None:
    """Start the therapist's reply, if the partner's /tell still reaches this therapist."""
    query = update.callback_query
    assert query is not None
    me = await caller(update, context)
    _, therapist, partner_id = me._, me.identity.therapist, _reference(query.data)
    line = None
    if therapist is not None and partner_id is not None:
        async with context.services.database.session() as session:
            now = context.services.clock.now()
            line = await safety.reply_line(
                session=session, therapist=therapist, partner_id=partner_id, now=now
            )
            if line is not None:
                await conversations.begin(
                    session=session,
                    telegram_id=me.identity.telegram_id,
                    flow=REPLY_FLOW,
                    step="text",
                    now=now,
                    data={"partner_id": line.partner.id},
                )
    if line is None:
        await query.answer(_("This is no longer available."))
        return
    await query.answer()
    await reply(
        update,
        _(
            "Write your reply to {name} (<b>{label}</b>) in one message. Only {name} will "
            "see it, never their partner. It is kept in your /export of the couple."
        ).format(name=esc(line.partner.display_name), label=esc(line.couple.label)),
    )


def _reply_text(line: PrivateLine, text: str) -> str:
    """The therapist's reply as the partner sees it, in the partner's language."""
    partner, therapist = line.partner, line.therapist
    assert therapist is not None
    p_ = translator(partner.language)
    if therapist.name:
        heading = p_(
            "<b>Private message from your therapist, {name}.</b> Only you can see it, not "
            "your partner:"
        ).format(name=esc(therapist.name))
    else:
        heading = p_(
            "<b>Private message from your therapist.</b> Only you can see it, not your partner:"
        )
    hint = p_("To answer, send /tell followed by your message.")
    parts = [heading, esc(text), f"<i>{hint}</i>"]
    if partner.neutral_notifications:  # a lock-screen preview shows only a bland line
        parts.insert(0, p_(NEUTRAL_LINE))
    return "\n\n".join(parts)


async def on_reply_text(update: Update, context: TwofoldContext, me: Caller, text: str) -> None:
    """Pass the therapist's reply to that partner only; kept for the therapist's /export."""
    _, therapist = me._, me.identity.therapist
    checked = await _within_length(update, me, text)
    if checked is None:
        return
    text = checked
    line = None
    async with context.services.database.session() as session:
        state = await conversations.current(session=session, telegram_id=me.identity.telegram_id)
        partner_id = state.data.get("partner_id") if state is not None else None
        await conversations.end(session=session, telegram_id=me.identity.telegram_id)
        if therapist is not None and isinstance(partner_id, int):
            # Checked again: the partner may have left long ago, or the couple moved on.
            line = await safety.reply_line(
                session=session,
                therapist=therapist,
                partner_id=partner_id,
                now=context.services.clock.now(),
            )
    if line is None:
        await reply(update, _("Your reply was not sent: this conversation is no longer available."))
        return
    name = esc(line.partner.display_name)
    sent = await notify(
        context, line.partner.telegram_id, _reply_text(line, text), kind=NoticeKind.TELL
    )
    if sent is not NoticeOutcome.UNREACHABLE:
        assert line.partner.id is not None and line.therapist is not None
        await _keep(context, line.partner.id, line.therapist, tells.TO_PARTNER, text)
        await reply(update, _("Sent to {name}. Only they can read it.").format(name=name))
    else:
        await reply(
            update,
            _(
                "I couldn't deliver your reply to {name} right now (they may have blocked "
                "the bot). It was not kept; please try again later."
            ).format(name=name),
        )


HANDLERS = [CallbackQueryHandler(on_reply_button, pattern=rf"^{REPLY}:")]
