"""Gentle reminders and snoozes: one nudge for an exercise still open, never pushy.

A reminder is due at `remind_at` (set when the exercise is sent, or by a snooze). It
is dropped when the next item has already arrived, the couple is on hold, or the
partner is gone; in quiet hours it waits for them to end.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import bindparam, exists, update
from sqlalchemy.orm import aliased
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db.models import AssignmentStatus, Delivery, DeliveryStatus
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
            col(Delivery.status) == DeliveryStatus.SENT,
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


async def next_items_arrived(*, session: AsyncSession, deliveries: Sequence[Delivery]) -> set[int]:
    """The ids among `deliveries` whose partner already received a later day of the set.

    One query for the whole group (through the unique (assignment, partner, day, item)
    index), not one per reminder.
    """
    ids = [d.id for d in deliveries]
    if not ids:
        return set()
    reminded, later = aliased(Delivery), aliased(Delivery)
    query = select(reminded.id).where(
        col(reminded.id).in_(ids),
        exists().where(
            col(later.assignment_id) == reminded.assignment_id,
            col(later.partner_id) == reminded.partner_id,
            col(later.day) > reminded.day,
            col(later.sent_at).is_not(None),
        ),
    )
    return {row for row in (await session.exec(query)).all() if row is not None}


def decide(
    job: Job, now: datetime, *, next_arrived: bool
) -> tuple[ReminderDecision, datetime | None]:
    partner = job.partner
    gone = not partner.is_current or job.couple.archived_at is not None
    on_hold = (
        job.assignment.status != AssignmentStatus.ACTIVE
        or partner_paused(partner, now)
        or (job.other is not None and partner_paused(job.other, now))
    )
    if gone or on_hold or partner.unreachable_at is not None or next_arrived:
        return ReminderDecision.DROP, None
    until = after_quiet_hours(now, partner.timezone, partner.quiet_start, partner.quiet_end)
    if until != now:
        return ReminderDecision.LATER, until
    return ReminderDecision.SEND, None


async def reschedule(*, session: AsyncSession, at: dict[int, datetime]) -> None:
    """Bring these reminders back at the given moments, if their exercise is still open."""
    if not at:
        return
    connection = await session.connection()
    await connection.execute(
        update(Delivery)
        .where(col(Delivery.id) == bindparam("_id"), col(Delivery.status) == DeliveryStatus.SENT)
        .values(remind_at=bindparam("_at")),
        [{"_id": delivery_id, "_at": moment} for delivery_id, moment in at.items()],
    )


async def mark_reminded(*, session: AsyncSession, ids: Sequence[int]) -> None:
    if ids:
        await session.exec(
            update(Delivery)
            .where(col(Delivery.id).in_(ids))
            .values(reminders_sent=Delivery.reminders_sent + 1)
            .execution_options(synchronize_session=False)
        )


def snooze_until(now: datetime, hours: int, *, zone: str, quiet: tuple[str, str]) -> datetime:
    """When a snoozed exercise comes back: after `hours`, outside quiet hours."""
    return after_quiet_hours(now + timedelta(hours=hours), zone, *quiet)
