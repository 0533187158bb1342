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
from contextlib import suppress
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

    def __init__(
        self, database: Database, pacer: Pacer, clock: Clock, *, retry_every: float = 5.0
    ) -> None:
        self._database, self._pacer, self._clock = database, pacer, clock
        self._retry_every = retry_every  # seconds between attempts to listen again
        self._me = uuid.uuid4().hex  # our own notices come back to us too
        self._connection: AsyncConnection | None = None
        self._driver: Any = None  # asyncpg's Connection
        self._lock = asyncio.Lock()  # one statement at a time on the connection
        self._pending: set[asyncio.Task[None]] = set()
        self._relisten: asyncio.Task[None] | None = None
        self.relistened = asyncio.Event()  # set each time listening resumed after a loss
        self._stopped = False

    async def start(self) -> None:
        """Listen on a connection of its own (a no-op on SQLite)."""
        if self._database.is_sqlite:
            return
        await self._listen()
        self._pacer.on_retry_after(self._tell_others)

    async def stop(self) -> None:
        """Stop listening and give the connection back."""
        self._stopped = True  # a termination reported from now on is our own doing
        if self._relisten is not None:
            self._relisten.cancel()
            await asyncio.gather(self._relisten, return_exceptions=True)
            self._relisten = None
        self._pacer.on_retry_after(None)
        if self._pending:
            await asyncio.gather(*self._pending, return_exceptions=True)
        if self._connection is None:
            return
        # The connection goes back to the pool, which closes it later (at dispose): with
        # the termination listener still on, that close would start a re-listen task
        # nobody awaits ("Task was destroyed but it is pending!" at shutdown).
        self._driver.remove_termination_listener(self._lost)
        await self._driver.remove_listener(CHANNEL, self._heard)
        await self._connection.close()
        self._connection = self._driver = None

    async def _listen(self) -> None:
        connection = await self._database.engine.connect()
        raw = await connection.get_raw_connection()
        driver = raw.driver_connection
        assert driver is not None
        await driver.add_listener(CHANNEL, self._heard)
        # A dropped connection (a database restart) would otherwise end the sharing
        # silently until the next start of the bot.
        driver.add_termination_listener(self._lost)
        self._connection, self._driver = connection, driver

    def _lost(self, _driver: object) -> None:
        if self._stopped:
            return
        logger.warning("lost the connection that hears other instances' flood waits")
        lost, self._connection, self._driver = self._connection, None, None
        if self._relisten is None or self._relisten.done():
            self._relisten = asyncio.get_running_loop().create_task(self._listen_again(lost))

    async def _listen_again(self, lost: AsyncConnection | None) -> None:
        if lost is not None:
            with suppress(Exception):  # already dead: only the pool must forget it
                await lost.invalidate()
        while True:
            await asyncio.sleep(self._retry_every)
            try:
                await self._listen()
            except Exception:  # the database is still away: try again later
                logger.warning("could not listen for flood waits again yet", exc_info=True)
                continue
            logger.info("listening for other instances' flood waits again")
            self.relistened.set()
            return

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
