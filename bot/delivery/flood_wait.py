"""Flood waits shared between instances on one PostgreSQL database (LISTEN/NOTIFY).

Telegram's limit is the bot's, not an instance's: when it answers one instance with a
429, every instance should stop, but only the one that got the answer knows. Measured
with two instances (docs/performance.md, section 5): one global 429 turned into
hundreds, because the other instance kept sending into the closed window, and each of
its sends drew a 429 of its own.

So each instance tells the others through `pg_notify` when its pacer is told to wait,
and listens for theirs. A notice carries the moment the wait ends (wall clock, which
NTP keeps in step between servers), not its length, so its own delay costs nothing.
Sends already in flight cannot be recalled; everything not yet started waits.
SQLite is one process by nature: nothing to share.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.clock import Clock
from bot.db.engine import Database
from bot.services.pacing import Pacer

logger = logging.getLogger(__name__)

CHANNEL = "twofold_flood_wait"
LONGEST_WAIT = 3600.0  # seconds; a notice asking for more is not one of ours


class FloodWaitShare:
    """Tells other instances about this pacer's flood waits and applies theirs."""

    def __init__(self, database: Database, pacer: Pacer, clock: Clock) -> None:
        self._database, self._pacer, self._clock = database, pacer, clock
        self._me = uuid.uuid4().hex  # our own notices come back to us too
        self._connection: AsyncConnection | None = None
        self._driver: Any = None  # asyncpg's Connection
        self._lock = asyncio.Lock()  # one statement at a time on the connection
        self._pending: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        """Listen on a connection of its own (a no-op on SQLite)."""
        if self._database.is_sqlite:
            return
        self._connection = await self._database.engine.connect()
        raw = await self._connection.get_raw_connection()
        self._driver = raw.driver_connection
        await self._driver.add_listener(CHANNEL, self._heard)
        self._pacer.on_retry_after(self._tell_others)

    async def stop(self) -> None:
        """Stop listening and give the connection back."""
        if self._connection is None:
            return
        self._pacer.on_retry_after(None)
        if self._pending:
            await asyncio.gather(*self._pending, return_exceptions=True)
        await self._driver.remove_listener(CHANNEL, self._heard)
        await self._connection.close()
        self._connection = self._driver = None

    def _tell_others(self, seconds: float) -> None:
        until = self._clock.now().timestamp() + seconds
        task = asyncio.get_running_loop().create_task(self._notify(until))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _notify(self, until: float) -> None:
        payload = json.dumps({"from": self._me, "until": until})
        try:
            async with self._lock:
                await self._driver.execute("SELECT pg_notify($1, $2)", CHANNEL, payload)
        except Exception:  # the local wait stands; the others will get their own 429
            logger.warning("could not tell other instances about a flood wait", exc_info=True)

    def _heard(self, _connection: object, _pid: int, _channel: str, payload: str) -> None:
        try:
            notice = json.loads(payload)
            sender, until = str(notice["from"]), float(notice["until"])
        except (ValueError, KeyError, TypeError):
            logger.warning("ignored a malformed flood-wait notice")
            return
        if sender == self._me:
            return
        seconds = until - self._clock.now().timestamp()
        if 0 < seconds <= LONGEST_WAIT:
            logger.info("another instance got a 429: waiting %.1f s", seconds)
            self._pacer.retry_after(seconds, tell=False)
