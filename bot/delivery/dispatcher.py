"""The dispatcher: every few seconds, claim what is due, decide, send paced, record.

Driven by PTB's JobQueue (APScheduler). Each tick claims at most what it can send
within its interval at the configured rate, so ticks do not pile up, and its cost
follows the number of deliveries due (an indexed query), not the number of couples.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from telegram import Bot

from bot.clock import Clock
from bot.db.engine import Database
from bot.db.models import NoticeKind
from bot.delivery import messages, sender
from bot.delivery.notices import NoticeOutcome, NoticeSender
from bot.delivery.send_starts import SendStarts
from bot.library import Library
from bot.services import deliveries, reminders
from bot.services.deliveries import Decision, Job, Outcome, SendResult
from bot.services.pacing import Pacer
from bot.services.reminders import ReminderDecision

logger = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)  # how long a claim is this process's, unless it records first
RETRY_BACKOFF = timedelta(seconds=30)
MAX_TICK = timedelta(seconds=60)  # a tick stops claiming more after this, to send reminders
# Most send results recorded in one transaction (see `Dispatcher._record_all`). It bounds
# how long one transaction holds SQLite's write lock; it does not shorten the time an
# answer waits to be recorded (a smaller cap would leave the rest waiting in the queue).
SETTLE_GROUP = 100


@dataclass(frozen=True, slots=True)
class DispatchConfig:
    batch: int = 50
    grace: timedelta = timedelta(hours=6)
    remind_after: timedelta | None = timedelta(hours=6)
    # Sends in flight at once. Telegram's latency makes 25 msg/s impossible one at a
    # time; the cost is that sends already in flight when a 429 arrives cannot be
    # recalled (the pacer keeps under the limits, so 429s are the exception).
    concurrency: int = 16
    # After a crash, claimed rows wait this long before another tick takes them back.
    lease: timedelta = LEASE


@dataclass(slots=True)
class TickReport:
    claimed: int = 0
    sent: int = 0
    decided: dict[str, int] = field(default_factory=dict)
    retried: int = 0
    unknown: int = 0
    failed: int = 0
    reminders: int = 0
    notices: int = 0  # notices from the outbox sent on a retry


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
        notices: NoticeSender,
    ) -> None:
        self._db, self._library, self._clock = database, library, clock
        self._bot, self._pacer, self._config = bot, pacer, config
        self._notices = notices
        self._lock = asyncio.Lock()  # a slow tick must never overlap the next one
        self._starts = SendStarts(database=database, clock=clock)

    async def tick(self) -> TickReport:
        """Do one round of work; safe while other processes run their own dispatchers."""
        async with self._lock:
            report = TickReport()
            started = self._clock.now()
            # More waiting after a full batch: claim again at once rather than at the
            # next tick. The JobQueue skips a run that falls while a tick is still going,
            # so with one batch per tick a backlog was sent at ~55% of the rate (a batch
            # takes the whole interval to send, the claim makes it overrun, the next run
            # is skipped). Bounded, so reminders are never put off for long.
            await self._send_batches(started, report)
            await self._remind(report)
            report.notices += await self._notices.drain(self._bot)
            self._pacer.forget_idle_chats()
            return report

    async def _claim_and_decide(self, report: TickReport) -> tuple[list[Job], bool]:
        """Claim and triage one batch; also say whether more is due after it."""
        now = self._clock.now()
        async with self._db.session() as session:
            await deliveries.reclaim_expired(session=session, now=now)
            ids = await deliveries.claim_due(
                session=session, now=now, limit=self._config.batch, lease=self._config.lease
            )
            # Only a full batch can leave more behind; one indexed probe answers it, where
            # claiming again would cost a whole (empty) transaction.
            more = len(ids) >= self._config.batch and await deliveries.any_due(
                session=session, now=now
            )
            jobs = await deliveries.load_jobs(session=session, ids=ids)
        report.claimed += len(jobs)
        to_send, decided = [], []
        for job in jobs:
            decision, until = deliveries.triage(job, now, grace=self._config.grace)
            if decision is Decision.SEND:
                to_send.append(job)
                continue
            report.decided[decision.value] = report.decided.get(decision.value, 0) + 1
            decided.append((job, decision, until))
        if decided:
            async with self._db.session() as session:
                await deliveries.settle_decisions(
                    session=session, decided=decided, library=self._library
                )
        return to_send, more

    async def _send_batches(self, started: datetime, report: TickReport) -> None:
        """Claim and send batch after batch while a full one leaves more behind.

        A batch's sends overlap the next batch's claim and the previous batch's last
        sends and recording: the pacer does not bank unused slots, so every moment
        with nothing ready to send was rate lost (about 5% with two instances at
        12.5/s, docs/performance.md section 5). If a send fails, a batch claimed
        meanwhile goes back to the queue when its lease expires.
        """
        sending: list[asyncio.Task[None]] = []
        try:
            to_send, more = await self._claim_and_decide(report)
            while True:
                drained = asyncio.Event()
                sending.append(asyncio.ensure_future(self._send_all(to_send, report, drained)))
                if not more or self._clock.now() - started >= MAX_TICK:
                    break
                await drained.wait()  # every job of this batch has its sender
                if any(t.done() and t.exception() is not None for t in sending):
                    break  # a batch failed: claim no more, the error ends the tick
                to_send, more = await self._claim_and_decide(report)
        finally:
            outcomes = await asyncio.gather(*sending, return_exceptions=True)
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                raise outcome

    async def _send_all(self, jobs: list[Job], report: TickReport, drained: asyncio.Event) -> None:
        """Send `jobs` paced and record the outcomes; set `drained` once all are taken."""
        try:
            await self._send_and_record(jobs, report, drained)
        finally:
            drained.set()  # also when there was nothing to send, or sending failed

    async def _send_and_record(
        self, jobs: list[Job], report: TickReport, drained: asyncio.Event
    ) -> None:
        if not jobs:
            return
        # Jobs come ordered by due time and assignment, so a couple's two partners are
        # next to each other and get a shared exercise within moments of each other.
        queue: asyncio.Queue[Job] = asyncio.Queue()
        for job in jobs:
            queue.put_nowait(job)
        finished: asyncio.Queue[tuple[Job, SendResult] | None] = asyncio.Queue()

        async def worker() -> None:
            while not queue.empty():
                job = queue.get_nowait()
                if queue.empty():
                    drained.set()  # every job has a sender: time to claim the next batch
                result = await self._send_one(job)
                if result is not None:
                    finished.put_nowait((job, result))

        # Senders hand their results to one recorder, which writes them in groups (see
        # `_record_all`). A TaskGroup, not gather: if recording fails, the sends stop too,
        # and the leases (not a half-finished tick) decide what happens to those rows.
        # If a send fails, what already finished is still recorded before the error
        # propagates, so a bug in one message never turns others into unknown outcomes.
        send_error: Exception | None = None
        async with asyncio.TaskGroup() as group:
            group.create_task(self._record_all(finished, report, group))
            try:
                async with asyncio.TaskGroup() as senders:
                    for _ in range(min(self._config.concurrency, len(jobs))):
                        senders.create_task(worker())
            except Exception as error:  # an ExceptionGroup from the senders
                send_error = error
            finally:
                finished.put_nowait(None)  # nothing more will come
        if send_error is not None:
            raise send_error

    async def _send_one(self, job: Job) -> SendResult | None:
        """Send one claimed delivery; None if its claim was lost before it could start."""
        rendered = messages.exercise_message(job, self._library)
        if rendered is None:
            return SendResult(Outcome.FAILED, error="exercise or set no longer in the library")
        await self._pacer.slot(job.partner.telegram_id)
        # Durably "started" only now, once it is this send's turn: a crash before this
        # leaves the row never attempted (due again, not an unknown outcome).
        assert job.delivery.id is not None and job.delivery.lease_until is not None
        if not await self._starts.start(job.delivery.id, job.delivery.lease_until):
            return None  # reclaimed after a stall past the lease: another claim sends it
        result = await sender.send(self._bot, job.partner.telegram_id, *rendered)
        if result.outcome is Outcome.RETRY and result.retry_after:
            self._pacer.retry_after(result.retry_after)
        return result

    async def _record_all(
        self,
        finished: asyncio.Queue[tuple[Job, SendResult] | None],
        report: TickReport,
        group: asyncio.TaskGroup,
    ) -> None:
        """Record send results in groups: whatever finished while the last group was written.

        A group commit: each durable commit costs milliseconds, so one per send made a
        burst of 100 sends cost a second. Nothing waits to fill a group: when sends are
        paced apart, each is recorded alone as soon as it is answered; in a burst, what
        piled up during one commit goes into the next (at most SETTLE_GROUP). A result
        waiting here is a send whose outcome the database does not know yet, exactly as
        when a process dies between send and record: its lease brings it back as an
        unknown outcome (docs/delivery.md, "Recording in groups").
        """
        done = False
        while not done:
            group_results: list[tuple[Job, SendResult]] = []
            item = await finished.get()
            while item is not None:
                group_results.append(item)
                if len(group_results) >= SETTLE_GROUP or finished.empty():
                    break
                item = finished.get_nowait()
            done = item is None
            if not group_results:
                continue
            async with self._db.session() as session:
                newly_unreachable = await deliveries.settle_send(
                    session=session, results=group_results, now=self._clock.now(),
                    library=self._library, remind_after=self._config.remind_after,
                    retry_backoff=RETRY_BACKOFF,
                )  # fmt: skip
            for _job, result in group_results:
                _count(report, result.outcome)
            for job in newly_unreachable:
                group.create_task(self._tell_therapist(job))

    async def _tell_therapist(self, job: Job) -> None:
        # Through the outbox: a 502 now is retried, not lost (the digest was the only
        # other place the therapist would have learnt it).
        outcome = await self._notices.deliver(
            self._bot, job.therapist.telegram_id, messages.unreachable_notice(job),
            kind=NoticeKind.UNREACHABLE, paced=True,
        )  # fmt: skip
        if outcome is not NoticeOutcome.SENT:
            logger.warning("therapist %s not told yet: %s", job.therapist.id, outcome.value)

    async def _remind(self, report: TickReport) -> None:
        now = self._clock.now()
        async with self._db.session() as session:
            ids = await reminders.claim_due(session=session, now=now, limit=self._config.batch)
            jobs = await deliveries.load_jobs(session=session, ids=ids)
            arrived = await reminders.next_items_arrived(
                session=session, deliveries=[job.delivery for job in jobs]
            )
            to_send, later = [], {}
            for job in jobs:
                assert job.delivery.id is not None
                decision, until = reminders.decide(
                    job, now, next_arrived=job.delivery.id in arrived
                )
                if decision is ReminderDecision.LATER and until is not None:
                    later[job.delivery.id] = until
                elif decision is ReminderDecision.SEND:
                    to_send.append(job)
            await reminders.reschedule(session=session, at=later)
        # The claim already took each reminder (remind_at cleared), so a crash before the
        # record below can only drop a reminder, never repeat one: recording the group
        # once at the end is as safe as one transaction per reminder, and cheaper.
        reminded, retry = [], {}
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
            if result.outcome is Outcome.SENT:
                reminded.append(job.delivery.id)
            elif result.outcome is Outcome.RETRY:
                # A reminder is a courtesy: one more try later, never a pile-up.
                self._pacer.retry_after(result.retry_after)
                wait = timedelta(seconds=result.retry_after) or RETRY_BACKOFF
                retry[job.delivery.id] = now + wait
        report.reminders += len(reminded)
        if reminded or retry:
            async with self._db.session() as session:
                await reminders.mark_reminded(session=session, ids=reminded)
                await reminders.reschedule(session=session, at=retry)


def _count(report: TickReport, outcome: Outcome) -> None:
    if outcome is Outcome.SENT:
        report.sent += 1
    elif outcome is Outcome.RETRY:
        report.retried += 1
    elif outcome is Outcome.UNKNOWN:
        report.unknown += 1
    else:
        report.failed += 1
