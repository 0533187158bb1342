"""A partner acting on a delivered exercise: done, skip, or later (snooze)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db.models import Delivery, DeliveryStatus, Partner
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


async def find(
    *, session: AsyncSession, telegram_id: int, message_ids: Sequence[int]
) -> Delivery | None:
    """The delivery shown in one of `message_ids` of this person's chat, if it is theirs.

    Buttons carry no ids: the message they sit on (or, for a reminder or a rating
    prompt, the exercise message it replies to) says which delivery is meant, and
    only within the presser's own current membership. Nothing to forge or probe.
    """
    if not message_ids:
        return None
    query = (
        select(Delivery)
        .join(Partner, col(Partner.id) == col(Delivery.partner_id))
        .where(
            col(Partner.telegram_id) == telegram_id,
            col(Partner.is_current).is_(True),
            col(Delivery.telegram_message_id).in_(list(message_ids)),
        )
        .order_by(col(Delivery.id).desc())
    )
    return (await session.exec(query)).first()


async def act(
    *, session: AsyncSession, delivery: Delivery, action: Action, now: datetime
) -> Acted | None:
    """Apply `action` to the presser's own `delivery`; None if it is no longer open."""
    if delivery.status != DeliveryStatus.SENT:
        return None
    partner = await session.get(Partner, delivery.partner_id)
    assert partner is not None
    if action in (Action.DONE, Action.SKIP):
        done = action is Action.DONE
        delivery.status = DeliveryStatus.DONE if done else DeliveryStatus.SKIPPED
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


async def choose(
    *, session: AsyncSession, library: Library, delivery: Delivery, value: int, now: datetime
) -> responses.Recorded | None:
    """Answer a scale or choice exercise with a button; None if not allowed (any reason).

    Choosing again changes the answer until the partner's next exercise arrives.
    """
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
