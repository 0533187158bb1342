"""Safety check-ins: when to ask "are you safe right now?", and what the answer was.

No words of the message are kept: only who was asked, about which message id, when, and
the answer. See docs/safety.md.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db.models import CheckIn, CheckInAnswer

# At most this many check-ins per person in a day: a stream of questions would feel like
# surveillance. Past it, the person still gets the "I need help now" button.
MAX_PER_DAY = 3
DAY = timedelta(hours=24)


async def ask(
    *, session: AsyncSession, telegram_id: int, message_id: int | None, now: datetime
) -> int | None:
    """Record a check-in to send; None if this message was asked about or the day is full."""
    if message_id is not None:
        earlier = await session.exec(
            select(CheckIn.id).where(
                CheckIn.telegram_id == telegram_id, CheckIn.message_id == message_id
            )
        )
        if earlier.first() is not None:
            return None
    today = await session.exec(
        select(func.count())
        .select_from(CheckIn)
        .where(CheckIn.telegram_id == telegram_id, col(CheckIn.asked_at) > now - DAY)
    )
    if today.one() >= MAX_PER_DAY:
        return None
    check_in = CheckIn(telegram_id=telegram_id, message_id=message_id, asked_at=now)
    session.add(check_in)
    await session.flush()
    assert check_in.id is not None
    return check_in.id


async def answer(
    *,
    session: AsyncSession,
    check_in_id: int,
    telegram_id: int,
    choice: CheckInAnswer,
    now: datetime,
) -> bool:
    """Record the answer; False if it is not this person's check-in (forged or stale)."""
    check_in = await session.get(CheckIn, check_in_id)
    if check_in is None or check_in.telegram_id != telegram_id:
        return False
    check_in.answer, check_in.answered_at = choice.value, now
    session.add(check_in)
    return True
