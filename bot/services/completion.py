"""A partner acting on a delivered exercise: done, skip, or later (snooze)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db.models import Delivery, Partner
from bot.library import Library
from bot.services import responses
from bot.services.reminders import snooze_until

SNOOZE_HOURS = {"s1": 1, "s3": 3}


class Action(StrEnum):
    DONE = "done"
    SKIP = "skip"
    SNOOZE_1 = "s1"
    SNOOZE_3 = "s3"


@dataclass(frozen=True, slots=True)
class Acted:
    delivery: Delivery
    partner: Partner
    remind_at: datetime | None = None


async def act(
    *, session: AsyncSession, delivery_id: int, telegram_id: int, action: Action, now: datetime
) -> Acted | None:
    """Apply `action`; None if the delivery is not this person's or no longer open.

    "Not yours" and "not open any more" are the same answer, so ids cannot be probed.
    """
    delivery = await session.get(Delivery, delivery_id)
    if delivery is None or delivery.status != "sent":
        return None
    partner = await session.get(Partner, delivery.partner_id)
    if partner is None or partner.telegram_id != telegram_id or not partner.is_current:
        return None
    if action in (Action.DONE, Action.SKIP):
        delivery.status = "done" if action is Action.DONE else "skipped"
        delivery.completed_at, delivery.remind_at = now, None
        if action is Action.DONE:
            # The row a rating, and the joint confirmation of a together exercise, live on.
            await responses.ensure_response(session=session, delivery=delivery, now=now)
    else:
        delivery.remind_at = snooze_until(
            now,
            SNOOZE_HOURS[action.value],
            zone=partner.timezone,
            quiet=(partner.quiet_start, partner.quiet_end),
        )
    session.add(delivery)
    return Acted(delivery, partner, delivery.remind_at)


async def owned(*, session: AsyncSession, delivery_id: int, telegram_id: int) -> Delivery | None:
    """The delivery if it belongs to this person's current membership, else None."""
    delivery = await session.get(Delivery, delivery_id)
    if delivery is None:
        return None
    partner = await session.get(Partner, delivery.partner_id)
    if partner is None or partner.telegram_id != telegram_id or not partner.is_current:
        return None
    return delivery


async def choose(
    *,
    session: AsyncSession,
    library: Library,
    delivery_id: int,
    telegram_id: int,
    value: int,
    now: datetime,
) -> responses.Recorded | None:
    """Answer a scale or choice exercise with a button; None if not allowed (any reason).

    Choosing again changes the answer until the partner's next exercise arrives.
    """
    delivery = await owned(session=session, delivery_id=delivery_id, telegram_id=telegram_id)
    if delivery is None:
        return None
    exercise = library.exercise(delivery.exercise_slug)
    if exercise is None or exercise.response not in ("scale", "choice"):
        return None
    valid = range(1, 6) if exercise.response == "scale" else range(len(exercise.choices))
    if value not in valid:
        return None
    if delivery.status != "sent" and not (
        delivery.status == "done" and await responses.editable(session=session, delivery=delivery)
    ):
        return None
    return await responses.record_value(session=session, delivery=delivery, value=value, now=now)
