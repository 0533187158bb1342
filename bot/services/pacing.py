"""Pacing sends under Telegram's limits: a global rate, one message per chat per second
(replies too), and a full stop while a `retry_after` from Telegram is in force.

One pacer per bot process paces both kinds of traffic, because Telegram counts them
against one limit: the broadcast (the dispatcher's scheduled messages, at most `rate`)
and replies to people (urgent: they jump the broadcast's queue). Together they stay
under `overall`, which leaves replies a little room above the broadcast rate.

Time and sleeping are injected, so tests and benchmarks can run it in virtual time.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

Sleep = Callable[[float], Awaitable[None]]

# Replies may add this share on top of the broadcast rate: 25/s leaves 28/s in all, under
# Telegram's ~30/s with a margin for network jitter (requests spaced evenly here may still
# arrive bunched). It scales with the rate, so N instances at DELIVERY_RATE / N stay
# under the limit together (docs/delivery.md).
REPLY_HEADROOM = 1.12
OVERALL_CEILING = 28.0  # messages/second; above it only if the broadcast rate itself is
# Telegram's one message per chat per second, plus a margin: a slot is taken when a send
# starts, and two sends a second apart can reach Telegram closer together than that
# (seen in the two-instance benchmark: 0.97 s, and a 429).
PER_CHAT_INTERVAL = 1.1


def overall_rate(rate: float) -> float:
    """The combined ceiling (broadcast + replies) for a broadcast `rate`."""
    return max(rate, min(rate * REPLY_HEADROOM, OVERALL_CEILING))


class Pacer:
    """Hands out send slots: `await pacer.slot(chat_id)` returns when a send may start.

    `slot(chat_id)` is the broadcast's (at most `rate` per second);
    `slot(chat_id, urgent=True)` is for a reply someone is waiting for: it takes the
    next free slot of the combined ceiling ahead of any broadcast send.
    """

    def __init__(
        self,
        rate: float,
        *,
        overall: float | None = None,
        per_chat_interval: float = PER_CHAT_INTERVAL,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        overall = overall or overall_rate(rate)
        if overall < rate:
            raise ValueError("the overall rate cannot be below the broadcast rate")
        self._bulk_spacing = 1.0 / rate
        self._spacing = 1.0 / overall
        self._per_chat = per_chat_interval
        self._monotonic = monotonic
        self._sleep = sleep
        self._next_any = 0.0  # the combined ceiling: every send
        self._next_bulk = 0.0  # the broadcast's own rate
        # One message per chat per second, replies included. Telegram may tolerate a short
        # burst of replies, but not reliably: the "Done" button's two replies ("Saved",
        # then the rating question) sent at once drew a 429 under the fan-out's strict
        # limit, and a 429 pauses every send of the process (docs/performance.md, 5).
        self._next_for_chat: dict[int, float] = {}
        self._blocked_until = 0.0
        self._bulk_turn = asyncio.Lock()  # FIFO: the broadcast's senders in arrival order
        self._on_retry_after: Callable[[float], None] | None = None

    async def slot(self, chat_id: int | None, *, urgent: bool = False) -> None:
        """Return when a send to `chat_id` may start (None: no chat to space out)."""
        if urgent:
            await self._urgent_slot(chat_id)
        else:
            await self._bulk_slot(chat_id)

    async def _bulk_slot(self, chat_id: int | None) -> None:
        # A slot is taken at the moment the send starts, never reserved ahead: senders
        # that wake late (a busy event loop) or together (the end of a retry_after) would
        # otherwise all go at once, a burst over the limit and a cascade of 429s (seen in
        # the real-time benchmark: 363 of 669 sends refused). Senders take their turns
        # first come, first served: when each woke and grabbed whatever slot was free,
        # one could lose again and again while new batches kept coming (a couple's
        # partners 34 s apart in the two-instance benchmark).
        while True:
            await self._wait_until(self._chat_free_at(chat_id))  # holding nobody up
            async with self._bulk_turn:
                while True:
                    now = self._monotonic()
                    start = max(now, self._next_any, self._next_bulk, self._blocked_until)
                    if start <= now:
                        break
                    await self._wait_until(start)
                if self._chat_free_at(chat_id) <= now:  # no reply in that chat meanwhile
                    self._take(now, chat_id)
                    self._next_bulk = now + self._bulk_spacing
                    return

    async def _urgent_slot(self, chat_id: int | None) -> None:
        while True:
            # First the person's own chat and any flood wait, holding nobody else up.
            now = self._monotonic()
            free = self._chat_free_at(chat_id)
            if free > now:
                await self._wait_until(free)
                continue
            if self._next_any <= now:
                self._take(now, chat_id)
                return
            # Jump the queue: reserve the next slot of the combined ceiling, so broadcast
            # senders waking meanwhile find it taken and wait behind it. Replies are few,
            # so this reservation cannot turn into the burst described above.
            moment = self._next_any
            self._next_any = moment + self._spacing
            await self._wait_until(moment)
            now = self._monotonic()
            if self._chat_free_at(chat_id) <= now:  # no retry_after or other reply meanwhile
                self._take(now, chat_id)
                return

    def sent_elsewhere(self, chat_id: int, *, seconds_ago: float) -> None:
        """A message reached `chat_id` that long ago, sent by someone else (another
        instance): replies in that chat keep one per-chat interval from it."""
        if seconds_ago >= self._per_chat:
            return
        free_at = self._monotonic() - max(seconds_ago, 0.0) + self._per_chat
        if free_at > self._next_for_chat.get(chat_id, 0.0):
            self._next_for_chat[chat_id] = free_at

    def retry_after(self, seconds: float, *, tell: bool = True) -> None:
        """Telegram said to wait: stop every send for exactly that long.

        `tell`: pass it on to `on_retry_after`'s listener (other instances); False for a
        wait that came from them.
        """
        self._blocked_until = max(self._blocked_until, self._monotonic() + seconds)
        self._next_any = max(self._next_any, self._blocked_until)
        if tell and self._on_retry_after is not None:
            self._on_retry_after(seconds)

    def on_retry_after(self, listener: Callable[[float], None] | None) -> None:
        """Call `listener(seconds)` whenever Telegram makes this pacer wait (None: stop)."""
        self._on_retry_after = listener

    def blocked_for(self) -> float:
        """Seconds until sends may start again after a flood wait (0: they may now)."""
        return max(0.0, self._blocked_until - self._monotonic())

    async def pause(self, seconds: float) -> None:
        """Sleep on the pacer's clock (for waits that concern one request only)."""
        await self._wait_until(self._monotonic() + seconds)

    def forget_idle_chats(self) -> None:
        """Drop per-chat bookkeeping that no longer constrains anything (bounded memory)."""
        now = self._monotonic()
        self._next_for_chat = {c: t for c, t in self._next_for_chat.items() if t > now}

    def _chat_free_at(self, chat_id: int | None) -> float:
        chat = 0.0 if chat_id is None else self._next_for_chat.get(chat_id, 0.0)
        return max(chat, self._blocked_until)  # nothing goes out while a retry_after holds

    def _take(self, now: float, chat_id: int | None) -> None:
        self._next_any = max(self._next_any, now + self._spacing)  # keep any reservation
        if chat_id is not None:
            self._next_for_chat[chat_id] = now + self._per_chat

    async def _wait_until(self, moment: float) -> None:
        delay = moment - self._monotonic()
        if delay > 0:
            await self._sleep(delay)
