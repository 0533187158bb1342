"""Assigning exercise sets to couples, and reading their progress.

Only the couple's own therapist reaches an assignment: every function filters by owner,
so another therapist's couple or assignment looks exactly like one that does not exist.
Creating an assignment plans each partner's first occurrence in the same transaction
(`planning.plan_first`); the dispatcher does the rest. Pausing, resuming and cancelling
live in `assignment_changes` (re-exported here).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db.models import Assignment, Delivery, Partner, Therapist
from bot.library import Library
from bot.services import couples, planning
from bot.services.assignment_changes import (
    OPEN,
    Changed,
    cancel,
    change,
    get_open,
    pause,
    resume,
)
from bot.services.couples import CoupleStatus, CoupleView
from bot.services.localtime import local_today

__all__ = [
    "MAX_DAYS_AHEAD",
    "OPEN",
    "AssignProblem",
    "Changed",
    "Created",
    "Progress",
    "StartDateError",
    "assignable",
    "assignable_couples",
    "cancel",
    "change",
    "create",
    "get_open",
    "parse_start",
    "pause",
    "problem_with",
    "progress_for",
    "resume",
    "today_for",
]

# How far ahead a start date may be: further is almost certainly a typo.
MAX_DAYS_AHEAD = 365


class AssignProblem(StrEnum):
    NOT_FOUND = "not_found"  # no such couple, or not this therapist's
    ARCHIVED = "archived"
    INCOMPLETE = "incomplete"  # a partner slot is empty: assigning needs both partners
    UNKNOWN_SET = "unknown_set"


class StartDateError(ValueError):
    """`reason`: `format` (not YYYY-MM-DD or no such day), `past`, `too_far`."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Created:
    assignment: Assignment
    view: CoupleView  # the couple and its two current partners
    # partner id -> the first planned delivery (None only for a set without exercises)
    first: dict[int, Delivery | None]


@dataclass(frozen=True)
class Progress:
    assignment: Assignment
    counts: dict[str, int] = field(default_factory=dict)  # delivery status -> how many
    day: int = 0  # the furthest set day that has begun (0: not started yet)


def today_for(therapist: Therapist, now: datetime) -> date:
    """Today in the therapist's time zone: the default start date."""
    return local_today(now, therapist.timezone)


def parse_start(text: str, *, today: date) -> date:
    """A start date typed as YYYY-MM-DD: from `today` up to a year ahead."""
    try:
        start = date.fromisoformat(text.strip())
    except ValueError:
        raise StartDateError("format") from None
    if len(text.strip()) != 10:  # fromisoformat also takes 20261123 and week dates
        raise StartDateError("format")
    if start < today:
        raise StartDateError("past")
    if start > today + timedelta(days=MAX_DAYS_AHEAD):
        raise StartDateError("too_far")
    return start


def assignable(view: CoupleView) -> bool:
    """Both partners joined and the couple is not archived."""
    return view.status in (CoupleStatus.ACTIVE, CoupleStatus.PAUSED)


def problem_with(view: CoupleView | None) -> AssignProblem | None:
    """Why a set cannot be assigned to this couple (`get_for`'s answer), or None."""
    if view is None:
        return AssignProblem.NOT_FOUND
    if view.status is CoupleStatus.ARCHIVED:
        return AssignProblem.ARCHIVED
    return None if assignable(view) else AssignProblem.INCOMPLETE


async def assignable_couples(
    *, session: AsyncSession, therapist: Therapist, now: datetime
) -> list[CoupleView]:
    """The therapist's couples that a set can be assigned to, newest first."""
    views = await couples.list_for(session=session, therapist=therapist, now=now)
    return [view for view in views if assignable(view)]


async def _first_deliveries(
    session: AsyncSession, assignment: Assignment, partners: list[Partner]
) -> dict[int, Delivery | None]:
    rows = (
        await session.exec(
            select(Delivery)
            .where(Delivery.assignment_id == assignment.id)
            .order_by(col(Delivery.due_at), col(Delivery.item))
        )
    ).all()
    first: dict[int, Delivery | None] = {partner.id or 0: None for partner in partners}
    for row in rows:
        if first.get(row.partner_id) is None:
            first[row.partner_id] = row
    return first


async def create(
    *,
    session: AsyncSession,
    therapist: Therapist,
    public_id: str,
    set_slug: str,
    start_date: date,
    library: Library,
    now: datetime,
) -> Created | AssignProblem:
    """Assign a set to one of the therapist's complete couples and plan day 1 for both."""
    view = await couples.get_for(session=session, therapist=therapist, public_id=public_id, now=now)
    problem = problem_with(view)
    if problem is not None:
        return problem
    assert view is not None and view.couple.id is not None
    exercise_set = library.set(set_slug)
    if exercise_set is None:
        return AssignProblem.UNKNOWN_SET
    assignment = Assignment(
        couple_id=view.couple.id, set_slug=set_slug, start_date=start_date, created_at=now
    )
    session.add(assignment)
    await session.flush()
    await planning.plan_first(
        session=session,
        assignment=assignment,
        partners=view.partners,
        exercise_set=exercise_set,
        now=now,
    )
    first = await _first_deliveries(session, assignment, view.partners)
    return Created(assignment=assignment, view=view, first=first)


async def progress_for(
    *, session: AsyncSession, therapist: Therapist, public_id: str, now: datetime
) -> tuple[CoupleView, list[Progress]] | None:
    """A couple's assignments, newest first, with delivery counts; None if not theirs."""
    view = await couples.get_for(session=session, therapist=therapist, public_id=public_id, now=now)
    if view is None:
        return None
    query = (
        select(Assignment)
        .where(Assignment.couple_id == view.couple.id)
        .order_by(col(Assignment.created_at).desc(), col(Assignment.id).desc())
        .execution_options(populate_existing=True)
    )
    rows = list((await session.exec(query)).all())
    ids = [row.id for row in rows if row.id is not None]
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    days: dict[int, int] = defaultdict(int)
    if ids:
        grouped = await session.exec(
            select(
                Delivery.assignment_id,
                Delivery.status,
                func.count(),
                func.max(Delivery.day),
            )
            .where(col(Delivery.assignment_id).in_(ids))
            .group_by(col(Delivery.assignment_id), col(Delivery.status))
        )
        for assignment_id, status, count, day in grouped.all():
            counts[assignment_id][status] = int(count)
            if status not in ("planned", "cancelled"):
                days[assignment_id] = max(days[assignment_id], int(day))
    progress = [
        Progress(assignment=row, counts=counts[row.id or 0], day=days[row.id or 0]) for row in rows
    ]
    return view, progress
