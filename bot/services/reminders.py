"""Gentle reminders and snoozes: one nudge for an exercise still open, never pushy.

A reminder is due at `remind_at` (set when the exercise is sent, or by a snooze). It
is dropped when the next item has already arrived, the couple is on hold, or the
partner is gone; in quiet hours it waits for them to end.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import exists, update
from sqlalchemy.orm import aliased
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db.models import Delivery
from bot.services.couples import partner_paused
from bot.services.deliveries import Job
from bot.services.localtime import after_quiet_hours


class ReminderDecision(StrEnum):
    SEND = "send"
    DROP = "drop"
    LATER = "later"


async def claim_due(*, session: AsyncSession, now: datetime, limit: int) -> list[int]:
    """Atomically take up to `limit` reminders that are due; return the delivery ids."""
    due = (
        select(Delivery.id)
        .where(
            col(Delivery.status) == "sent",
            col(Delivery.remind_at).is_not(None),
            col(Delivery.remind_at) <= now,
        )
        .order_by(col(Delivery.remind_at))
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    statement = (
        update(Delivery)
        .where(col(Delivery.id).in_(due.scalar_subquery()))
        .values(remind_at=None)
        .returning(col(Delivery.id))
    )
    return [row[0] for row in (await session.exec(statement)).all()]


async def next_item_arrived(*, session: AsyncSession, delivery: Delivery) -> bool:
    later = aliased(Delivery)
    query = select(
        exists().where(
            col(later.assignment_id) == delivery.assignment_id,
            col(later.partner_id) == delivery.partner_id,
            col(later.day) > delivery.day,
            col(later.sent_at).is_not(None),
        )
    )
    return bool((await session.exec(query)).one())


async def decide(
    *, session: AsyncSession, job: Job, now: datetime
) -> tuple[ReminderDecision, datetime | None]:
    partner = job.partner
    gone = not partner.is_current or job.couple.archived_at is not None
    on_hold = (
        job.assignment.status != "active"
        or partner_paused(partner, now)
        or (job.other is not None and partner_paused(job.other, now))
    )
    if gone or on_hold or partner.unreachable_at is not None:
        return ReminderDecision.DROP, None
    if await next_item_arrived(session=session, delivery=job.delivery):
        return ReminderDecision.DROP, None
    until = after_quiet_hours(now, partner.timezone, partner.quiet_start, partner.quiet_end)
    if until != now:
        return ReminderDecision.LATER, until
    return ReminderDecision.SEND, None


async def reschedule(*, session: AsyncSession, delivery_id: int, at: datetime) -> None:
    delivery = await session.get(Delivery, delivery_id)
    if delivery is not None and delivery.status == "sent":
        delivery.remind_at = at
        session.add(delivery)


async def mark_reminded(*, session: AsyncSession, delivery_id: int) -> None:
    delivery = await session.get(Delivery, delivery_id)
    if delivery is not None:
        delivery.reminders_sent += 1
        session.add(delivery)


def snooze_until(now: datetime, hours: int, *, zone: str, quiet: tuple[str, str]) -> datetime:
    """When a snoozed exercise comes back: after `hours`, outside quiet hours."""
    return after_quiet_hours(now + timedelta(hours=hours), zone, *quiet)
