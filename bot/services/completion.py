"""A partner acting on a delivered exercise: done, skip, or later (snooze)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db.models import Delivery, Partner
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
    else:
        delivery.remind_at = snooze_until(
            now,
            SNOOZE_HOURS[action.value],
            zone=partner.timezone,
            quiet=(partner.quiet_start, partner.quiet_end),
        )
    session.add(delivery)
    return Acted(delivery, partner, delivery.remind_at)
