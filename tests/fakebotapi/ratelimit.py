"""Telegram's flood limits as sliding windows, on an injectable monotonic clock.

What is counted (a decision, since Telegram does not publish its exact algorithm): only methods
that *produce a new message* (``send*`` except ``sendChatAction``, ``copyMessage``,
``forwardMessage``...). Telegram's FAQ states its limits in messages ("no more than one message
per second in a particular chat", "30 messages per second" overall, "20 messages per minute" in
a group); edits are limited separately and far more loosely, so they are *not* counted by
default. Pass ``RateLimits(methods=SEND_METHODS | EDIT_METHODS)`` to count them too.

Each scope (``global`` and ``chat:<id>``) is a sliding window: at most ``limit`` accepted
requests in any trailing ``period`` seconds. The private-chat default ``Window(3, 3.0)`` is the
"1 message/s, short bursts allowed" rule with a burst of 3. A rejected request gets
``retry_after = ceil(time until the window has room)`` (>= 1), and that scope then stays closed
until the retry_after has elapsed, as Telegram's flood wait does: asking again early is answered
with another 429 for the remaining time and is counted as a *violation* (benchmarks use this to
prove the bot honours retry_after).
"""

from __future__ import annotations

import math
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["EDIT_METHODS", "SEND_METHODS", "RateLimitStats", "RateLimiter", "RateLimits", "Window"]

SEND_METHODS = frozenset(
    {
        "sendMessage",
        "sendPhoto",
        "sendDocument",
        "sendAudio",
        "sendVideo",
        "sendAnimation",
        "sendVoice",
        "sendVideoNote",
        "sendSticker",
        "sendMediaGroup",
        "sendLocation",
        "sendVenue",
        "sendContact",
        "sendPoll",
        "sendDice",
        "copyMessage",
        "copyMessages",
        "forwardMessage",
        "forwardMessages",
    }
)
EDIT_METHODS = frozenset(
    {"editMessageText", "editMessageCaption", "editMessageReplyMarkup", "editMessageMedia"}
)


@dataclass(frozen=True)
class Window:
    """At most ``limit`` requests in any ``period`` seconds."""

    limit: int
    period: float


@dataclass(frozen=True)
class RateLimits:
    """The limits in force; defaults are Telegram's published values."""

    overall: Window = Window(30, 1.0)
    private_chat: Window = Window(3, 3.0)
    group_chat: Window = Window(20, 60.0)
    methods: frozenset[str] = SEND_METHODS


@dataclass
class RateLimitStats:
    """What a benchmark wants to know about how politely the bot behaved."""

    total_429: int = 0
    violations: int = 0
    by_scope: Counter[str] = field(default_factory=Counter)


class RateLimiter:
    """Decides whether one counted request may pass now; remembers the flood waits it imposed."""

    def __init__(self, limits: RateLimits | None, clock: Callable[[], float]) -> None:
        self.limits = limits
        self.clock = clock
        self.stats = RateLimitStats()
        self._accepted: dict[str, deque[float]] = {}
        self._closed_until: dict[str, float] = {}

    def check(self, method: str, chat_id: int, *, group: bool) -> int | None:
        """Return ``retry_after`` seconds if the request must be refused, else record it."""
        limits = self.limits
        if limits is None or method not in limits.methods:
            return None
        now = self.clock()
        chat_window = limits.group_chat if group else limits.private_chat
        scopes = [("global", limits.overall), (f"chat:{chat_id}", chat_window)]
        if any(now < self._closed_until.get(scope, -math.inf) for scope, _ in scopes):
            self.stats.violations += 1
        refusals: dict[str, int] = {}
        for scope, window in scopes:
            wait = self._wait(scope, window, now)
            if wait > 0:
                refusals[scope] = max(1, math.ceil(wait - 1e-9))
        if refusals:
            retry_after = max(refusals.values())
            for scope in refusals:
                self._closed_until[scope] = max(
                    self._closed_until.get(scope, -math.inf), now + refusals[scope]
                )
                self.stats.by_scope[scope] += 1
            self.stats.total_429 += 1
            return retry_after
        for scope, _ in scopes:
            self._accepted.setdefault(scope, deque()).append(now)
        return None

    def _wait(self, scope: str, window: Window, now: float) -> float:
        """Seconds until ``scope`` accepts another request (0 if it does now)."""
        closed = self._closed_until.get(scope, -math.inf)
        if now < closed:
            return closed - now
        accepted = self._accepted.setdefault(scope, deque())
        while accepted and accepted[0] <= now - window.period:
            accepted.popleft()
        if len(accepted) < window.limit:
            return 0.0
        return accepted[0] + window.period - now
