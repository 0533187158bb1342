"""Rows for the progress and reporting tests, written straight into a real database.

The tests of progress, reports, exports, digests and briefs need a history (what was
done, skipped, missed, answered); building it row by row keeps each test readable.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db.engine import Database
from bot.db.models import Assignment, Couple, Delivery, Partner, Response, Therapist
from bot.services.crypto import Box
from bot.services.localtime import to_utc


@dataclass
class Seeded:
    therapist: Therapist
    couple: Couple
    partners: list[Partner]
    assignment: Assignment


async def seed(
    database: Database,
    *,
    therapist_telegram_id: int = 2001,
    public_id: str = "k7m2qx",
    label: str = "Ana & Ben",
    zones: tuple[str, str] = ("Europe/Berlin", "America/New_York"),
    share: tuple[bool, bool] = (True, False),
    therapist_zone: str = "UTC",
    start: date = date(2026, 11, 16),
    existing: Therapist | None = None,
) -> Seeded:
    """A therapist with one couple of two partners and one assignment."""
    async with database.session() as session:
        therapist = existing or await _therapist(session, therapist_telegram_id, therapist_zone)
        assert therapist.id is not None
        couple = Couple(public_id=public_id, therapist_id=therapist.id, label=label)
        session.add(couple)
        await session.flush()
        assert couple.id is not None
        partners = []
        for slot, (name, zone, shares) in enumerate(
            zip(("Ana", "Ben"), zones, share, strict=True), start=1
        ):
            partner = Partner(
                couple_id=couple.id,
                slot=slot,
                telegram_id=10_000_000 + couple.id * 10 + slot,
                display_name=name,
                timezone=zone,
                setup_done=True,
                share_with_therapist=shares,
            )
            session.add(partner)
            partners.append(partner)
        assignment = Assignment(couple_id=couple.id, set_slug="gratitude-week", start_date=start)
        session.add(assignment)
        await session.flush()
    return Seeded(therapist, couple, partners, assignment)


async def _therapist(session: AsyncSession, telegram_id: int, zone: str) -> Therapist:
    therapist = Therapist(telegram_id=telegram_id, name="Dr. Ruiz", timezone=zone)
    session.add(therapist)
    await session.flush()
    return therapist


async def deliver(
    database: Database,
    world: Seeded,
    partner: Partner,
    day: date,
    status: str,
    *,
    exercise: str = "gratitude-three-things",
    item: int = 0,
    at: time = time(9, 0),
    done_after: timedelta = timedelta(hours=1),
    text: str | None = None,
    rating: int | None = None,
    box: Box | None = None,
    value: int | None = None,
) -> Delivery:
    """One delivery on `day` in the partner's calendar; done/skipped ones are completed
    `done_after` after they were due, and may carry an answer and a rating."""
    scheduled = to_utc(day, at, partner.timezone)
    finished = status in ("done", "skipped")
    async with database.session() as session:
        assert world.assignment.id is not None and partner.id is not None
        delivery = Delivery(
            assignment_id=world.assignment.id,
            partner_id=partner.id,
            day=(day - world.assignment.start_date).days + 1,
            item=item,
            exercise_slug=exercise,
            local_date=day,
            scheduled_at=scheduled,
            due_at=scheduled,
            status=status,
            sent_at=scheduled if status not in ("planned", "held", "missed") else None,
            completed_at=scheduled + done_after if finished else None,
        )
        session.add(delivery)
        await session.flush()
        if text is not None or rating is not None or value is not None:
            assert delivery.id is not None and (box is not None or text is None)
            session.add(
                Response(
                    delivery_id=delivery.id,  # type: ignore[arg-type]
                    partner_id=partner.id,
                    text_ct=box.encrypt(text) if box and text is not None else None,
                    rating=rating,
                    value=value,
                    answered_at=scheduled + done_after,
                    updated_at=scheduled + done_after,
                )
            )
    return delivery


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]
