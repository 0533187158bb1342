"""The outbox: notices that must reach a person, kept until Telegram accepts them.

A notice (a partner cannot be reached, a partner joined or left, a flag, a /tell) is
written before its first attempt and deleted once sent. A crash, a 5xx or a lost answer
leaves the row, and the dispatcher retries it with backoff (docs/delivery.md, "Notices").
Rows are claimed with a lease, like deliveries, so two senders never take the same one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db.models import Notice, NoticeKind
from bot.services.crypto import Box

LEASE = timedelta(minutes=2)
FIRST_BACKOFF = timedelta(seconds=30)
MAX_BACKOFF = timedelta(hours=1)
# A notice that could not be sent for this long is given up (and logged, without text):
# by then the digest and the /report show what it said.
GIVE_UP_AFTER = timedelta(days=2)


@dataclass(frozen=True, slots=True)
class PendingNotice:
    """A claimed notice, decrypted, ready to send."""

    id: int
    telegram_id: int
    kind: NoticeKind
    text: str
    markup: str | None
    attempts: int
    created_at: datetime


async def add(
    *,
    session: AsyncSession,
    crypto: Box,
    telegram_id: int,
    kind: NoticeKind,
    text: str,
    markup: str | None,
    now: datetime,
    about: int | None = None,
) -> int:
    """Keep a notice and claim it for an attempt right away; return its id.

    `about` is the Telegram id of the person whose words the text quotes.
    """
    notice = Notice(
        telegram_id=telegram_id, about_telegram_id=about, kind=kind.value,
        text_ct=crypto.encrypt(text), markup=markup,
        created_at=now, due_at=now, lease_until=now + LEASE, attempts=1,
    )  # fmt: skip
    session.add(notice)
    await session.flush()
    assert notice.id is not None
    return notice.id


async def claim_due(
    *, session: AsyncSession, crypto: Box, now: datetime, limit: int
) -> list[PendingNotice]:
    """Claim up to `limit` notices that are due and not held by a live claim."""
    free = or_(col(Notice.lease_until).is_(None), col(Notice.lease_until) < now)
    due = select(Notice.id).where(free, col(Notice.due_at) <= now).order_by(col(Notice.id))
    if session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    claimed = await session.exec(
        update(Notice)
        .where(col(Notice.id).in_(due.limit(limit).scalar_subquery()))
        .values(lease_until=now + LEASE, attempts=Notice.attempts + 1)
        .returning(col(Notice.id))
    )
    ids = [row[0] for row in claimed.all()]
    if not ids:
        return []
    rows = (await session.exec(select(Notice).where(col(Notice.id).in_(ids)))).all()
    return [_pending(row, crypto) for row in sorted(rows, key=lambda r: r.id or 0)]


def _pending(row: Notice, crypto: Box) -> PendingNotice:
    assert row.id is not None
    return PendingNotice(
        id=row.id, telegram_id=row.telegram_id, kind=NoticeKind(row.kind),
        text=crypto.decrypt(row.text_ct), markup=row.markup, attempts=row.attempts,
        created_at=row.created_at,
    )  # fmt: skip


def backoff(attempts: int) -> timedelta:
    """The wait after `attempts` failed tries: 30 s, 1 min, 2 min, ... at most an hour."""
    wait: timedelta = FIRST_BACKOFF * 2 ** min(max(0, attempts - 1), 10)
    return min(wait, MAX_BACKOFF)


async def finish(*, session: AsyncSession, ids: Sequence[int]) -> None:
    """Forget notices that were sent, or that can never be (the person blocked the bot)."""
    if ids:
        await session.exec(delete(Notice).where(col(Notice.id).in_(ids)))


async def retry_later(
    *, session: AsyncSession, notice_id: int, due_at: datetime, error: str | None
) -> None:
    """Release a claim so the notice is tried again at `due_at`."""
    await session.exec(
        update(Notice)
        .where(col(Notice.id) == notice_id)
        .values(lease_until=None, due_at=due_at, last_error=(error or "")[:200] or None)
    )


async def erase_for(*, session: AsyncSession, telegram_id: int) -> None:
    """Delete every notice waiting for this person or quoting them (erasure)."""
    await session.exec(
        delete(Notice).where(
            or_(
                col(Notice.telegram_id) == telegram_id, col(Notice.about_telegram_id) == telegram_id
            )
        )
    )
