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

from bot.db.models import Assignment, AssignmentStatus, Delivery, DeliveryStatus, Partner
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


def _occurrence_rows(
    assignment_id: int | None,
    partner_id: int | None,
    exercise_set: ExerciseSet,
    day: int,
    local: date,
    due: datetime,
) -> list[dict[str, object]]:
    return [
        {
            "assignment_id": assignment_id,
            "partner_id": partner_id,
            "day": day,
            "item": index,
            "exercise_slug": item.exercise,
            "local_date": local,
            "scheduled_at": due,
            "due_at": due,
        }
        for index, item in enumerate(exercise_set.items_for_day(day))
    ]


async def _insert(session: AsyncSession, rows: list[dict[str, object]]) -> None:
    if not rows:
        return
    # Two items of one day both plan the same next day: one row each. In key order, so two
    # instances planning overlapping rows on PostgreSQL wait on each other, never deadlock.
    by_key = {(r["assignment_id"], r["partner_id"], r["day"], r["item"]): r for r in rows}
    unique = [by_key[key] for key in sorted(by_key)]
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    # Planning twice (a retry, two instances) must never create a second delivery. One
    # single-row statement for all rows, compiled once and cached (a multi-row VALUES
    # would be compiled anew for every count of rows); RETURNING lets SQLAlchemy send
    # the rows as one batched INSERT ("insertmanyvalues"), one round trip rather than
    # one per row on PostgreSQL. The ids returned are not needed.
    statement = (
        insert(Delivery)
        .on_conflict_do_nothing(index_elements=["assignment_id", "partner_id", "day", "item"])
        .returning(col(Delivery.id))
    )
    connection = await session.connection()
    await connection.execute(statement, unique)


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
    rows = []
    for partner in partners:
        local = first_local_date(assignment, partner, now) + timedelta(days=day - 1)
        due = due_time(local, partner)
        rows += _occurrence_rows(assignment.id, partner.id, exercise_set, day, local, due)
    await _insert(session, rows)


async def plan_next(*, session: AsyncSession, delivery: Delivery, library: Library) -> None:
    """Plan the occurrence after `delivery` for the same partner, if the set goes on."""
    await plan_next_many(session=session, deliveries=[delivery], library=library)


async def plan_next_many(
    *, session: AsyncSession, deliveries: Sequence[Delivery], library: Library
) -> None:
    """Plan the occurrence after each of `deliveries` for the same partner, if the set goes on.

    A fixed number of statements whatever the count: the dispatcher records a group of
    sends in one transaction and plans what follows them together.
    """
    if not deliveries:
        return
    # Read now, not from the claim: a cancel or a partner leaving may have happened since.
    # Columns, not ORM objects: this runs for every group of sends.
    assignments = {
        assignment_id: (status, set_slug)
        for assignment_id, status, set_slug in (
            await session.exec(
                select(Assignment.id, Assignment.status, Assignment.set_slug).where(
                    col(Assignment.id).in_({d.assignment_id for d in deliveries})
                )
            )
        ).all()
    }
    partners = {
        partner_id: (is_current, zone, at)
        for partner_id, is_current, zone, at in (
            await session.exec(
                select(
                    Partner.id, Partner.is_current, Partner.timezone, Partner.delivery_time
                ).where(col(Partner.id).in_({d.partner_id for d in deliveries}))
            )
        ).all()
    }
    rows: list[dict[str, object]] = []
    for delivery in deliveries:
        assignment = assignments.get(delivery.assignment_id)
        partner = partners.get(delivery.partner_id)
        if assignment is None or partner is None or assignment[0] == AssignmentStatus.CANCELLED:
            continue
        exercise_set = library.set(assignment[1])
        is_current, zone, at = partner
        if exercise_set is None or not is_current:
            continue
        day = next_day_with_items(exercise_set, delivery.day)
        if day is None:
            continue
        local = delivery.local_date + timedelta(days=day - delivery.day)
        due = to_utc(local, parse_hhmm(at), zone)
        rows += _occurrence_rows(
            delivery.assignment_id, delivery.partner_id, exercise_set, day, local, due
        )
    await _insert(session, rows)


async def replan_partner(*, session: AsyncSession, partner: Partner) -> int:
    """After a change of time or zone, move the partner's planned deliveries.

    Only rows still `planned` move: what was sent, answered or missed is history.
    """
    planned = (
        await session.exec(
            select(Delivery).where(
                Delivery.partner_id == partner.id, col(Delivery.status) == DeliveryStatus.PLANNED
            )
        )
    ).all()
    for delivery in planned:
        delivery.scheduled_at = delivery.due_at = due_time(delivery.local_date, partner)
        session.add(delivery)
    return len(planned)
