"""What partners hear after an answer: one acknowledgement, the follow-up, the reveal."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Sequence
from enum import StrEnum

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, ReplyParameters
from telegram.error import TelegramError

from bot.context import TwofoldContext
from bot.db.models import Delivery, NoticeKind, Partner
from bot.delivery.buttons import RATINGS, RatingButton
from bot.delivery.messages import choice_label
from bot.handlers import follow_ups, letters
from bot.handlers.common import esc, notify
from bot.handlers.parts import send_parts, split_text
from bot.i18n import Gettext, translator
from bot.library import Exercise
from bot.services import pairs, responses
from bot.services.pairs import PairEvent, PairOutcome, Side

logger = logging.getLogger(__name__)


def rating_keyboard() -> InlineKeyboardMarkup:
    """1-5; the prompt replies to the exercise message, which says what is rated."""
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(str(n), callback_data=RatingButton(n).pack()) for n in RATINGS]]
    )


def answer_parts(side: Side, exercise: Exercise, language: str, _: Gettext) -> list[str]:
    """The answer on `side`, ready to quote in HTML: one part per message, never cut short."""
    response, parts = side.response, []
    if response is not None and response.value is not None:
        if exercise.response == "scale":
            parts.append(_("<b>{value}</b> of 5").format(value=response.value))
        elif 0 <= response.value < len(exercise.choices):
            parts.append(f"<b>{esc(choice_label(exercise, response.value, language))}</b>")
    if side.text is not None:
        quotes = [f"<blockquote>{esc(piece)}</blockquote>" for piece in split_text(side.text)]
        if parts:
            quotes[0] = f"{parts.pop()}\n{quotes[0]}"
        parts += quotes
    return parts


class Said(StrEnum):
    """How the answer was given, which decides the first line of the acknowledgement."""

    WORDS = "words"  # a written answer: "Saved your answer to ..."
    TAP = "tap"  # a scale, choice or Done button: the toast and the ✓ said it already


async def after_completion(
    context: TwofoldContext,
    delivery: Delivery,
    exercise: Exercise,
    *,
    first: bool,
    said: Said = Said.TAP,
    quiet: bool = False,
) -> None:
    """Tell the couple what follows an answer: one calm message to the one who answered.

    That message says it is saved (for words), that the partner's answer will follow (a
    shared exercise), then asks the follow-up, or else how helpful it was (once).
    `quiet`: the safety screen has just answered; nothing cheerful follows it.
    """
    services = context.services
    async with services.database.session() as session:
        outcome = await pairs.after_answer(
            session=session, crypto=services.crypto, exercise=exercise, delivery=delivery,
            first=first, now=services.clock.now(),
        )  # fmt: skip
    # A letter goes to the partner as soon as it is written (quietly too: it is theirs).
    receiver = await letters.deliver(context, delivery, exercise, first=first)
    if not quiet:
        await _acknowledge(
            context, delivery, exercise, outcome, first=first, said=said, receiver=receiver
        )
    # After the acknowledgement: a reveal is news of its own, with its own follow-up.
    await _announce(context, outcome, exercise)


async def _acknowledge(
    context: TwofoldContext,
    delivery: Delivery,
    exercise: Exercise,
    outcome: PairOutcome,
    *,
    first: bool,
    said: Said,
    receiver: str | None = None,
) -> None:
    partner = outcome.me.partner if outcome.me else None
    partner = partner or await _load_partner(context, delivery.partner_id)
    if partner is None:
        return
    _ = translator(partner.language)
    title = esc(exercise.title_in(partner.language))
    lines: list[str] = []
    if said is Said.WORDS:
        lines.append(
            _("Saved your answer to “{title}”. Thank you.").format(title=title)
            if first
            else _("Updated your answer to “{title}”.").format(title=title)
        )
    if receiver is not None:
        note = _("Sent it to {name}.") if first else _("Sent the new version to {name}.")
        lines.append(note.format(name=esc(receiver)))
    if (
        outcome.event is PairEvent.WAITING
        and exercise.mode == "shared"
        and outcome.me is not None
        and outcome.other is not None
        and outcome.me.visible
        and outcome.other.visible
    ):
        lines.append(
            _("You'll see {name}'s answer once they have answered too.").format(
                name=esc(outcome.other.partner.display_name)
            )
        )
    follow_up = None
    if first and exercise.mode != "shared":  # a shared exercise asks it with the reveal
        follow_up = await follow_ups.render(context, delivery, exercise)
    if follow_up:
        lines.append(follow_ups.question(follow_up, partner.language))
    step = bool(
        follow_up
        and follow_ups.waits_for_words(follow_up)
        and await follow_ups.step_free(context, partner.telegram_id)
    )
    rows: list[Sequence[InlineKeyboardButton]] = []
    rating_row = first and delivery.telegram_message_id is not None
    if rating_row:
        lines.append(_("How helpful was this exercise for you? (optional)"))
        rows += rating_keyboard().inline_keyboard
    if step:
        rows += follow_ups.markup(partner.language).inline_keyboard
    if not lines:
        return
    markup = InlineKeyboardMarkup(rows) if rows else None
    sent = await _send_own(context, partner.telegram_id, delivery, "\n\n".join(lines), markup)
    if step and sent is not None:
        await follow_ups.open_step(
            context, partner.telegram_id, delivery, prompt=sent, rating_row=rating_row
        )


async def after_follow_up(
    context: TwofoldContext,
    recorded: responses.Recorded,
    exercise: Exercise,
    *,
    quiet: bool,
) -> None:
    """The follow-up words are saved: say so once."""
    delivery = recorded.delivery
    services = context.services
    async with services.database.session() as session:
        outcome = await pairs.after_answer(
            session=session, crypto=services.crypto, exercise=exercise, delivery=delivery,
            first=False, now=services.clock.now(),
        )  # fmt: skip
    partner = await _load_partner(context, delivery.partner_id)
    if partner is not None and not quiet:
        _ = translator(partner.language)
        text = _("Saved your words with “{title}”. Thank you.").format(
            title=esc(exercise.title_in(partner.language))
        )
        await _send_own(context, partner.telegram_id, delivery, text, None)
    await _announce(context, outcome, exercise)


async def drop_buttons(context: TwofoldContext, chat_id: int, delivery: Delivery) -> None:
    """Take Done, Skip and Later off the exercise message (scale and choice values stay)."""
    if delivery.telegram_message_id is None:
        return
    exercise = context.services.library.exercise(delivery.exercise_slug)
    if exercise is not None and exercise.response in ("scale", "choice"):
        return  # its value buttons still change the answer; a tap trims the rest
    # already without buttons, or too old to edit
    with contextlib.suppress(TelegramError):
        await context.bot.edit_message_reply_markup(
            chat_id, delivery.telegram_message_id, reply_markup=None
        )


async def _send_own(
    context: TwofoldContext,
    telegram_id: int,
    delivery: Delivery,
    text: str,
    markup: InlineKeyboardMarkup | None,
) -> int | None:
    """Answer the one who acted, in reply to the exercise message; the sent message's id."""
    reply_to = None
    if delivery.telegram_message_id is not None:
        reply_to = ReplyParameters(delivery.telegram_message_id, allow_sending_without_reply=True)
    try:
        message = await context.bot.send_message(
            telegram_id, text, reply_markup=markup, reply_parameters=reply_to
        )
    except TelegramError:
        logger.warning("could not acknowledge an answer", exc_info=True)
        return None
    return message.message_id


