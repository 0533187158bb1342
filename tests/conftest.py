"""Shared fixtures: databases on every configured backend, a clock, the bot under test."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.clock import ManualClock
from bot.context import TwofoldApp
from bot.db.engine import Database
from tests import dbtemplates, e2e
from tests.fakebotapi import FakeTelegram, RateLimits, Window

# PTB: report retry_after as a timedelta (the coming default) instead of warning.
os.environ.setdefault("PTB_TIMEDELTA", "true")

START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # a Monday


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return dbtemplates.make_sqlite_template(tmp_path_factory.mktemp("sqlite-template"))


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str | None]:
    admin = dbtemplates.postgres_admin_url()
    if admin is None:
        yield None
        return
    name = dbtemplates.make_postgres_template(admin)
    yield name
    dbtemplates.drop_postgres_sync(admin, name)


@pytest.fixture(params=dbtemplates.backends())
async def database_url(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    sqlite_template: Path,
    postgres_template: str | None,
) -> AsyncIterator[str]:
    """A migrated, empty database of its own for this test, on each backend."""
    if request.param == "sqlite":
        yield dbtemplates.clone_sqlite(sqlite_template, tmp_path)
        return
    admin = dbtemplates.postgres_admin_url()
    assert admin is not None and postgres_template is not None
    url = await dbtemplates.clone_postgres(admin, postgres_template)
    yield url
    await dbtemplates.drop_postgres(admin, url)


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    db = Database(database_url)
    yield db
    await db.dispose()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    """A fake Telegram Bot API server on loopback."""
    # Telegram's global limit stays on. The per-chat window is widened because a flow
    # step legitimately sends a burst (edit, notice, next prompt) and Telegram tolerates
    # short bursts; the delivery tests exercise strict limits and 429s on purpose.
    limits = RateLimits(private_chat=Window(30, 1.0))
    async with FakeTelegram(token=e2e.TOKEN, rate_limits=limits) as fake:
        yield fake


@pytest.fixture
async def bot(
    tg: FakeTelegram, database_url: str, clock: ManualClock, tmp_path: Path
) -> AsyncIterator[TwofoldApp]:
    """The real bot, polling the fake server, on a fresh database."""
    async with e2e.running_bot(e2e.settings_for(tg, database_url, tmp_path), clock) as app:
        yield app
