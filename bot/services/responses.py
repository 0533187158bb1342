"""Partners' answers: where a message belongs, storing it (encrypted), edits and ratings.

Guarantees (docs/progress.md):
- Text is stored the moment it arrives, even if the exercise was closed, cancelled or
  snoozed meanwhile; an answer to a closed exercise is kept as a late answer.
- An answer can be changed until the partner's next exercise arrives.
- Free text only ever reaches the database encrypted (`Response.text_ct`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from sqlalchemy.orm import aliased
from sqlmodel import col, exists, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db.models import Delivery, DeliveryStatus, Partner, Response
from bot.library import Exercise, Library
from bot.services.crypto import Box

# A message that refers to no open exercise still lands on the last one sent this recently.
LATE_ANSWER_WINDOW = timedelta(hours=48)
# Statuses of a delivery the partner has seen, open or not.
DELIVERED = ("sent", "done", "skipped", "cancelled", "held", "missed")


class Fit(StrEnum):
    ANSWER = "answer"  # exactly one exercise is waiting for this text
    EDIT = "edit"  # a reply to an exercise already answered: replaces the answer
    CHOOSE = "choose"  # several open exercises: ask which
    OFFER_EDIT = "offer_edit"  # nothing open, but the last answer can still change
    LOCKED = "locked"  # a reply to an answer that can no longer change
    NONE = "none"  # no exercise this could belong to


@dataclass(frozen=True, slots=True)
class Placement:
    fit: Fit
    deliveries: list[Delivery]

    @property
    def delivery(self) -> Delivery:
        return self.deliveries[0]


async def current_partner(*, session: AsyncSession, telegram_id: int) -> Partner | None:
    query = select(Partner).where(
        col(Partner.telegram_id) == telegram_id, col(Partner.is_current).is_(True)
    )
    return (await session.exec(query)).first()


def _takes_text(delivery: Delivery, library: Library) -> bool:
    exercise = library.exercise(delivery.exercise_slug)
    return exercise is not None and exercise.response in ("text", "letter")


async def answer_of(*, session: AsyncSession, delivery_id: int) -> Response | None:
    query = select(Response).where(col(Response.delivery_id) == delivery_id)
    return (await session.exec(query)).first()


async def editable(*, session: AsyncSession, delivery: Delivery) -> bool:
    """An answer may change until the partner's next exercise arrives."""
    if delivery.sent_at is None:
        return False
    later = aliased(Delivery)
    query = select(
        exists().where(
            col(later.partner_id) == delivery.partner_id,
            col(later.id) != delivery.id,
            col(later.sent_at) > delivery.sent_at,
        )
    )
    return not bool((await session.exec(query)).one())


async def place_text(
    *,
    session: AsyncSession,
    library: Library,
    partner: Partner,
    reply_to: int | None,
    now: datetime,
) -> Placement:
    """Decide which exercise a text message from `partner` answers."""
    assert partner.id is not None
    query = (
        select(Delivery)
        .where(col(Delivery.partner_id) == partner.id, col(Delivery.status).in_(DELIVERED))
        .where(col(Delivery.sent_at).is_not(None))
        .order_by(col(Delivery.sent_at).desc(), col(Delivery.id).desc())
        .limit(50)
    )
    delivered = list((await session.exec(query)).all())
    if reply_to is not None:
        # A reply to an exercise message answers that exercise, whatever its kind.
        for delivery in delivered:
            if delivery.telegram_message_id == reply_to:
                response = await answer_of(session=session, delivery_id=delivery.id or 0)
                if response is None or response.text_ct is None:
                    return Placement(Fit.ANSWER, [delivery])
                if await editable(session=session, delivery=delivery):
                    return Placement(Fit.EDIT, [delivery])
                return Placement(Fit.LOCKED, [delivery])
    recent = [d for d in delivered if _takes_text(d, library)]
    answered = {
        r.delivery_id
        for r in (
            await session.exec(
                select(Response).where(col(Response.delivery_id).in_([d.id for d in recent]))
            )
        ).all()
        if r.text_ct is not None
    }
    waiting = [d for d in recent if d.status == "sent" and d.id not in answered]
    if len(waiting) == 1:
        return Placement(Fit.ANSWER, waiting)
    if waiting:
        return Placement(Fit.CHOOSE, waiting[:5])
    if recent and recent[0].id in answered and await editable(session=session, delivery=recent[0]):
        return Placement(Fit.OFFER_EDIT, recent[:1])
    assert all(d.sent_at is not None for d in recent)
    late = [
        d
        for d in recent
        if d.id not in answered and d.sent_at is not None and now - d.sent_at <= LATE_ANSWER_WINDOW
    ]
    if late:
        return Placement(Fit.ANSWER, late[:1])
    return Placement(Fit.NONE, [])


