"""End-to-end harness: the real Application, polling the fake Bot API over real HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from bot.app import ALLOWED_UPDATES, build_application
from bot.clock import Clock
from bot.config import Settings
from bot.context import TwofoldApp
from bot.services.pacing import Pacer
from tests.fakebotapi import FakeTelegram

TOKEN = "123456:TEST-token-never-logged"


def settings_for(tg: FakeTelegram, database_url: str, tmp_path: Path, **extra: object) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        telegram_bot_token=TOKEN,
        database_url=database_url,
        telegram_api_base_url=tg.base_url,
        telegram_api_file_url=tg.base_file_url,
        heartbeat_file=tmp_path / "heartbeat",
        encryption_key_file=tmp_path / "twofold.key",
        # Tests tick the dispatcher themselves, at the moments they choose.
        dispatch_interval_seconds=0,
        **extra,
    )


@asynccontextmanager
async def running_bot(settings: Settings, clock: Clock) -> AsyncIterator[TwofoldApp]:
    """Run the bot as `twofold run` does, minus the signal handling.

    `run_polling` is what calls post_init/post_shutdown; driving the lifecycle by
    hand means calling them here, in the same order.
    """
    # No per-chat spacing here: the fake these tests talk to allows bursts per chat
    # (conftest.py), and at 1.1 s per extra message in a chat the suite ran four times
    # as long in real time. The spacing itself is tested in virtual time (test_pacing,
    # test_limiter, test_delivery_engine) and measured in benchmarks/.
    pacer = Pacer(settings.delivery_rate, per_chat_interval=0.0)
    app = build_application(settings, clock=clock, pacer=pacer)
    async with app:
        assert app.post_init is not None and app.post_shutdown is not None
        await app.post_init(app)
        await app.start()
        assert app.updater is not None
        # The production update types, exactly: the fake drops the others, as Telegram does.
        await app.updater.start_polling(
            poll_interval=0.0, timeout=1, allowed_updates=ALLOWED_UPDATES
        )
        try:
            yield app
        finally:
            await app.updater.stop()
            await app.stop()
    await app.post_shutdown(app)
