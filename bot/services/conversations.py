"""Where each user is inside a guided flow, kept in the database.

One row per user: starting a flow replaces whatever flow was open, so a user can
never be stuck in two steps at once, and a restart resumes exactly where they were.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db.models import ConversationState


async def current(*, session: AsyncSession, telegram_id: int) -> ConversationState | None:
    return await session.get(ConversationState, telegram_id)


async def begin(
    *,
    session: AsyncSession,
    telegram_id: int,
    flow: str,
    step: str,
    now: datetime,
    data: dict[str, Any] | None = None,
) -> ConversationState:
    """Start `flow` at `step` for this user, replacing any open flow."""
    state = await session.get(ConversationState, telegram_id)
    if state is None:
        state = ConversationState(telegram_id=telegram_id, flow=flow, step=step)
    state.flow, state.step, state.data, state.updated_at = flow, step, dict(data or {}), now
    session.add(state)
    await session.flush()
    return state


async def advance(
    *, session: AsyncSession, state: ConversationState, step: str, now: datetime, **data: Any
) -> ConversationState:
    """Move to `step`, merging `data` into what the flow collected so far."""
    # A new dict, not an in-place update: SQLAlchemy only notices a replaced JSON value.
    state.data = {**state.data, **data}
    state.step, state.updated_at = step, now
    session.add(state)
    await session.flush()
    return state


async def end(*, session: AsyncSession, telegram_id: int) -> None:
    state = await session.get(ConversationState, telegram_id)
    if state is not None:
        await session.delete(state)
