"""Every repeating job of the bot, registered in one place (PTB's JobQueue, APScheduler).

`schedule` is called once from `post_init` (bot/app.py). Each job is small: the work lives
in the engine or the services it calls. Jobs that can overlap a slow previous run are
`max_instances=1, coalesce=True`: a late run is skipped, never stacked.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from telegram.ext import JobQueue

from bot import heartbeat
from bot.config import Settings
from bot.context import TwofoldContext
from bot.handlers import guards
from bot.handlers.digest import DIGEST_EVERY_SECONDS, send_digests
from bot.services import retention

logger = logging.getLogger(__name__)

_ONE_AT_A_TIME = {"max_instances": 1, "coalesce": True}


def schedule(job_queue: JobQueue[TwofoldContext], settings: Settings) -> None:
    """Register the repeating jobs that `settings` turns on."""
    # Beat now, then repeat: APScheduler never fires a job whose `first` is 0.
    heartbeat.beat(settings.heartbeat_file, datetime.now(UTC))
    job_queue.run_repeating(beat, interval=heartbeat.INTERVAL, name="heartbeat")
    if settings.dispatch_interval_seconds:
        job_queue.run_repeating(
            dispatch,
            interval=settings.dispatch_interval_seconds,
            first=settings.dispatch_interval_seconds,
            name="dispatcher",
            job_kwargs=_ONE_AT_A_TIME,
        )
    # The weekly digest: every few minutes, send those whose local time has come (a claim
    # per week makes restarts and replicas harmless; bot/handlers/digest.py).
    job_queue.run_repeating(
        send_digests,
        interval=DIGEST_EVERY_SECONDS,
        first=DIGEST_EVERY_SECONDS,
        name="digest",
        job_kwargs=_ONE_AT_A_TIME,
    )
    if settings.retention_days:
        job_queue.run_repeating(
            purge_old_text,
            interval=retention.INTERVAL,
            first=60,  # soon after start, then hourly
            name="retention",
            job_kwargs=_ONE_AT_A_TIME,
        )
    # Replay protection remembers update ids; forget them once no replay can matter.
    job_queue.run_repeating(
        guards.forget_old_updates,
        interval=guards.FORGET_EVERY,
        first=timedelta(minutes=1),
        name="forget-processed-updates",
    )


async def dispatch(context: TwofoldContext) -> None:
    """Send what is due (bot/delivery/dispatcher.py)."""
    await context.services.dispatcher.tick()


async def beat(context: TwofoldContext) -> None:
    """Refresh the heartbeat file the container health check reads."""
    # Wall-clock time on purpose: the health check compares it with the real now.
    heartbeat.beat(context.services.settings.heartbeat_file, datetime.now(UTC))


async def purge_old_text(context: TwofoldContext) -> None:
    """Erase answer text older than RETENTION_DAYS (bot/services/retention.py)."""
    services = context.services
    assert services.settings.retention_days is not None
    async with services.database.session() as session:
        purged = await retention.purge(
            session=session, now=services.clock.now(), days=services.settings.retention_days
        )
    if purged:
        logger.info("retention: erased the text of %d old answer(s)", purged)
