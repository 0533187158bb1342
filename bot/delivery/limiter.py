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
  wait for a slot at all: a pressed button must stop spinning at once;
- a reply in the chat of the message the person answers (a pressed button's message)
  keeps a second from that message's date, even if another instance sent it (docs/delivery.md,
  "Several instances"): behind a load balancer the instance that answers the press is often
  not the one that sent the exercise, and only Telegram's date tells when that was.

A 429 on a message tells the pacer, so every send of the process, broadcast included,
waits exactly `retry_after`; then the message is tried again (up to `max_retries`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from bot.clock import Clock
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

# Telegram dates a message to the second, rounding down: the message may be up to this
# much younger than its date says.
DATE_RESOLUTION = 1.0
# How far ahead of our clock a message's date may seem before we stop believing it (the
# clocks disagree, or the date is not Telegram's): NTP-synchronised servers agree to well
# within this.
CLOCK_SKEW = 1.0


@dataclass(frozen=True, slots=True)
class Posted:
    """A message of the bot's that an update answers: its chat and Telegram's date for it."""

    chat_id: int
    date: datetime


@dataclass(frozen=True, slots=True)
class _Reply:
    answering: Posted | None


_handling_update: ContextVar[_Reply | None] = ContextVar("twofold_handling_update", default=None)


@contextmanager
def handling_update(answering: Posted | None = None) -> Iterator[None]:
    """Mark what runs inside as a reply to a person (urgent for the pacer).

    `answering`: the bot's message the person answered (a pressed button's), if any.
    """
    token = _handling_update.set(_Reply(answering))
    try:
        yield
    finally:
        _handling_update.reset(token)


def is_reply() -> bool:
    return _handling_update.get() is not None


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
    AIORateLimiter). `clock` tells the time Telegram's message dates are compared with;
    without it, a reply keeps its distance only from the messages this process sent.
    """

    def __init__(self, pacer: Pacer, *, clock: Clock | None = None, max_retries: int = 3) -> None:
        self.pacer = pacer
        self.clock = clock
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
        reply = _handling_update.get()
        urgent = reply is not None
        if message and reply is not None and chat is not None:
            self._keep_clear_of(reply.answering, chat)
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

    def _keep_clear_of(self, answering: Posted | None, chat: int) -> None:
        """Space a reply from the message it answers, whoever sent that message."""
        if answering is None or answering.chat_id != chat or self.clock is None:
            return
        age = (self.clock.now() - answering.date).total_seconds()
        if age < -CLOCK_SKEW:
            return  # nothing to go by
        self.pacer.sent_elsewhere(chat, seconds_ago=max(age - DATE_RESOLUTION, 0.0))


def _seconds(value: timedelta | float) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
