"""Sending notices through the outbox: an attempt now, retries with backoff later.

`NoticeSender.deliver` keeps the notice, tries it at once (the person usually hears within
a moment) and, when Telegram did not take it for a reason that can pass (5xx, a lost
answer, 429), leaves it for `drain`, which the dispatcher runs every tick. Errors are
classified once, by `sender.send`, exactly as for exercises.
"""

from __future__ import annotations

import heapq
import json
import logging
from datetime import datetime, timedelta
from enum import StrEnum

from telegram import Bot, InlineKeyboardMarkup

from bot.clock import Clock
from bot.db.engine import Database
from bot.db.models import NoticeKind
from bot.delivery import sender
from bot.services import outbox
from bot.services.crypto import Box
from bot.services.deliveries import Outcome, SendResult
from bot.services.pacing import Pacer

logger = logging.getLogger(__name__)

DRAIN_BATCH = 20
# Notices this process did not queue itself (another instance's, or left by a crash) are
# looked for this often; its own retries are tried exactly when due. So an idle tick
# costs no extra transaction (every one on SQLite takes the write lock and an fsync).
SWEEP_EVERY = timedelta(minutes=1)


class NoticeOutcome(StrEnum):
    SENT = "sent"
    QUEUED = "queued"  # not taken yet; retried until it is (or given up after two days)
    UNREACHABLE = "unreachable"  # the person blocked the bot or the chat is gone


class NoticeSender:
    """The one way the bot sends a notice that must arrive."""

    def __init__(self, *, database: Database, crypto: Box, clock: Clock, pacer: Pacer) -> None:
        self._db, self._crypto, self._clock, self._pacer = database, crypto, clock, pacer
        self._retries: list[datetime] = []  # a heap: when this process's queued ones are due
        self._swept_at: datetime | None = None

    async def deliver(
        self,
        bot: Bot,
        telegram_id: int,
        text: str,
        markup: InlineKeyboardMarkup | None = None,
        *,
        kind: NoticeKind,
        about: int | None = None,
        paced: bool = False,
    ) -> NoticeOutcome:
        """Keep the notice, try it now, and say what happened to this attempt.

        `about`: the Telegram id of the person whose words the text quotes (erasure).
        """
        async with self._db.session() as session:
            notice_id = await outbox.add(
                session=session, crypto=self._crypto, telegram_id=telegram_id, kind=kind,
                text=text, markup=_markup_json(markup), now=self._clock.now(), about=about,
            )  # fmt: skip
        if paced:  # the application's own bot is paced by its rate limiter instead
            await self._pacer.slot(telegram_id)
        result = await sender.send(bot, telegram_id, text, markup)
        return await self._settle(notice_id, result, attempts=1, age=timedelta(0))

    async def drain(self, bot: Bot) -> int:
        """Retry the notices that are due; return how many were sent."""
        now = self._clock.now()
        retry_due = bool(self._retries) and self._retries[0] <= now
        sweep_due = self._swept_at is None or now - self._swept_at >= SWEEP_EVERY
        if not (retry_due or sweep_due):
            return 0
        if sweep_due:
            self._swept_at = now
        while self._retries and self._retries[0] <= now:
            heapq.heappop(self._retries)  # claimed below (or by another instance already)
        async with self._db.session() as session:
            due = await outbox.claim_due(
                session=session, crypto=self._crypto, now=now, limit=DRAIN_BATCH
            )
        if len(due) == DRAIN_BATCH:
            heapq.heappush(self._retries, now)  # more may be waiting: look again next tick
        sent = 0
        for notice in due:
            await self._pacer.slot(notice.telegram_id)
            markup = _markup(notice.markup, bot)
            result = await sender.send(bot, notice.telegram_id, notice.text, markup)
            age = self._clock.now() - notice.created_at
            outcome = await self._settle(notice.id, result, attempts=notice.attempts, age=age)
            sent += outcome is NoticeOutcome.SENT
        return sent

    async def _settle(
        self, notice_id: int, result: SendResult, *, attempts: int, age: timedelta
    ) -> NoticeOutcome:
        now = self._clock.now()
        async with self._db.session() as session:
            if result.outcome is Outcome.SENT:
                await outbox.finish(session=session, ids=[notice_id])
                return NoticeOutcome.SENT
            if result.outcome in (Outcome.BLOCKED, Outcome.FAILED):
                # A blocked chat stays blocked; a refused message is refused again.
                await outbox.finish(session=session, ids=[notice_id])
                logger.warning("notice %s not deliverable: %s", notice_id, result.error)
                return NoticeOutcome.UNREACHABLE
            if age >= outbox.GIVE_UP_AFTER:
                await outbox.finish(session=session, ids=[notice_id])
                logger.warning("notice %s given up after %s tries", notice_id, attempts)
                return NoticeOutcome.QUEUED
            wait = outbox.backoff(attempts)
            if result.retry_after:
                self._pacer.retry_after(result.retry_after)
                wait = max(wait, timedelta(seconds=result.retry_after))
            await outbox.retry_later(
                session=session, notice_id=notice_id, due_at=now + wait, error=result.error
            )
        heapq.heappush(self._retries, now + wait)
        return NoticeOutcome.QUEUED


def _markup_json(markup: InlineKeyboardMarkup | None) -> str | None:
    return None if markup is None else json.dumps(markup.to_dict(), ensure_ascii=False)


def _markup(stored: str | None, bot: Bot) -> InlineKeyboardMarkup | None:
    if stored is None:
        return None
    return InlineKeyboardMarkup.de_json(json.loads(stored), bot)
