"""At most once per update: remember which Telegram update ids were already handled.

Telegram redelivers a webhook update when it did not see a 2xx in time, and anyone who
captured a request could replay it. Recording the id *before* the handlers run makes the
second copy a no-op. The trade-off is deliberate: if the process dies between recording and
handling, that update is lost rather than applied twice (a duplicated answer, join or
leave is worse than asking the person to repeat themselves).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db.models import ProcessedUpdate

# Telegram keeps an undelivered update for at most 24 hours; a week is ample margin.
REMEMBER_FOR = timedelta(days=7)


async def first_time(*, session: AsyncSession, update_id: int, now: datetime) -> bool:
    """Record `update_id`; True the first time, False for every later copy."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    # One statement, conflict-do-nothing: two instances racing on the same update agree on
    # exactly one winner, without a read-then-write window.
    statement = (
        insert(ProcessedUpdate)
        .values(update_id=update_id, processed_at=now)
        .on_conflict_do_nothing(index_elements=["update_id"])
        .returning(col(ProcessedUpdate.update_id))
    )
    inserted = (await session.exec(statement)).first()
    return inserted is not None


async def forget_before(*, session: AsyncSession, cutoff: datetime) -> int:
    """Delete ids recorded before `cutoff`; return how many went."""
    statement = delete(ProcessedUpdate).where(col(ProcessedUpdate.processed_at) < cutoff)
    result = await session.exec(statement)
    return int(result.rowcount or 0)
