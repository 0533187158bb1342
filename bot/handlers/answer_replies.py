"""What partners hear after an answer: the reveal, the joint confirmation, the rating."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, ReplyParameters

from bot.context import TwofoldContext
from bot.db.models import Delivery, NoticeKind, Partner
from bot.delivery.messages import choice_label
from bot.handlers.common import esc, notify
from bot.i18n import Gettext, translator
from bot.library import Exercise
from bot.services import pairs
from bot.services.pairs import PairEvent, PairOutcome, Side

QUOTE_LIMIT = 3500  # leaves room for the framing text within Telegram's 4096


def rating_keyboard() -> InlineKeyboardMarkup:
    """1-5; the prompt replies to the exercise message, which says what is rated."""
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(str(n), callback_data=f"rt:{n}") for n in range(1, 6)]]
    )


def answer_text(side: Side, exercise: Exercise, language: str, _: Gettext) -> str:
    """The answer on `side`, ready to quote in HTML."""
    response = side.response
    if side.text is not None:
        text = side.text if len(side.text) <= QUOTE_LIMIT else side.text[:QUOTE_LIMIT] + "…"
        return f"<blockquote>{esc(text)}</blockquote>"
    if response is not None and response.value is not None:
        if exercise.response == "scale":
            return _("<b>{value}</b> of 5").format(value=response.value)
        if 0 <= response.value < len(exercise.choices):
            return f"<b>{esc(choice_label(exercise, response.value, language))}</b>"
    return ""


async def after_completion(
    context: TwofoldContext,
    delivery: Delivery,
    exercise: Exercise,
    *,
    first: bool,
    ask_rating: bool = True,
) -> None:
    """Tell the couple what follows an answer, then ask how helpful it was (once)."""
    services = context.services
    async with services.database.session() as session:
        outcome = await pairs.after_answer(
            session=session, crypto=services.crypto, exercise=exercise, delivery=delivery,
            first=first, now=services.clock.now(),
        )  # fmt: skip
    await _announce(context, outcome, exercise)
    if ask_rating and first and delivery.telegram_message_id is not None:
        partner = outcome.me.partner if outcome.me else None
        partner = partner or await _load_partner(context, delivery.partner_id)
        if partner is not None:
            _ = translator(partner.language)
            await context.bot.send_message(
                partner.telegram_id,
                _("How helpful was this exercise for you? (optional)"),
                reply_markup=rating_keyboard(),
                reply_parameters=ReplyParameters(
                    delivery.telegram_message_id, allow_sending_without_reply=True
                ),
            )


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
        body = answer_text(me, exercise, other.partner.language, _)
        await notify(
            context,
            other.partner.telegram_id,
            _("{name} changed their answer to “{title}”:").format(
                name=esc(me.partner.display_name), title=title
            )
            + f"\n{body}",
            kind=NoticeKind.PARTNER,
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
    mutual = me.visible and other.visible
    if exercise.mode == "shared" and mutual:
        _ = translator(me.partner.language)
        await notify(
            context,
            me.partner.telegram_id,
            _("Saved. You'll see {name}'s answer once they have answered too.").format(
                name=esc(other.partner.display_name)
            ),
            kind=NoticeKind.PARTNER,
        )
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
    language = reader.partner.language
    _ = translator(language)
    title = esc(exercise.title_in(language))
    if author.visible and reader.visible:
        text = _("You have both answered “{title}”. Here is {name}'s answer:").format(
            title=title, name=esc(author.partner.display_name)
        )
        text += "\n" + answer_text(author, exercise, language, _)
    else:
        text = _(
            "You have both answered “{title}”. Your answers stay between each of you and "
            "Twofold, because sharing with each other is off."
        ).format(title=title)
    await notify(context, reader.partner.telegram_id, text, kind=NoticeKind.PARTNER)


async def _load_partner(context: TwofoldContext, partner_id: int) -> Partner | None:
    async with context.services.database.session() as session:
        return await session.get(Partner, partner_id)
