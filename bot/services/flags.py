"""Open flags: listing a couple's unseen flags and marking them as seen (/flags).

A flag stays open (`Flag.seen_at` unset) until the couple's therapist marks it as
seen; the digest and the brief count only open flags. Only the therapist who owns the
couple may see or mark its flags; anything else finds nothing, the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db.models import Couple, Flag, Partner, Therapist
from bot.services import reports

MAX_LISTED = 10  # flags shown by one /flags; "Mark all as seen" covers the rest


@dataclass(frozen=True, slots=True)
class OpenFlag:
    flag: Flag
    partner: Partner


async def open_flags(*, session: AsyncSession, couple: Couple) -> list[OpenFlag]:
    """The couple's unseen flags, of current and former partners alike, oldest first."""
    assert couple.id is not None
    partners = {p.id: p for p in await reports.partners_of(session=session, couple_id=couple.id)}
    if not partners:
        return []
    query = (
        select(Flag)
        .where(col(Flag.partner_id).in_(list(partners)), col(Flag.seen_at).is_(None))
        .order_by(col(Flag.created_at), col(Flag.id))
        .execution_options(populate_existing=True)
    )
    return [OpenFlag(flag, partners[flag.partner_id]) for flag in (await session.exec(query)).all()]


async def _own_flag(session: AsyncSession, therapist: Therapist, flag_id: int) -> Flag | None:
    query = (
        select(Flag)
        .join(Partner, col(Partner.id) == col(Flag.partner_id))
        .join(Couple, col(Couple.id) == col(Partner.couple_id))
        .where(col(Flag.id) == flag_id, col(Couple.therapist_id) == therapist.id)
        .execution_options(populate_existing=True)
    )
    return (await session.exec(query)).first()


async def mark_seen(
    *, session: AsyncSession, therapist: Therapist, flag_id: int, now: datetime
) -> bool | None:
    """Mark one flag as seen: True if it was open, False if already seen.

    None when there is no such flag *or* it belongs to another therapist's couple.
    """
    flag = await _own_flag(session, therapist, flag_id)
    if flag is None:
        return None
    # Conditional: of two presses at once, one marks it; the first time is kept.
    result = await session.exec(
        update(Flag)
        .where(col(Flag.id) == flag_id, col(Flag.seen_at).is_(None))
        .values(seen_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount) == 1


async def mark_all_seen(*, session: AsyncSession, couple: Couple, up_to: int, now: datetime) -> int:
    """Mark the couple's open flags with an id up to `up_to` as seen; how many.

    `up_to` is the newest flag the therapist was shown, so a flag raised after the
    list was sent stays open.
    """
    assert couple.id is not None
    partner_ids = select(Partner.id).where(Partner.couple_id == couple.id)
    result = await session.exec(
        update(Flag)
        .where(
            col(Flag.partner_id).in_(partner_ids),
            col(Flag.id) <= up_to,
            col(Flag.seen_at).is_(None),
        )
        .values(seen_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)
