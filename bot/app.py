"""Wires the application: settings, database, handlers and jobs in one place."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from telegram import LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.ext import AIORateLimiter, ApplicationBuilder, ContextTypes, Defaults

from bot import heartbeat
from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.context import BotData, Services, TwofoldApp, TwofoldContext
from bot.db.engine import Database
from bot.handlers import register
from bot.handlers.menu import publish_default_menus
from bot.library import Library, load_library

logger = logging.getLogger(__name__)

CONTEXT_TYPES = ContextTypes(context=TwofoldContext, bot_data=BotData)
REPLY_RETRIES = 3
ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY, Update.MY_CHAT_MEMBER]


def load_exercises(settings: Settings) -> Library:
    """Load the library; a broken built-in raises, broken operator files are skipped."""
    result = load_library(settings.exercises_dir)
    for problem in result.warnings:
        logger.warning("skipped an operator exercise file: %s", problem)
    return result.library


def build_application(
    settings: Settings, *, clock: Clock | None = None, library: Library | None = None
) -> TwofoldApp:
    """Build the bot; services start in `post_init` and close in `post_shutdown`."""
    clock = clock or SystemClock()
    library = library or load_exercises(settings)

    async def post_init(app: TwofoldApp) -> None:
        app.bot_data.services = Services(
            settings=settings,
            database=Database(settings.database_url),
            clock=clock,
            library=library,
        )
        await publish_default_menus(app.bot)
        # Beat now, then repeat: APScheduler never fires a job whose `first` is 0.
        heartbeat.beat(settings.heartbeat_file, datetime.now(UTC))
        assert app.job_queue is not None
        app.job_queue.run_repeating(_beat, interval=heartbeat.INTERVAL, name="heartbeat")
        logger.info("Twofold is running as @%s", app.bot.username)

    async def post_shutdown(app: TwofoldApp) -> None:
        if app.bot_data.services is not None:
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
        # Replies to a person: wait out a 429 and retry instead of failing the handler.
        # Scheduled deliveries are paced by the dispatcher itself, below Telegram's limits.
        .rate_limiter(AIORateLimiter(max_retries=REPLY_RETRIES))
        .post_init(post_init)
        .post_shutdown(post_shutdown)
        .build()
    )
    register(app)
    return app


async def _beat(context: TwofoldContext) -> None:
    """Refresh the heartbeat file the container health check reads."""
    # Wall-clock time on purpose: the health check compares it with the real now.
    heartbeat.beat(context.services.settings.heartbeat_file, datetime.now(UTC))
