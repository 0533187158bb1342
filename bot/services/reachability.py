"""Whether Twofold can reach a partner on Telegram (they may have blocked the bot)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db.models import Partner


async def _current(session: AsyncSession, telegram_id: int) -> Partner | None:
    query = select(Partner).where(
        Partner.telegram_id == telegram_id, col(Partner.is_current).is_(True)
    )
    return (await session.exec(query)).first()


async def blocked(*, session: AsyncSession, telegram_id: int, now: datetime) -> bool:
    """Record that the person blocked the bot; True if this is news."""
    partner = await _current(session, telegram_id)
    if partner is None or partner.unreachable_at is not None:
        return False
    partner.unreachable_at = now
    session.add(partner)
    return True


async def returned(*, session: AsyncSession, telegram_id: int) -> bool:
    """Record that the person unblocked the bot; deliveries resume with the next one."""
    partner = await _current(session, telegram_id)
    if partner is None or partner.unreachable_at is None:
        return False
    partner.unreachable_at = None
    session.add(partner)
    return True
