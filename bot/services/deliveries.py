"""What the dispatcher does with the database: claim what is due, decide, record.

Guarantees (see docs/delivery.md):
- A claim is atomic (one UPDATE ... RETURNING; on PostgreSQL the rows are picked with
  FOR UPDATE SKIP LOCKED), so two dispatchers never send the same delivery.
- A claim carries a lease. A delivery whose claimer died is reclaimed when the lease
  expires: if its send had not started (`send_started_at`), it is simply due again; if
  it had, the message may have arrived, which counts as an unknown outcome and is sent
  again (never given up because of crashes; the grace window still ends it).
- Nothing due is dropped silently: every delivery ends in a visible status.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import assert_never

from sqlalchemy import bindparam, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db.models import (
    Assignment,
    AssignmentStatus,
    Couple,
    Delivery,
    DeliveryStatus,
    Partner,
    Response,
    Therapist,
)
from bot.library import Library
from bot.services import planning
from bot.services.couples import partner_paused
from bot.services.localtime import after_quiet_hours

# A send whose answer was lost (a read timeout: Telegram may have it) is repeated at most
# this many times, then `failed`. Crashes are counted in `unknown_outcomes` too, but never
# give up on a delivery (see `reclaim_expired`).
MAX_UNKNOWN_OUTCOMES = 1
# Statuses after which the next occurrence of the same assignment is planned.
FINISHED = frozenset(
    {
        DeliveryStatus.SENT,
        DeliveryStatus.HELD,
        DeliveryStatus.MISSED,
        DeliveryStatus.UNREACHABLE,
        DeliveryStatus.FAILED,
    }
)


class Decision(StrEnum):
    SEND = "send"
    HOLD = DeliveryStatus.HELD.value  # the couple or the assignment is paused
    MISS = DeliveryStatus.MISSED.value  # past the grace window (the bot was down too long)
    CANCEL = DeliveryStatus.CANCELLED.value  # assignment cancelled, couple archived, left
    UNREACHABLE = DeliveryStatus.UNREACHABLE.value  # the partner blocked the bot
    POSTPONE = "postpone"  # quiet hours: try again when they end


class Outcome(StrEnum):
    SENT = "sent"
    RETRY = "retry"  # safe to repeat: the request did not get through (429, refused, 5xx)
    UNKNOWN = "unknown"  # may have arrived (timeout after the request left)
    BLOCKED = "blocked"  # 403, or the chat no longer exists
    FAILED = "failed"  # Telegram refused this message for good (a bug: logged)


@dataclass(frozen=True, slots=True)
class SendResult:
    outcome: Outcome
    message_id: int | None = None
    retry_after: float = 0.0
    error: str | None = None


@dataclass(frozen=True, slots=True)
class OtherAnswer:
    """What the other partner has already given on the same occurrence of an exercise."""

    wrote: bool  # a written answer (what answers a `text` exercise)
    chose: bool  # a number or option (what answers a `scale` or `choice` one)


@dataclass(frozen=True, slots=True)
class Job:
    """A claimed delivery with everything needed to decide and render it."""

    delivery: Delivery
    partner: Partner
    other: Partner | None
    couple: Couple
    therapist: Therapist
    assignment: Assignment
    # The other partner's answer to this same occurrence, if they gave one before this
    # was sent (they may live in an earlier time zone): the message says so.
    other_answer: OtherAnswer | None = None


def _is_postgres(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


async def reclaim_expired(*, session: AsyncSession, now: datetime) -> None:
    """Return deliveries whose claimer died (their lease expired) to the queue.

    A claim that expired before its send started was never attempted: it is simply due
    again. Only a send that had started may have reached Telegram: an unknown outcome,
    counted in `unknown_outcomes`.
    """
    expired = (
        col(Delivery.status) == DeliveryStatus.SENDING,
        # Always true for an expired claim (claimed when due, so due_at <= claim time
        # < lease_until < now), but it lets the planner use the (status, due_at) index:
        # with `status` alone, SQLite's statistics can make it scan the whole table
        # (seen at 1M rows after ANALYZE: 0.7 s per tick instead of milliseconds).
        col(Delivery.due_at) <= now,
        col(Delivery.lease_until) < now,
    )
    await session.exec(
        update(Delivery)
        .where(*expired, col(Delivery.send_started_at).is_(None))
        .values(status=DeliveryStatus.PLANNED, lease_until=None)
    )
    # A send cut off by a crash may have arrived: counted, and sent again. Not given up
    # on, however many crashes: each can repeat only the sends in flight at that moment
    # (at most one duplicate per crash), and giving up could lose the day's exercise.
    # The grace window still ends it ("missed"), so a message that kills the process
    # every time cannot loop for ever.
    await session.exec(
        update(Delivery)
        .where(*expired, col(Delivery.send_started_at).is_not(None))
        .values(
            status=DeliveryStatus.PLANNED,
            unknown_outcomes=Delivery.unknown_outcomes + 1,
            lease_until=None,
            send_started_at=None,
            due_at=now,
            last_error="the sender stopped during the send: the outcome is unknown",
        )
    )


async def claim_due(
    *, session: AsyncSession, now: datetime, limit: int, lease: timedelta
) -> list[int]:
    """Atomically claim up to `limit` due deliveries, oldest first; return their ids."""
    due = (
        select(Delivery.id)
        .where(col(Delivery.status) == DeliveryStatus.PLANNED, col(Delivery.due_at) <= now)
        # By the time each should have arrived, not by `due_at`: a delivery retried after
        # a 429 keeps its place instead of queueing behind a whole backlog (its partner
        # would otherwise get it minutes after the other partner in a large fan-out).
        .order_by(col(Delivery.scheduled_at), col(Delivery.assignment_id), col(Delivery.id))
        .limit(limit)
    )
    if _is_postgres(session):
        # Two instances claim disjoint rows instead of waiting on each other.
        due = due.with_for_update(skip_locked=True)
    statement = (
        update(Delivery)
        .where(col(Delivery.id).in_(due.scalar_subquery()))
        .values(status=DeliveryStatus.SENDING, lease_until=now + lease, send_started_at=None)
        .returning(col(Delivery.id))
    )
    return [row[0] for row in (await session.exec(statement)).all()]


async def mark_started(
    *, session: AsyncSession, claims: Sequence[tuple[int, datetime]], now: datetime
) -> set[int]:
    """Record that these sends are about to leave; return the ids still ours to send.

    A claim is identified by its lease: a delivery whose lease changed was reclaimed
    after this dispatcher stalled past it, and belongs to whoever claimed it since.
    """
    by_lease: dict[datetime, list[int]] = {}
    for delivery_id, lease in claims:
        by_lease.setdefault(lease, []).append(delivery_id)
    ours: set[int] = set()
    for lease, ids in by_lease.items():
        rows = await session.exec(
            update(Delivery)
            .where(
                col(Delivery.id).in_(ids),
                col(Delivery.status) == DeliveryStatus.SENDING,
                col(Delivery.lease_until) == lease,
            )
            .values(send_started_at=now, attempts=Delivery.attempts + 1)
            .returning(col(Delivery.id))
        )
        ours.update(row[0] for row in rows.all())
    return ours


async def any_due(*, session: AsyncSession, now: datetime) -> bool:
    """Whether any delivery is still waiting to be claimed (one index probe)."""
    due = select(Delivery.id).where(
        col(Delivery.status) == DeliveryStatus.PLANNED, col(Delivery.due_at) <= now
    )
    return (await session.exec(due.limit(1))).first() is not None


async def load_jobs(*, session: AsyncSession, ids: list[int]) -> list[Job]:
    """Load claimed deliveries with their partner, couple, therapist and assignment."""
    if not ids:
        return []
    rows = (
        await session.exec(
            select(Delivery, Partner, Couple, Assignment)
            .join(Partner, col(Partner.id) == Delivery.partner_id)
            .join(Assignment, col(Assignment.id) == Delivery.assignment_id)
            .join(Couple, col(Couple.id) == Assignment.couple_id)
            .where(col(Delivery.id).in_(ids))
            .order_by(col(Delivery.scheduled_at), col(Delivery.assignment_id), col(Delivery.id))
        )
    ).all()
    therapist_ids = {couple.therapist_id for _d, _p, couple, _a in rows}
    therapists = {
        t.id: t
        for t in (
            await session.exec(select(Therapist).where(col(Therapist.id).in_(therapist_ids)))
        ).all()
    }
    couple_ids = {couple.id for _d, _p, couple, _a in rows}
    current = (
        await session.exec(
            select(Partner).where(
                col(Partner.couple_id).in_(couple_ids), col(Partner.is_current).is_(True)
            )
        )
    ).all()
    by_couple: dict[int, list[Partner]] = {}
    for partner in current:
        by_couple.setdefault(partner.couple_id, []).append(partner)
    # One query for the batch: answers already given to the same assignments and days,
    # matched to each delivery's occurrence (item, the other partner) below.
    wrote, chose = col(Response.text_ct).is_not(None), col(Response.value).is_not(None)
    answered = {
        (d.assignment_id, d.day, d.item, d.partner_id): OtherAnswer(bool(w), bool(c))
        for d, w, c in (
            await session.exec(
                select(Delivery, wrote, chose)
                .join(Response, col(Response.delivery_id) == Delivery.id)
                .where(
                    col(Delivery.assignment_id).in_({d.assignment_id for d, _p, _c, _a in rows}),
                    col(Delivery.day).in_({d.day for d, _p, _c, _a in rows}),
                    wrote | chose,
                )
            )
        ).all()
    }
    jobs = []
    for delivery, partner, couple, assignment in rows:
        others = [p for p in by_couple.get(couple.id or 0, []) if p.id != partner.id]
        other = others[0] if others else None
        therapist = therapists[couple.therapist_id]
        occurrence = (delivery.assignment_id, delivery.day, delivery.item)
        theirs = answered.get((*occurrence, other.id)) if other and other.id else None
        jobs.append(Job(delivery, partner, other, couple, therapist, assignment, theirs))
    return jobs


def triage(job: Job, now: datetime, *, grace: timedelta) -> tuple[Decision, datetime | None]:
    """Decide what to do with a claimed delivery before anything is sent."""
    partner = job.partner
    if (
        job.assignment.status == AssignmentStatus.CANCELLED
        or job.couple.archived_at is not None
        or not partner.is_current
    ):
        return Decision.CANCEL, None
    # A pause by either partner puts the couple's exercises on hold (a held day pauses
    # the streak rather than breaking it), so it wins over "missed".
    on_hold = partner_paused(partner, now) or (
        job.other is not None and partner_paused(job.other, now)
    )
    if job.assignment.status == AssignmentStatus.PAUSED or on_hold:
        return Decision.HOLD, None
    if now - job.delivery.scheduled_at > grace:
        return Decision.MISS, None
    if partner.unreachable_at is not None:
        return Decision.UNREACHABLE, None
    until = after_quiet_hours(now, partner.timezone, partner.quiet_start, partner.quiet_end)
    if until != now:
        return Decision.POSTPONE, until
    return Decision.SEND, None


# A delivery's new status and the other columns to change with it.
_Change = tuple[Delivery, DeliveryStatus, dict[str, object]]


async def _finish(session: AsyncSession, changes: Sequence[_Change], library: Library) -> None:
    """Write new states in a few statements, then plan what follows the finished ones.

    Each row is ours (leased by this dispatcher's claim), so what was loaded with the
    claim is current and needs no re-reading.
    """
    by_columns: dict[tuple[str, ...], list[dict[str, object]]] = {}
    for delivery, status, values in changes:
        row = {"status": status, "lease_until": None, "send_started_at": None, **values}
        by_columns.setdefault(tuple(sorted(row)), []).append({"_id": delivery.id, **row})
    connection = await session.connection()
    for rows in by_columns.values():
        # executemany: one statement, one round trip per group of rows changing the same columns.
        await connection.execute(
            update(Delivery).where(col(Delivery.id) == bindparam("_id")),
            rows,
        )
    finished = [delivery for delivery, status, _ in changes if status in FINISHED]
    await planning.plan_next_many(session=session, deliveries=finished, library=library)


def _after_decision(
    decision: Decision, until: datetime | None
) -> tuple[DeliveryStatus, dict[str, object]]:
    if decision is Decision.POSTPONE:
        assert until is not None
        # Waiting out quiet hours is a new schedule, not lateness: the grace window
        # (which is about downtime) counts from the new time.
        return DeliveryStatus.PLANNED, {"due_at": until, "scheduled_at": until}
    return DeliveryStatus(decision.value), {}


async def settle_decisions(
    *,
    session: AsyncSession,
    decided: Sequence[tuple[Job, Decision, datetime | None]],
    library: Library,
) -> None:
    """Record decisions that send nothing (held, missed, cancelled, unreachable, later)."""
    assert all(decision is not Decision.SEND for _job, decision, _until in decided)
    changes = [(job.delivery, *_after_decision(d, until)) for job, d, until in decided]
    await _finish(session, changes, library)


def _after_send(
    job: Job,
    result: SendResult,
    now: datetime,
    remind_after: timedelta | None,
    retry_backoff: timedelta,
) -> tuple[DeliveryStatus, dict[str, object]]:
    error = (result.error or "")[:200] or None
    match result.outcome:
        case Outcome.SENT:
            remind_at = None
            if remind_after is not None:
                partner = job.partner
                remind_at = after_quiet_hours(
                    now + remind_after, partner.timezone, partner.quiet_start, partner.quiet_end
                )
            return DeliveryStatus.SENT, {
                "sent_at": now, "telegram_message_id": result.message_id, "remind_at": remind_at,
            }  # fmt: skip
        case Outcome.RETRY:
            wait = timedelta(seconds=result.retry_after) if result.retry_after else retry_backoff
            return DeliveryStatus.PLANNED, {"due_at": now + wait, "last_error": error}
        case Outcome.UNKNOWN:
            unknown = job.delivery.unknown_outcomes + 1
            given_up = unknown > MAX_UNKNOWN_OUTCOMES
            status = DeliveryStatus.FAILED if given_up else DeliveryStatus.PLANNED
            return status, {
                "unknown_outcomes": unknown, "due_at": now + retry_backoff, "last_error": error,
            }  # fmt: skip
        case Outcome.BLOCKED:
            return DeliveryStatus.UNREACHABLE, {"last_error": error}
        case Outcome.FAILED:
            return DeliveryStatus.FAILED, {"last_error": error}
        case _ as unreachable:  # mypy: every Outcome is handled above
            assert_never(unreachable)


async def settle_send(
    *,
    session: AsyncSession,
    results: Sequence[tuple[Job, SendResult]],
    now: datetime,
    library: Library,
    remind_after: timedelta | None,
    retry_backoff: timedelta,
) -> list[Job]:
    """Record what Telegram answered to a group of sends, and plan what follows them.

    One transaction for the group (the caller's), a fixed number of statements. Returns
    the jobs whose partner has just become unreachable, so the therapist is told once.
    """
    blocked = {job.partner.id: job for job, result in results if result.outcome is Outcome.BLOCKED}
    newly: list[Job] = []
    if blocked:
        # Conditional, so a partner blocked twice in one group (or by two instances) is
        # reported once.
        gone = await session.exec(
            update(Partner)
            .where(col(Partner.id).in_(blocked), col(Partner.unreachable_at).is_(None))
            .values(unreachable_at=now)
            .returning(col(Partner.id))
        )
        newly = [blocked[row[0]] for row in gone.all()]
    changes = [
        (job.delivery, *_after_send(job, result, now, remind_after, retry_backoff))
        for job, result in results
    ]
    await _finish(session, changes, library)
    return newly