@dataclass(frozen=True, slots=True)
class Recorded:
    response: Response
    delivery: Delivery
    first: bool  # a new answer, not an edit
    completed: bool  # this answer completed the exercise just now


def _complete(delivery: Delivery, now: datetime) -> bool:
    """Mark `delivery` done if the partner had not closed it; True if it changed."""
    if delivery.status in (DeliveryStatus.SENT, DeliveryStatus.SKIPPED):
        delivery.status, delivery.completed_at = DeliveryStatus.DONE, now
        delivery.remind_at = None
        return True
    return False


async def _response_for(
    *, session: AsyncSession, delivery: Delivery, now: datetime
) -> tuple[Response, bool]:
    response = await answer_of(session=session, delivery_id=delivery.id or 0)
    if response is not None:
        return response, False
    assert delivery.id is not None
    return Response(
        delivery_id=delivery.id, partner_id=delivery.partner_id, answered_at=now, updated_at=now
    ), True


async def ensure_response(*, session: AsyncSession, delivery: Delivery, now: datetime) -> Response:
    response, created = await _response_for(session=session, delivery=delivery, now=now)
    if created:
        session.add(response)
        await session.flush()
    return response


async def record_text(
    *,
    session: AsyncSession,
    crypto: Box,
    delivery: Delivery,
    text: str,
    message_id: int | None,
    now: datetime,
    append: bool = False,
    complete: bool = True,
) -> Recorded:
    """Store `text` as the answer to `delivery` (replacing, or appending to, an earlier one).

    `complete`: the text answers the exercise, so an open one is done; words added to a
    scale or choice exercise that was not answered yet leave it open for the tap.
    """
    response, created = await _response_for(session=session, delivery=delivery, now=now)
    first = created or response.text_ct is None
    if append and response.text_ct is not None:
        text = f"{crypto.decrypt(response.text_ct)}\n\n{text}"
    response.text_ct = crypto.encrypt(text)
    if message_id is not None and not append:
        # Editing that message in Telegram edits the answer (an addition keeps the first).
        response.message_id = message_id
    if first:
        response.answered_at = now
    response.updated_at = now
    completed = _complete(delivery, now) if complete else False
    session.add_all([response, delivery])
    await session.flush()
    return Recorded(response, delivery, first, completed)


async def todays_open(*, session: AsyncSession, partner: Partner, today: date) -> Delivery | None:
    """The latest exercise `partner` received today that holds no written words yet."""
    query = (
        select(Delivery)
        .where(
            col(Delivery.partner_id) == partner.id,
            col(Delivery.local_date) == today,
            col(Delivery.status).in_(("sent", "done")),
            col(Delivery.telegram_message_id).is_not(None),
        )
        .order_by(col(Delivery.sent_at).desc(), col(Delivery.id).desc())
    )
    for delivery in (await session.exec(query)).all():
        response = await answer_of(session=session, delivery_id=delivery.id or 0)
        if response is None or response.text_ct is None:
            return delivery
    return None


async def record_value(
    *, session: AsyncSession, delivery: Delivery, value: int, now: datetime
) -> Recorded:
    """Store a scale value or a choice index; choosing again changes it."""
    response, created = await _response_for(session=session, delivery=delivery, now=now)
    first = created or response.value is None
    response.value, response.updated_at = value, now
    completed = _complete(delivery, now)
    session.add_all([response, delivery])
    await session.flush()
    return Recorded(response, delivery, first, completed)


async def edit_by_message(
    *,
    session: AsyncSession,
    crypto: Box,
    partner: Partner,
    message_id: int,
    text: str,
    now: datetime,
) -> Recorded | bool | None:
    """Apply an edit of the partner's Telegram message to the answer it holds.

    Returns the update, None if the message holds no answer, False if it can no longer change.
    """
    query = select(Response).where(
        col(Response.partner_id) == partner.id, col(Response.message_id) == message_id
    )
    response = (await session.exec(query)).first()
    if response is None:
        return None
    delivery = await session.get(Delivery, response.delivery_id)
    assert delivery is not None
    if not await editable(session=session, delivery=delivery):
        return False
    return await record_text(
        session=session, crypto=crypto, delivery=delivery, text=text, message_id=None, now=now
    )


async def rate(
    *, session: AsyncSession, delivery: Delivery, rating: int, now: datetime
) -> Response | None:
    """Record "how helpful was this?" (1-5) on a completed exercise."""
    if not 1 <= rating <= 5 or delivery.status != "done":
        return None
    response, _created = await _response_for(session=session, delivery=delivery, now=now)
    response.rating, response.updated_at = rating, now
    session.add(response)
    await session.flush()
    return response


def wants_answer(exercise: Exercise) -> bool:
    return exercise.response in ("text", "scale", "choice", "letter")
