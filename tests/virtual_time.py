"""Virtual monotonic time for concurrent code: it moves only when every task is asleep.

`sleep(d)` parks the caller until the clock reaches now + d. `run(main)` runs `main` and,
whenever nothing else can make progress, jumps the clock to the earliest wake-up.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Awaitable
from typing import TypeVar

T = TypeVar("T")
SETTLE = 50  # event-loop passes that count as "nothing else can make progress"


class VirtualTime:
    def __init__(self) -> None:
        self.now = 0.0
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._sleepers, (self.now + max(0.0, seconds), next(self._order), future))
        await future

    async def run(self, main: Awaitable[T]) -> T:
        task = asyncio.ensure_future(main)
        stalled = 0
        while not task.done():
            for _ in range(SETTLE):
                await asyncio.sleep(0)
                if task.done():
                    break
            else:
                if not self._sleepers:
                    stalled += 1  # waiting on something else (an event): let it happen
                    if stalled > 100:
                        task.cancel()
                        raise RuntimeError("nothing can make progress: a deadlock")
                    continue
                stalled = 0
                moment, _, future = heapq.heappop(self._sleepers)
                self.now = max(self.now, moment)
                if not future.done():
                    future.set_result(None)
        return task.result()
