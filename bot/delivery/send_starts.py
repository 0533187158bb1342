"""Recording that a send is about to leave, durably and in groups.

A claimed delivery that was never attempted must not look like one whose message may
have arrived, or a crash turns it into an unknown outcome (and a second crash into a
failure although nothing was ever sent). So each send is written down as started just
before its request leaves, after its pacer slot. One durable commit per send would cost
what group recording saves (docs/delivery.md), so the senders waiting at one moment
share a commit: whatever asked while the previous commit was being written.
"""

from __future__ import annotations

import asyncio
from datetime import datetime

from bot.clock import Clock
from bot.db.engine import Database
from bot.services import deliveries


class SendStarts:
    """Mark claimed deliveries as started; say which are still this dispatcher's."""

    def __init__(self, *, database: Database, clock: Clock) -> None:
        self._db, self._clock = database, clock
        self._waiting: list[tuple[int, datetime, asyncio.Future[bool]]] = []
        self._writer: asyncio.Task[None] | None = None

    async def start(self, delivery_id: int, lease: datetime) -> bool:
        """Wait until the start is recorded; False if the claim was lost meanwhile."""
        future: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._waiting.append((delivery_id, lease, future))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.ensure_future(self._write())
        return await future

    async def _write(self) -> None:
        while self._waiting:
            group, self._waiting = self._waiting, []
            try:
                async with self._db.session() as session:
                    ours = await deliveries.mark_started(
                        session=session,
                        claims=[(delivery_id, lease) for delivery_id, lease, _ in group],
                        now=self._clock.now(),
                    )
            except Exception as error:  # the senders see it, and the tick ends with it
                for _id, _lease, future in group:
                    if not future.done():
                        future.set_exception(error)
                continue
            for delivery_id, _lease, future in group:
                if not future.done():
                    future.set_result(delivery_id in ours)
