"""Turning an assignment into deliveries, one occurrence ahead at a time.

Each (assignment, partner) always has its next occurrence planned as rows in
`deliveries`; when the dispatcher finishes with occurrence N it plans N+1. So the
work per dispatcher tick follows what is due, never the number of couples, and
changing one's time or zone only touches the few rows still planned.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db.models import Assignment, Delivery, Partner
from bot.library import ExerciseSet, Library
from bot.services.localtime import local_today, parse_hhmm, to_utc

# How far ahead to look for the next day with an exercise (a set may skip days).
_MAX_GAP_DAYS = 366


def due_time(local_date: date, partner: Partner) -> datetime:
    """When `partner` should receive what belongs to their `local_date`."""
    return to_utc(local_date, parse_hhmm(partner.delivery_time), partner.timezone)


def next_day_with_items(exercise_set: ExerciseSet, after: int) -> int | None:
    """The first set day after `after` that has exercises, or None when the set is over."""
    for day in range(after + 1, after + 1 + _MAX_GAP_DAYS):
        if exercise_set.is_finished(day):
            return None
        if exercise_set.items_for_day(day):
            return day
    return None


def first_local_date(assignment: Assignment, partner: Partner, now: datetime) -> date:
    """The partner's calendar date of day 1.

    An assignment starting today delivers today's item only if the partner's time is
    still ahead today; otherwise their day 1 is tomorrow. A start date in the past
    counts from today: missed days are not replayed all at once.
    """
    today = local_today(now, partner.timezone)
    start = max(assignment.start_date, today)
    if start == today and due_time(start, partner) <= now:
        start += timedelta(days=1)
    return start


async def _insert_occurrence(
    session: AsyncSession,
    assignment: Assignment,
    partner: Partner,
    exercise_set: ExerciseSet,
    day: int,
    local_date: date,
) -> None:
    due = due_time(local_date, partner)
    rows = [
        {
            "assignment_id": assignment.id,
            "partner_id": partner.id,
            "day": day,
            "item": index,
            "exercise_slug": item.exercise,
            "local_date": local_date,
            "scheduled_at": due,
            "due_at": due,
        }
        for index, item in enumerate(exercise_set.items_for_day(day))
    ]
    if not rows:
        return
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    # Planning twice (a retry, two instances) must never create a second delivery.
    statement = (
        insert(Delivery)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["assignment_id", "partner_id", "day", "item"])
    )
    await session.exec(statement)


async def plan_first(
    *,
    session: AsyncSession,
    assignment: Assignment,
    partners: Sequence[Partner],
    exercise_set: ExerciseSet,
    now: datetime,
) -> None:
    """Plan day 1 (or the first day with exercises) for each partner."""
    day = next_day_with_items(exercise_set, 0)
    if day is None:
        return
    for partner in partners:
        local = first_local_date(assignment, partner, now) + timedelta(days=day - 1)
        await _insert_occurrence(session, assignment, partner, exercise_set, day, local)


async def plan_next(*, session: AsyncSession, delivery: Delivery, library: Library) -> None:
    """Plan the occurrence after `delivery` for the same partner, if the set goes on."""
    assignment = await session.get(Assignment, delivery.assignment_id)
    partner = await session.get(Partner, delivery.partner_id)
    if assignment is None or partner is None or assignment.status == "cancelled":
        return
    exercise_set = library.set(assignment.set_slug)
    if exercise_set is None or not partner.is_current:
        return
    day = next_day_with_items(exercise_set, delivery.day)
    if day is None:
        return
    local = delivery.local_date + timedelta(days=day - delivery.day)
    await _insert_occurrence(session, assignment, partner, exercise_set, day, local)


async def replan_partner(*, session: AsyncSession, partner: Partner) -> int:
    """After a change of time or zone, move the partner's planned deliveries.

    Only rows still `planned` move: what was sent, answered or missed is history.
    """
    planned = (
        await session.exec(
            select(Delivery).where(
                Delivery.partner_id == partner.id, col(Delivery.status) == "planned"
            )
        )
    ).all()
    for delivery in planned:
        delivery.scheduled_at = delivery.due_at = due_time(delivery.local_date, partner)
        session.add(delivery)
    return len(planned)
