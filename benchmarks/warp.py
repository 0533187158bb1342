"""Warped time: real work costs real time, idle waiting is skipped.

A fan-out of 20,000 messages at 25/s lasts 13 minutes of real time, nearly all of it
spent waiting for the pacer's next slot. Here the clock is `time.monotonic() + offset`;
when every sender is waiting (no request in flight, no database session open, nothing
ready to run in the event loop), the offset jumps to the next wake-up. So database and
HTTP work take exactly as long as they really do, and only the idle gaps disappear.

The offset lives in a small shared file, so the fake Bot API in another process reads
the same clock for its rate limits and message dates.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import mmap
import struct
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession
from telegram.request import HTTPXRequest

from bot.db.engine import Database

_LAYOUT = struct.Struct("ddd")  # offset, monotonic at `start`, start as a Unix time


class SharedClock:
    """Virtual time readable from several processes: monotonic seconds and aware UTC."""

    def __init__(self, path: Path, start: datetime | None = None) -> None:
        if start is not None:
            path.write_bytes(_LAYOUT.pack(0.0, time.monotonic(), start.timestamp()))
        self._file = path.open("r+b")
        self._map = mmap.mmap(self._file.fileno(), _LAYOUT.size)

    def _read(self) -> tuple[float, float, float]:
        return _LAYOUT.unpack_from(self._map)

    def monotonic(self) -> float:
        return time.monotonic() + self._read()[0]

    def now(self) -> datetime:
        offset, mono0, start = self._read()
        elapsed = time.monotonic() + offset - mono0
        return datetime.fromtimestamp(start, UTC) + timedelta(seconds=elapsed)

    def skipped(self) -> float:
        """Seconds of idle time skipped so far."""
        return self._read()[0]

    def jump(self, seconds: float) -> None:
        offset, mono0, start = self._read()
        _LAYOUT.pack_into(self._map, 0, offset + seconds, mono0, start)

    def close(self) -> None:
        self._map.close()
        self._file.close()


class Warp:
    """The pacer's sleep, and the task that skips time while everything waits."""

    def __init__(self, clock: SharedClock) -> None:
        self.clock = clock
        self.busy = 0
        self.jumps = 0
        self._heap: list[tuple[float, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()
        self._changed = asyncio.Event()

    async def sleep(self, delay: float) -> None:
        if delay <= 0:
            await asyncio.sleep(0)
            return
        future = asyncio.get_running_loop().create_future()
        heapq.heappush(self._heap, (self.clock.monotonic() + delay, next(self._seq), future))
        self._changed.set()
        await future

    @contextmanager
    def hold(self) -> Iterator[None]:
        """Mark real work in progress: time must not jump over it."""
        self.busy += 1
        try:
            yield
        finally:
            self.busy -= 1
            if self.busy == 0:
                self._changed.set()

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        ready: Any = getattr(loop, "_ready", ())  # callbacks ready to run (CPython's loop)
        while True:
            if not self._heap:
                self._changed.clear()
                await self._changed.wait()
                continue
            target = self._heap[0][0]
            now = self.clock.monotonic()
            if target <= now:
                while self._heap and self._heap[0][0] <= now:
                    _, _, future = heapq.heappop(self._heap)
                    if not future.done():
                        future.set_result(None)
                await asyncio.sleep(0)
            elif ready:
                await asyncio.sleep(0)  # let what is ready run first
            elif self.busy == 0:
                self.clock.jump(target - now)
                self.jumps += 1
            else:
                # Real work in progress: wait for it to end (or for the target, in real time).
                self._changed.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), target - now)


class CountedRequest(HTTPXRequest):
    """PTB's HTTP client, marking each request as work in progress."""

    warp: Warp | None = None

    async def do_request(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        if self.warp is None:
            return await super().do_request(*args, **kwargs)
        with self.warp.hold():
            return await super().do_request(*args, **kwargs)


class CountedDatabase(Database):
    """The application's Database, marking each open session as work in progress."""

    warp: Warp | None = None

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        if self.warp is None:
            async with super().session() as session:
                yield session
            return
        with self.warp.hold():
            async with super().session() as session:
                yield session


async def job_queue(tick: Any, warp: Warp, interval: float, done: Any) -> int:
    """Run `tick` every `interval` as PTB's JobQueue does with max_instances=1 and coalesce:
    a run that falls while the previous one is still going is skipped."""
    clock = warp.clock
    first = clock.monotonic()
    runs = 0
    while not await done():
        await tick()
        runs += 1
        elapsed = clock.monotonic() - first
        next_run = first + (int(elapsed // interval) + 1) * interval
        await warp.sleep(next_run - clock.monotonic())
    return runs
