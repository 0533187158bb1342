"""Wires the application: settings, database, handlers and jobs in one place."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from telegram import LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.ext import ApplicationBuilder, ContextTypes, Defaults

from bot import heartbeat
from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.context import BotData, Services, TwofoldApp, TwofoldContext
from bot.db.engine import Database
from bot.handlers import register
from bot.handlers.menu import publish_default_menus

logger = logging.getLogger(__name__)

CONTEXT_TYPES = ContextTypes(context=TwofoldContext, bot_data=BotData)
ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY, Update.MY_CHAT_MEMBER]


def build_application(settings: Settings, *, clock: Clock | None = None) -> TwofoldApp:
    """Build the bot; services start in `post_init` and close in `post_shutdown`."""
    clock = clock or SystemClock()

    async def post_init(app: TwofoldApp) -> None:
        app.bot_data.services = Services(
            settings=settings, database=Database(settings.database_url), clock=clock
        )
        await publish_default_menus(app.bot)
        assert app.job_queue is not None
        app.job_queue.run_repeating(_beat, interval=heartbeat.INTERVAL, first=0, name="heartbeat")
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
