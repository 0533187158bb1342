"""The therapist's pause, resume and cancel of an assignment that is still open.

Only the couple's own therapist reaches an assignment: every query filters by owner,
so another therapist's assignment looks exactly like one that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db.models import Assignment, Couple, Delivery, Therapist

__all__ = ["OPEN", "Changed", "cancel", "change", "get_open", "pause", "resume"]

# Statuses of an assignment the therapist can still change.
OPEN = ("active", "paused")


@dataclass(frozen=True)
class Changed:
    assignment: Assignment
    couple: Couple


async def _own_open(
    session: AsyncSession, therapist: Therapist, assignment_id: int
) -> tuple[Assignment, Couple] | None:
    query = (
        select(Assignment, Couple)
        .join(Couple, col(Couple.id) == col(Assignment.couple_id))
        .where(
            col(Assignment.id) == assignment_id,
            Couple.therapist_id == therapist.id,
            col(Couple.archived_at).is_(None),
        )
        .execution_options(populate_existing=True)
    )
    found = (await session.exec(query)).first()
    return None if found is None else (found[0], found[1])


async def _transition(
    session: AsyncSession,
    therapist: Therapist,
    assignment_id: int,
    *,
    expected: tuple[str, ...],
    values: dict[str, object],
) -> Changed | None:
    """Apply `values` if the assignment is the therapist's and in an `expected` status.

    Conditional on the status, like archiving a couple: of two concurrent taps (or a
    stale button) only one acts, and the others change nothing (None).
    """
    found = await _own_open(session, therapist, assignment_id)
    if found is None:
        return None
    assignment, couple = found
    result = await session.exec(
        update(Assignment)
        .where(col(Assignment.id) == assignment_id, col(Assignment.status).in_(expected))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if int(result.rowcount) != 1:
        return None
    await session.refresh(assignment)
    return Changed(assignment=assignment, couple=couple)


async def pause(
    *, session: AsyncSession, therapist: Therapist, assignment_id: int, now: datetime
) -> Changed | None:
    """Hold the assignment: the dispatcher holds its due deliveries while it is paused."""
    return await _transition(
        session,
        therapist,
        assignment_id,
        expected=("active",),
        values={"status": "paused", "paused_at": now},
    )


async def resume(
    *, session: AsyncSession, therapist: Therapist, assignment_id: int
) -> Changed | None:
    return await _transition(
        session,
        therapist,
        assignment_id,
        expected=("paused",),
        values={"status": "active", "paused_at": None},
    )


async def cancel(
    *, session: AsyncSession, therapist: Therapist, assignment_id: int, now: datetime
) -> Changed | None:
    """End the assignment; what is still planned will never be sent. History stays."""
    changed = await _transition(
        session,
        therapist,
        assignment_id,
        expected=OPEN,
        values={"status": "cancelled", "ended_at": now},
    )
    if changed is not None:
        await session.exec(
            update(Delivery)
            .where(
                col(Delivery.assignment_id) == assignment_id,
                col(Delivery.status) == "planned",
            )
            .values(status="cancelled")
            .execution_options(synchronize_session=False)
        )
    return changed


async def get_open(
    *, session: AsyncSession, therapist: Therapist, assignment_id: int
) -> Changed | None:
    """The therapist's assignment if it can still be changed (for a confirmation)."""
    found = await _own_open(session, therapist, assignment_id)
    if found is None or found[0].status not in OPEN:
        return None
    return Changed(assignment=found[0], couple=found[1])


async def change(
    *, session: AsyncSession, therapist: Therapist, assignment_id: int, action: str, now: datetime
) -> Changed | None:
    """Apply a therapist's button to one assignment.

    `action`: `pause`, `resume`, `cancel`, or `check` (changes nothing; is it still open?).
    None when the assignment is not theirs or not in a state that allows the action.
    """
    if action == "pause":
        return await pause(
            session=session, therapist=therapist, assignment_id=assignment_id, now=now
        )
    if action == "resume":
        return await resume(session=session, therapist=therapist, assignment_id=assignment_id)
    if action == "cancel":
        return await cancel(
            session=session, therapist=therapist, assignment_id=assignment_id, now=now
        )
    if action == "check":
        return await get_open(session=session, therapist=therapist, assignment_id=assignment_id)
    return None
