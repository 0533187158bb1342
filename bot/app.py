"""Wires the application: settings, database, handlers and jobs in one place."""

from __future__ import annotations

import logging
import math
from datetime import timedelta

from telegram import Bot, LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.ext import ApplicationBuilder, ContextTypes, Defaults
from telegram.request import HTTPXRequest

from bot import jobs
from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.context import BotData, Services, TwofoldApp, TwofoldContext
from bot.db.engine import Database
from bot.delivery.dispatcher import DispatchConfig, Dispatcher
from bot.delivery.flood_wait import FloodWaitShare
from bot.delivery.limiter import SharedLimiter
from bot.delivery.notices import NoticeSender
from bot.handlers import register
from bot.handlers.menu import publish_default_menus, publish_profile
from bot.library import Library, load_library
from bot.services.pacing import Pacer
from bot.update_processor import PerPersonOrder

logger = logging.getLogger(__name__)

CONTEXT_TYPES = ContextTypes(context=TwofoldContext, bot_data=BotData)
REPLY_RETRIES = 3
# Every update type a handler is registered for (bot/handlers/__init__.py), and no other:
# Telegram drops the rest before the bot sees them. tests/test_allowed_updates.py checks
# that the two agree, and the e2e harness polls with exactly this list.
ALLOWED_UPDATES = [
    Update.MESSAGE,
    Update.EDITED_MESSAGE,
    Update.CALLBACK_QUERY,
    Update.MY_CHAT_MEMBER,
]


def load_exercises(settings: Settings) -> Library:
    """Load the library; a broken built-in raises, broken operator files are skipped."""
    result = load_library(settings.exercises_dir)
    for problem in result.warnings:
        logger.warning("skipped an operator exercise file: %s", problem)
    return result.library


def dispatch_config(settings: Settings) -> DispatchConfig:
    interval = settings.dispatch_interval_seconds or 2.0
    remind = settings.reminder_after_hours
    return DispatchConfig(
        # Claim what can be sent before the next tick: ticks never pile up. An even
        # number, because claims come a couple at a time (the partners' rows are next
        # to each other): an odd batch split a couple across two batches, which two
        # instances may send seconds apart (docs/performance.md, section 5).
        batch=2 * max(1, math.ceil(settings.delivery_rate * interval / 2)),
        grace=timedelta(hours=settings.delivery_grace_hours),
        remind_after=timedelta(hours=remind) if remind else None,
        lease=timedelta(seconds=settings.delivery_lease_seconds),
    )


def build_application(
    settings: Settings,
    *,
    clock: Clock | None = None,
    library: Library | None = None,
    pacer: Pacer | None = None,
) -> TwofoldApp:
    """Build the bot; services start in `post_init` and close in `post_shutdown`."""
    clock = clock or SystemClock()
    library = library or load_exercises(settings)
    crypto = settings.crypto_box()
    # One pacer per process for every message it sends (Telegram counts them together):
    # the dispatcher's broadcast at DELIVERY_RATE, replies to people ahead of it.
    pacer = pacer or Pacer(settings.delivery_rate)
    # Scheduled messages go through their own Bot and connection pool, so a broadcast's
    # requests in flight never hold the connections replies to people need.
    dispatch_bot = Bot(
        settings.token,
        base_url=settings.telegram_api_base_url,
        base_file_url=settings.telegram_api_file_url,
        request=HTTPXRequest(connection_pool_size=32, read_timeout=15),
    )

    async def post_init(app: TwofoldApp) -> None:
        database = Database(settings.database_url)
        await dispatch_bot.initialize()
        # Several instances on PostgreSQL: a 429 to one makes all of them wait.
        flood_waits = FloodWaitShare(database, pacer, clock)
        await flood_waits.start()
        notices = NoticeSender(database=database, crypto=crypto, clock=clock, pacer=pacer)
        dispatcher = Dispatcher(
            database=database,
            library=library,
            clock=clock,
            bot=dispatch_bot,
            pacer=pacer,
            config=dispatch_config(settings),
            notices=notices,
        )
        app.bot_data.services = Services(
            settings=settings,
            database=database,
            clock=clock,
            library=library,
            dispatcher=dispatcher,
            crypto=crypto,
            flood_waits=flood_waits,
            notices=notices,
        )
        await publish_default_menus(app.bot)
        await publish_profile(app.bot)
        assert app.job_queue is not None
        jobs.schedule(app.job_queue, settings)  # every repeating job: bot/jobs.py
        logger.info("Twofold is running as @%s", app.bot.username)

    async def post_shutdown(app: TwofoldApp) -> None:
        await dispatch_bot.shutdown()
        if app.bot_data.services is not None:
            await app.bot_data.services.flood_waits.stop()
            await app.bot_data.services.database.dispose()

    app: TwofoldApp = (
        ApplicationBuilder()
        .token(settings.token)
        .base_url(settings.telegram_api_base_url)
        .base_file_url(settings.telegram_api_file_url)
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        )
        .context_types(CONTEXT_TYPES)
        # Replies to a person take their slots from the same pacer as the broadcast, ahead
        # of it, and wait out a 429 (the whole process waits) instead of failing the
        # handler; answering a button press never waits (bot/delivery/limiter.py).
        .rate_limiter(SharedLimiter(pacer, clock=clock, max_retries=REPLY_RETRIES))
        # Different people's updates at once, each person's in order: one reply waiting
        # for its slot must not hold up everyone's button presses (bot/update_processor.py).
        .concurrent_updates(PerPersonOrder())
        .post_init(post_init)
        .post_shutdown(post_shutdown)
        .build()
    )
    register(app)
    return app
