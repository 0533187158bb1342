"""The audit log: who looked at or changed what, whose, when.

Append-only on purpose: this module can add entries and read them, nothing else. There
is no update and no delete, so a therapist's reads of couples' data stay on record.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db.models import AuditEntry

OPERATOR = "operator"
SYSTEM = "system"
# Column widths of `audit_log` (bot/db/models.py): longer values are cut, never refused,
# so recording can never make the action it records fail.
_ACTOR, _ACTION, _SUBJECT, _DETAIL = 64, 32, 64, 200


def _clean(text: str, limit: int) -> str:
    """Printable and bounded: a typed id may hold NUL, which PostgreSQL text refuses."""
    return "".join(ch for ch in text if ch.isprintable())[:limit]


def therapist_actor(telegram_id: int) -> str:
    return f"therapist:{telegram_id}"


async def record_therapist_look(
    *,
    session: AsyncSession,
    therapist_telegram_id: int,
    action: str,
    public_id: str,
    detail: str | None,
    now: datetime,
) -> AuditEntry:
    """Record a therapist's look at a couple's data; `detail` None means nothing was found.

    Attempts on unknown or other therapists' ids are recorded too: probing is worth seeing.
    """
    return await record(
        session=session,
        actor=therapist_actor(therapist_telegram_id),
        action=action,
        subject=public_id,
        detail="not found" if detail is None else detail,
        now=now,
    )


async def record(
    *,
    session: AsyncSession,
    actor: str,
    action: str,
    subject: str = "",
    detail: str = "",
    now: datetime,
) -> AuditEntry:
    """Append one entry in the caller's transaction (it commits with what it records)."""
    entry = AuditEntry(
        at=now,
        actor=_clean(actor, _ACTOR),
        action=_clean(action, _ACTION),
        subject=_clean(subject, _SUBJECT),
        detail=_clean(detail, _DETAIL),
    )
    session.add(entry)
    await session.flush()
    return entry


async def recent(*, session: AsyncSession, limit: int = 50) -> list[AuditEntry]:
    """The newest `limit` entries, oldest first (so the newest prints last)."""
    query = (
        select(AuditEntry)
        .order_by(col(AuditEntry.at).desc(), col(AuditEntry.id).desc())
        .limit(max(limit, 0))
    )
    return list(reversed((await session.exec(query)).all()))


async def exists(
    *, session: AsyncSession, actor: str, action: str, subject: str, detail: str | None = None
) -> bool:
    """Whether an entry with exactly these fields was recorded (idempotency records)."""
    query = select(AuditEntry.id).where(
        AuditEntry.actor == actor, AuditEntry.action == action, AuditEntry.subject == subject
    )
    if detail is not None:
        query = query.where(AuditEntry.detail == detail)
    return (await session.exec(query.limit(1))).first() is not None
