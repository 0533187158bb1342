"""Stand-ins for the parts a benchmark does not measure, and timing probes.

`InstantBot` answers sendMessage at once, so a tick's cost is the engine's own work
(database, planning, rendering), not Telegram's latency. `PhaseTimer` wraps service
functions the dispatcher calls through their modules, to split a tick into phases.
"""

from __future__ import annotations

import itertools
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any


@dataclass(frozen=True)
class _Message:
    message_id: int


class InstantBot:
    """Enough of telegram.Bot for the dispatcher: every send succeeds immediately."""

    def __init__(self) -> None:
        self._ids = itertools.count(1)
        self.sent: list[int] = []

    async def send_message(self, chat_id: int, text: str, **_: Any) -> _Message:
        self.sent.append(chat_id)
        return _Message(next(self._ids))


class PhaseTimer:
    """Accumulates wall time spent in chosen async functions of service modules."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self._undo: list[tuple[ModuleType, str, Callable[..., Awaitable[Any]]]] = []

    def wrap(self, module: ModuleType, name: str, label: str | None = None) -> None:
        original = getattr(module, name)
        key = label or name

        async def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return await original(*args, **kwargs)
            finally:
                self.seconds[key] += time.perf_counter() - start

        setattr(module, name, timed)
        self._undo.append((module, name, original))

    def reset(self) -> None:
        self.seconds.clear()

    def restore(self) -> None:
        for module, name, original in reversed(self._undo):
            setattr(module, name, original)
        self._undo.clear()
