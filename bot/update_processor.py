"""Updates from different people are handled at the same time; one person's, in order.

PTB handles updates one at a time by default: one reply waiting out a 429 held up every
later button press of everyone (p99 20.8 s, docs/performance.md section 3). Handling all
of them concurrently would break what relies on order: a guided flow's next message
must see the previous step done, and the replay and flood guards (bot/handlers/guards.py)
must see a person's updates in the order they were sent. So each update waits for the
previous update of the same user and of the same chat, and nothing else.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Hashable
from typing import Any

from telegram import Message, Update
from telegram.ext import BaseUpdateProcessor

from bot.delivery.limiter import Posted, handling_update

RUNNING = 64  # handlers running at once (each may hold a database connection)
# Updates accepted before PTB's own semaphore makes newcomers wait. Far above RUNNING
# on purpose: an update queued behind the same person's previous one must not take a
# running place, or one person's burst could hold up everyone else.
WAITING = 4096


def order_keys(update: object) -> list[Hashable]:
    """What an update must keep its place in: its user's updates and its chat's."""
    if not isinstance(update, Update):
        return []
    keys: list[Hashable] = []
    if update.effective_user is not None:
        keys.append(("user", update.effective_user.id))
    if update.effective_chat is not None:
        keys.append(("chat", update.effective_chat.id))
    return keys


def answered_message(update: object) -> Posted | None:
    """The bot's message this update answers (a pressed button's, or one replied to)."""
    if not isinstance(update, Update):
        return None
    if update.callback_query is not None:
        message = update.callback_query.message
    elif update.message is not None:
        message = update.message.reply_to_message
    else:
        return None
    # An InaccessibleMessage (too old to show) is not a Message and has no real date.
    if not isinstance(message, Message) or (message.from_user and not message.from_user.is_bot):
        return None
    return Posted(message.chat.id, message.date)


class PerPersonOrder(BaseUpdateProcessor):
    """Run updates concurrently (at most `running`), strictly in order per user and chat."""

    def __init__(self, running: int = RUNNING, waiting: int = WAITING) -> None:
        super().__init__(max(running, waiting))
        self._running = asyncio.Semaphore(running)
        # The last update seen for each user/chat: the next one waits for it to finish.
        self._last: dict[Hashable, asyncio.Event] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Wait for this person's previous update, then handle this one."""
        # Everything up to the first await runs in arrival order: PTB starts one task
        # per update in the order they came, and its semaphore (WAITING) never blocks.
        keys = order_keys(update)
        previous = {id(e): e for k in keys if (e := self._last.get(k)) is not None}
        finished = asyncio.Event()
        for key in keys:
            self._last[key] = finished
        started = False
        try:
            for event in previous.values():
                await event.wait()
            async with self._running:
                started = True
                with handling_update(answered_message(update)):
                    await coroutine
        finally:
            finished.set()
            for key in keys:
                if self._last.get(key) is finished:
                    del self._last[key]  # bounded memory: only people with work pending
            if not started and asyncio.iscoroutine(coroutine):
                coroutine.close()  # cancelled while waiting: never ran, never will

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release: PTB waits for running updates itself."""

    @property
    def pending(self) -> int:
        """Users and chats with an update being handled or waiting (for tests)."""
        return len(self._last)
