"""RETENTION_DAYS: free text older than the retention period is purged automatically.

Only the text goes (`Response.text_ct` set to NULL): that an exercise was answered,
when, its scale value and rating stay, so the therapist's record and progress remain.
The age of an answer counts from when it was last written (`updated_at`). Safety
plans are kept: a person keeps theirs until they change or erase it. The text of /tell
messages kept for the therapist's export is purged too (counted from when it was sent).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import col, update
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db.models import Response
from bot.services import tells

# How often the bot looks for text past the period (bot/app.py).
INTERVAL = timedelta(hours=1)


async def purge(*, session: AsyncSession, now: datetime, days: int) -> int:
    """Erase the text of answers last written more than `days` days before `now`."""
    cutoff = now - timedelta(days=days)
    result = await session.exec(
        update(Response)
        .where(col(Response.text_ct).is_not(None), col(Response.updated_at) < cutoff)
        .values(text_ct=None, message_id=None)
        .execution_options(synchronize_session=False)
    )
    # /tell messages kept for the export go the same way (bot/services/tells.py).
    return int(result.rowcount) + await tells.purge(session=session, now=now, days=days)
