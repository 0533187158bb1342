"""Letters: a note one partner writes for the other, delivered as soon as it is written.

A `letter` exercise says so in its own consent line (`bot.delivery.audience`); who
receives it is decided in `bot.services.visibility.partner_receives_letter`.
"""

from __future__ import annotations

from bot.context import TwofoldContext
from bot.db.models import Delivery, Partner
from bot.handlers.common import esc
from bot.handlers.parts import send_parts, split_text
from bot.i18n import translator
from bot.library import Exercise
from bot.services import membership, responses
from bot.services.visibility import partner_receives_letter


async def deliver(
    context: TwofoldContext, delivery: Delivery, exercise: Exercise, *, first: bool
) -> str | None:
    """Send the letter held by `delivery` to the other partner; their name, or None."""
    if exercise.response != "letter":
        return None
    services = context.services
    async with services.database.session() as session:
        author = await session.get(Partner, delivery.partner_id)
        if author is None:
            return None
        reader = await membership.other_partner(session=session, partner=author)
        response = await responses.answer_of(session=session, delivery_id=delivery.id or 0)
    if (
        reader is None
        or response is None
        or response.text_ct is None
        or not partner_receives_letter(exercise=exercise, author=author, reader=reader)
    ):
        return None
    text = services.crypto.decrypt(response.text_ct)
    _ = translator(reader.language)
    title, name = esc(exercise.title_in(reader.language)), esc(author.display_name)
    heading = (
        _("A note from {name}, written for “{title}”:")
        if first
        else _("{name} changed their note for “{title}”:")
    ).format(name=name, title=title)
    parts = [f"<blockquote>{esc(piece)}</blockquote>" for piece in split_text(text)]
    await send_parts(context, reader.telegram_id, heading, parts, about=author.telegram_id)
    return reader.display_name
