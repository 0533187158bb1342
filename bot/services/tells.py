"""/tell messages kept for the therapist: recorded when delivered, read back by /export.

A /tell and the therapist's reply are the therapist's own correspondence with one
partner: the other partner never sees them, and a later therapist never gets a former
one's. The text is encrypted (`TellMessage.text_ct`); /deleteme erases it for that
partner, and RETENTION_DAYS once it is older than the period.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db.models import Partner, TellMessage, Therapist
from bot.services.crypto import Box

TO_THERAPIST = "to_therapist"
TO_PARTNER = "to_partner"


async def record(
    *,
    session: AsyncSession,
    crypto: Box,
    partner_id: int,
    therapist_id: int,
    direction: str,
    text: str,
    now: datetime,
) -> None:
    """Keep one delivered message, encrypted."""
    session.add(
        TellMessage(
            partner_id=partner_id,
            therapist_id=therapist_id,
            direction=direction,
            text_ct=crypto.encrypt(text),
            created_at=now,
        )
    )
    await session.flush()


async def of_therapist(
    *, session: AsyncSession, therapist: Therapist, partners: list[Partner], box: Box
) -> list[dict[str, Any]]:
    """This therapist's messages with these partners, oldest first (text None if erased)."""
    by_id = {p.id: p for p in partners if p.id is not None}
    if not by_id or therapist.id is None:
        return []
    query = (
        select(TellMessage)
        .where(
            col(TellMessage.partner_id).in_(list(by_id)),
            TellMessage.therapist_id == therapist.id,
        )
        .order_by(col(TellMessage.created_at), col(TellMessage.id))
    )
    return [
        {
            "partner": by_id[row.partner_id].display_name,
            "partner_slot": by_id[row.partner_id].slot,
            "direction": row.direction,
            "sent_utc": row.created_at.isoformat().replace("+00:00", "Z"),
            "text": box.decrypt(row.text_ct) if row.text_ct is not None else None,
        }
        for row in (await session.exec(query)).all()
    ]


async def erase_for(*, session: AsyncSession, partner_ids: list[int]) -> None:
    """Erase the text of every message to or from these partners (the facts stay)."""
    if partner_ids:
        await session.exec(
            update(TellMessage)
            .where(col(TellMessage.partner_id).in_(partner_ids))
            .values(text_ct=None)
            .execution_options(synchronize_session=False)
        )


async def purge(*, session: AsyncSession, now: datetime, days: int) -> int:
    """Erase the text of messages sent more than `days` days before `now`."""
    cutoff = now - timedelta(days=days)
    result = await session.exec(
        update(TellMessage)
        .where(col(TellMessage.text_ct).is_not(None), col(TellMessage.created_at) < cutoff)
        .values(text_ct=None)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)