async def _announce(context: TwofoldContext, outcome: PairOutcome, exercise: Exercise) -> None:
    me, other = outcome.me, outcome.other
    if me is None or other is None:
        return
    if outcome.event is PairEvent.WAITING:
        await _waiting(context, me, other, exercise)
    elif outcome.event is PairEvent.REVEAL:
        await _reveal_to(context, reader=me, author=other, exercise=exercise)
        await _reveal_to(context, reader=other, author=me, exercise=exercise)
    elif outcome.event is PairEvent.UPDATED and me.visible and other.visible:
        _ = translator(other.partner.language)
        title = esc(exercise.title_in(other.partner.language))
        heading = _("{name} changed their answer to “{title}”:").format(
            name=esc(me.partner.display_name), title=title
        )
        parts = answer_parts(me, exercise, other.partner.language, _)
        await send_parts(
            context, other.partner.telegram_id, heading, parts, about=me.partner.telegram_id
        )
    elif outcome.event is PairEvent.CONFIRMED:
        for side in (me, other):
            _ = translator(side.partner.language)
            await notify(
                context,
                side.partner.telegram_id,
                _("You both confirmed “{title}”. Nicely done, together.").format(
                    title=esc(exercise.title_in(side.partner.language))
                ),
                kind=NoticeKind.PARTNER,
            )


async def _waiting(context: TwofoldContext, me: Side, other: Side, exercise: Exercise) -> None:
    """Tell the first to answer what happens next, and the other that an answer is in."""
    # (The one who answered hears what happens next in their acknowledgement.)
    mutual = me.visible and other.visible
    if other.delivery.status != "sent":
        return  # they skipped it or it is closed: no nudge
    _ = translator(other.partner.language)
    title = esc(exercise.title_in(other.partner.language))
    name = esc(me.partner.display_name)
    if exercise.mode == "together":
        text = _("{name} confirmed you did “{title}” together. Tap Done on it when you agree.")
    elif mutual:
        text = _(
            "{name} has answered “{title}”. Answer it too and you'll see each other's answers."
        )
    else:
        text = _("{name} has answered “{title}”.")
    text = text.format(name=name, title=title)
    await notify(context, other.partner.telegram_id, text, kind=NoticeKind.PARTNER)


async def _reveal_to(
    context: TwofoldContext, *, reader: Side, author: Side, exercise: Exercise
) -> None:
    """Show `reader` the other's answer (all of it), with the exercise's follow-up question."""
    language = reader.partner.language
    _ = translator(language)
    title = esc(exercise.title_in(language))
    telegram_id = reader.partner.telegram_id
    if author.visible and reader.visible:
        heading = _("You have both answered “{title}”. Here is {name}'s answer:").format(
            title=title, name=esc(author.partner.display_name)
        )
        parts = answer_parts(author, exercise, language, _)
    else:
        heading = _(
            "You have both answered “{title}”. Your answers stay between each of you and "
            "Twofold, because sharing with each other is off."
        ).format(title=title)
        parts = []
    # The follow-up reflects on the other's answer: only asked when it is shown.
    follow_up = None
    if parts:
        follow_up = await follow_ups.render(context, reader.delivery, exercise)
    markup = None
    if follow_up:
        parts[-1] += "\n\n" + follow_ups.question(follow_up, language)
    if (
        follow_up
        and follow_ups.waits_for_words(follow_up)
        and await follow_ups.step_free(context, telegram_id)
    ):
        markup = follow_ups.markup(language)
        await follow_ups.open_step(context, telegram_id, reader.delivery, prompt=0)
    await send_parts(context, telegram_id, heading, parts, markup, about=author.partner.telegram_id)


async def _load_partner(context: TwofoldContext, partner_id: int) -> Partner | None:
    async with context.services.database.session() as session:
        return await session.get(Partner, partner_id)
