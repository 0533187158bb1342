"""Shutting down on PostgreSQL logs nothing: no pending task, no coroutine left unawaited."""

from __future__ import annotations

import asyncio
import gc
import logging
import warnings

import pytest

from bot.clock import ManualClock
from bot.db.engine import Database
from bot.delivery.flood_wait import FloodWaitShare
from bot.services.pacing import Pacer
from tests import dbtemplates
from tests.conftest import START


async def _start_and_stop(url: str) -> None:
    database = Database(url)
    share = FloodWaitShare(database, Pacer(25), ManualClock(START), retry_every=0.01)
    await share.start()
    await share.stop()
    await database.dispose()  # the pool now closes the connection the share listened on


@pytest.mark.skipif(not dbtemplates.postgres_admin_url(), reason="needs TEST_DATABASE_URL")
def test_stop_then_dispose_on_postgres_leaves_nothing_behind(
    postgres_template: str | None, caplog: pytest.LogCaptureFixture
) -> None:
    admin = dbtemplates.postgres_admin_url()
    assert admin is not None and postgres_template is not None
    url = asyncio.run(dbtemplates.clone_postgres(admin, postgres_template))
    try:
        with warnings.catch_warnings(record=True) as caught, caplog.at_level(logging.DEBUG):
            warnings.simplefilter("always")
            # A loop of its own, closed without cancelling what is left, as PTB's is.
            loop = asyncio.new_event_loop()
            loop.run_until_complete(_start_and_stop(url))
            loop.close()
            gc.collect()  # a destroyed pending task and an unawaited coroutine report here
    finally:
        asyncio.run(dbtemplates.drop_postgres(admin, url))

    messages = [r.getMessage() for r in caplog.records] + [str(w.message) for w in caught]
    assert not [m for m in messages if "destroyed but it is pending" in m], messages
    assert not [m for m in messages if "never awaited" in m], messages
    assert not [r for r in caplog.records if "lost the connection" in r.getMessage()]
