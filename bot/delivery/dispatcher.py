"""The dispatcher: every few seconds, claim what is due, decide, send paced, record.

Driven by PTB's JobQueue (APScheduler). Each tick claims at most what it can send
within its interval at the configured rate, so ticks do not pile up, and its cost
follows the number of deliveries due (an indexed query), not the number of couples.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import timedelta

from telegram import Bot

from bot.clock import Clock
from bot.db.engine import Database
from bot.delivery import messages, sender
from bot.library import Library
from bot.services import deliveries, reminders
from bot.services.deliveries import Decision, Job, Outcome, SendResult
from bot.services.pacing import Pacer
from bot.services.reminders import ReminderDecision

logger = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)
RETRY_BACKOFF = timedelta(seconds=30)
MAX_TICK = timedelta(seconds=60)  # a tick stops claiming more after this, to send reminders


@dataclass(frozen=True, slots=True)
class DispatchConfig:
    batch: int = 50
    grace: timedelta = timedelta(hours=6)
    remind_after: timedelta | None = timedelta(hours=6)
    # Sends in flight at once. Telegram's latency makes 25 msg/s impossible one at a
    # time; the cost is that sends already in flight when a 429 arrives cannot be
    # recalled (the pacer keeps under the limits, so 429s are the exception).
    concurrency: int = 16


@dataclass(slots=True)
class TickReport:
    claimed: int = 0
    sent: int = 0
    decided: dict[str, int] = field(default_factory=dict)
    retried: int = 0
    unknown: int = 0
    failed: int = 0
    reminders: int = 0


class Dispatcher:
    """Sends due deliveries and reminders; one instance per process."""

    def __init__(
        self,
        *,
        database: Database,
        library: Library,
        clock: Clock,
        bot: Bot,
        pacer: Pacer,
        config: DispatchConfig,
    ) -> None:
        self._db, self._library, self._clock = database, library, clock
        self._bot, self._pacer, self._config = bot, pacer, config
        self._lock = asyncio.Lock()  # a slow tick must never overlap the next one

    async def tick(self) -> TickReport:
        """Do one round of work; safe while other processes run their own dispatchers."""
        async with self._lock:
            report = TickReport()
            started = self._clock.now()
            # A full batch means more is waiting: claim again at once rather than at the
            # next tick. The JobQueue skips a run that falls while a tick is still going,
            # so with one batch per tick a backlog was sent at ~55% of the rate (a batch
            # takes the whole interval to send, the claim makes it overrun, the next run
            # is skipped). Bounded, so reminders are never put off for long.
            while True:
                claimed = report.claimed
                to_send = await self._claim_and_decide(report)
                await self._send_all(to_send, report)
                full = report.claimed - claimed >= self._config.batch
                if not full or self._clock.now() - started >= MAX_TICK:
                    break
            await self._remind(report)
            self._pacer.forget_idle_chats()
            return report

    async def _claim_and_decide(self, report: TickReport) -> list[Job]:
        now = self._clock.now()
        async with self._db.session() as session:
            given_up = await deliveries.reclaim_expired(session=session, now=now)
            await deliveries.plan_after_failures(
                session=session, ids=given_up, library=self._library
            )
            report.unknown += len(given_up)
            ids = await deliveries.claim_due(
                session=session, now=now, limit=self._config.batch, lease=LEASE
            )
            jobs = await deliveries.load_jobs(session=session, ids=ids)
        report.claimed += len(jobs)
        to_send = []
        async with self._db.session() as session:
            for job in jobs:
                decision, until = deliveries.triage(job, now, grace=self._config.grace)
                if decision is Decision.SEND:
                    to_send.append(job)
                    continue
                report.decided[decision.value] = report.decided.get(decision.value, 0) + 1
                await deliveries.settle_decision(
                    session=session, job=job, decision=decision, until=until,
                    library=self._library,
                )  # fmt: skip
        return to_send

    async def _send_all(self, jobs: list[Job], report: TickReport) -> None:
        # Jobs come ordered by due time and assignment, so a couple's two partners are
        # next to each other and get a shared exercise within moments of each other.
        queue: asyncio.Queue[Job] = asyncio.Queue()
        for job in jobs:
            queue.put_nowait(job)

        async def worker() -> None:
            while not queue.empty():
                await self._send_one(queue.get_nowait(), report)

        # A TaskGroup, not gather: if one send's bookkeeping fails, the other sends stop
        # too, and their leases (not a half-finished tick) decide what happens next.
        async with asyncio.TaskGroup() as group:
            for _ in range(min(self._config.concurrency, len(jobs))):
                group.create_task(worker())

    async def _send_one(self, job: Job, report: TickReport) -> None:
        rendered = messages.exercise_message(job, self._library)
        if rendered is None:
            result = SendResult(Outcome.FAILED, error="exercise or set no longer in the library")
        else:
            await self._pacer.slot(job.partner.telegram_id)
            result = await sender.send(self._bot, job.partner.telegram_id, *rendered)
        if result.outcome is Outcome.RETRY and result.retry_after:
            self._pacer.retry_after(result.retry_after)
        async with self._db.session() as session:
            settled = await deliveries.settle_send(
                session=session, job=job, result=result, now=self._clock.now(),
                library=self._library, remind_after=self._config.remind_after,
                retry_backoff=RETRY_BACKOFF,
            )  # fmt: skip
        _count(report, result.outcome)
        if settled.newly_unreachable:
            await self._tell_therapist(job)

    async def _tell_therapist(self, job: Job) -> None:
        await self._pacer.slot(job.therapist.telegram_id)
        result = await sender.send(
            self._bot, job.therapist.telegram_id, messages.unreachable_notice(job)
        )
        if result.outcome is not Outcome.SENT:
            logger.warning("could not tell therapist %s: %s", job.therapist.id, result.error)

    async def _remind(self, report: TickReport) -> None:
        now = self._clock.now()
        async with self._db.session() as session:
            ids = await reminders.claim_due(session=session, now=now, limit=self._config.batch)
            jobs = await deliveries.load_jobs(session=session, ids=ids)
            to_send = []
            for job in jobs:
                decision, until = await reminders.decide(session=session, job=job, now=now)
                if decision is ReminderDecision.LATER and until is not None:
                    assert job.delivery.id is not None
                    await reminders.reschedule(
                        session=session, delivery_id=job.delivery.id, at=until
                    )
                elif decision is ReminderDecision.SEND:
                    to_send.append(job)
        for job in to_send:
            rendered = messages.reminder_message(job, self._library)
            if rendered is None:
                continue
            await self._pacer.slot(job.partner.telegram_id)
            result = await sender.send(
                self._bot, job.partner.telegram_id, *rendered,
                reply_to=job.delivery.telegram_message_id,
            )  # fmt: skip
            assert job.delivery.id is not None
            async with self._db.session() as session:
                if result.outcome is Outcome.SENT:
                    await reminders.mark_reminded(session=session, delivery_id=job.delivery.id)
                    report.reminders += 1
                elif result.outcome is Outcome.RETRY:
                    # A reminder is a courtesy: one more try later, never a pile-up.
                    self._pacer.retry_after(result.retry_after)
                    wait = timedelta(seconds=result.retry_after) or RETRY_BACKOFF
                    await reminders.reschedule(
                        session=session, delivery_id=job.delivery.id, at=now + wait
                    )


def _count(report: TickReport, outcome: Outcome) -> None:
    if outcome is Outcome.SENT:
        report.sent += 1
    elif outcome is Outcome.RETRY:
        report.retried += 1
    elif outcome is Outcome.UNKNOWN:
        report.unknown += 1
    else:
        report.failed += 1
