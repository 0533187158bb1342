"""Rows for the privacy, erasure and key tests, written the way the services store them."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db.models import (
    Assignment,
    ConversationState,
    Couple,
    Delivery,
    Flag,
    Partner,
    Response,
    SafetyPlan,
    Therapist,
)
from bot.services.crypto import Box


@dataclass
class Seeded:
    therapist: Therapist
    couple: Couple
    partners: list[Partner]
    deliveries: list[Delivery] = field(default_factory=list)
    responses: list[Response] = field(default_factory=list)


async def couple(
    session: AsyncSession,
    *,
    therapist_tg: int = 2001,
    partner_tgs: tuple[int, int] = (1001, 1002),
    names: tuple[str, str] = ("Ana", "Ben"),
    label: str = "Ana & Ben",
    now: datetime,
) -> Seeded:
    therapist = Therapist(telegram_id=therapist_tg, name="Dr. Marta Ruiz", created_at=now)
    session.add(therapist)
    await session.flush()
    pair = Couple(
        public_id=secrets.token_hex(3), therapist_id=therapist.id, label=label, created_at=now
    )  # type: ignore[arg-type]
    session.add(pair)
    await session.flush()
    partners = [
        Partner(
            couple_id=pair.id,  # type: ignore[arg-type]
            slot=slot,
            telegram_id=tg,
            display_name=name,
            timezone="Europe/Berlin",
            setup_done=True,
            consented_at=now,
            joined_at=now,
        )
        for slot, (tg, name) in enumerate(zip(partner_tgs, names, strict=True), start=1)
    ]
    session.add_all(partners)
    await session.flush()
    return Seeded(therapist, pair, partners)


async def answers(
    session: AsyncSession,
    seeded: Seeded,
    box: Box,
    texts: list[tuple[int, str]],
    *,
    now: datetime,
    slug: str = "love-maps-inner-world",
) -> None:
    """One delivered, answered exercise per (partner index, text)."""
    assignment = Assignment(
        couple_id=seeded.couple.id,  # type: ignore[arg-type]
        set_slug="daily-connection",
        start_date=date(2026, 11, 23),
        created_at=now,
    )
    session.add(assignment)
    await session.flush()
    for number, (index, text) in enumerate(texts, start=1):
        partner = seeded.partners[index]
        delivery = Delivery(
            assignment_id=assignment.id,  # type: ignore[arg-type]
            partner_id=partner.id,  # type: ignore[arg-type]
            day=number,
            exercise_slug=slug,
            local_date=date(2026, 11, 23) + timedelta(days=number),
            scheduled_at=now,
            due_at=now,
            status="done",
            sent_at=now,
            completed_at=now,
        )
        session.add(delivery)
        await session.flush()
        response = Response(
            delivery_id=delivery.id,  # type: ignore[arg-type]
            partner_id=partner.id,  # type: ignore[arg-type]
            text_ct=box.encrypt(text),
            rating=4,
            answered_at=now,
            updated_at=now,
        )
        session.add(response)
        await session.flush()
        seeded.deliveries.append(delivery)
        seeded.responses.append(response)


async def extras(
    session: AsyncSession, partner: Partner, box: Box, *, plan: str, now: datetime
) -> None:
    """A safety plan, a flag and an open guided step for `partner`."""
    session.add(
        SafetyPlan(telegram_id=partner.telegram_id, text_ct=box.encrypt(plan), updated_at=now)
    )
    session.add(Flag(partner_id=partner.id, created_at=now))  # type: ignore[arg-type]
    session.add(
        ConversationState(
            telegram_id=partner.telegram_id, flow="setup", step="time", data={}, updated_at=now
        )
    )
    await session.flush()
