"""One rate budget per bot process: the application's Bot asks the dispatcher's pacer.

Telegram counts every message a bot sends against one limit (~30/s), whether it is a
scheduled exercise or a reply to a button press. Two limiters that do not know about each
other overshoot it together and turn a broadcast into a cascade of 429s (measured in
docs/performance.md, section 3). So every message the application's Bot sends takes a
slot from the same `Pacer` the dispatcher uses:

- a message sent while handling someone's update (a reply: `handling_update()` is set by
  `bot/update_processor.py`) is urgent and jumps ahead of the broadcast;
- a message sent from a job (the weekly digest) paces like the broadcast;
- anything that is not a new message (answering a button press, edits, menus) does not
  wait for a slot at all: a pressed button must stop spinning at once.

A 429 on a message tells the pacer, so every send of the process, broadcast included,
waits exactly `retry_after`; then the message is tried again (up to `max_retries`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import timedelta
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from bot.services.pacing import Pacer

logger = logging.getLogger(__name__)

JSONDict = dict[str, Any]

# Methods that put a new message in a chat: what Telegram's flood limits count.
MESSAGE_METHODS = frozenset(
    {
        "sendMessage", "sendPhoto", "sendDocument", "sendAudio", "sendVideo",
        "sendAnimation", "sendVoice", "sendVideoNote", "sendSticker", "sendMediaGroup",
        "sendLocation", "sendVenue", "sendContact", "sendPoll", "sendDice",
        "copyMessage", "copyMessages", "forwardMessage", "forwardMessages",
    }
)  # fmt: skip

_handling_update: ContextVar[bool] = ContextVar("twofold_handling_update", default=False)


@contextmanager
def handling_update() -> Iterator[None]:
    """Mark what runs inside as a reply to a person (urgent for the pacer)."""
    token = _handling_update.set(True)
    try:
        yield
    finally:
        _handling_update.reset(token)


def is_reply() -> bool:
    return _handling_update.get()


def chat_key(chat_id: object) -> int | None:
    """The chat as the pacer knows it; None for an @username (nothing to space per chat)."""
    if isinstance(chat_id, int):
        return chat_id
    try:
        return int(str(chat_id))
    except ValueError:
        return None


class SharedLimiter(BaseRateLimiter[int]):
    """The application Bot's rate limiter: every message through the process's one pacer.

    `rate_limit_args`, if given, is the number of retries for that call (as with PTB's
    AIORateLimiter).
    """

    def __init__(self, pacer: Pacer, *, max_retries: int = 3) -> None:
        self.pacer = pacer
        self.max_retries = max_retries

    async def initialize(self) -> None:
        """Nothing to set up: the pacer lives as long as the process."""

    async def shutdown(self) -> None:
        """Nothing to release."""

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | JSONDict | list[JSONDict]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | JSONDict | list[JSONDict]:
        """Wait for a slot if this is a message, send, and wait out 429s."""
        retries = self.max_retries if rate_limit_args is None else rate_limit_args
        message = endpoint in MESSAGE_METHODS
        chat = chat_key(data.get("chat_id"))
        urgent = is_reply()
        for attempt in range(retries + 1):
            if message:
                await self.pacer.slot(chat, urgent=urgent)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                if attempt == retries:
                    raise
                seconds = _seconds(exc.retry_after)
                logger.info("%s got a 429: waiting %.1f s (retry %d)", endpoint, seconds, attempt)
                if message:
                    self.pacer.retry_after(seconds)  # the next slot() waits it out
                else:
                    # Edits and the like have looser limits of their own: a 429 on one
                    # concerns that request, not the messages of everyone else.
                    await self.pacer.pause(seconds)
        raise AssertionError("unreachable")  # pragma: no cover


def _seconds(value: timedelta | float) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
