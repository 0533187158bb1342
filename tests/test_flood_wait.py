"""A 429 to one instance makes every instance on the same PostgreSQL database wait."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import text

from bot.clock import ManualClock
from bot.db.engine import Database
from bot.delivery.flood_wait import FloodWaitShare
from bot.services.pacing import Pacer


class HearingPacer(Pacer):
    """A pacer that says when it has heard of another instance's flood wait."""

    def __init__(self) -> None:
        super().__init__(25)
        self.heard = asyncio.Event()

    def retry_after(self, seconds: float, *, tell: bool = True) -> None:
        super().retry_after(seconds, tell=tell)
        if not tell:
            self.heard.set()


class Instance:
    """One bot process as far as flood waits go: a pacer and its share."""

    def __init__(self, database_url: str, clock: ManualClock) -> None:
        self.database = Database(database_url)
        self.pacer = HearingPacer()
        self.share = FloodWaitShare(self.database, self.pacer, clock)

    async def close(self) -> None:
        await self.share.stop()
        await self.database.dispose()


@pytest.fixture
async def instances(database_url: str, clock: ManualClock) -> AsyncIterator[list[Instance]]:
    pair = [Instance(database_url, clock), Instance(database_url, clock)]
    for instance in pair:
        await instance.share.start()
    yield pair
    for instance in pair:
        await instance.close()


async def test_a_429_to_one_instance_holds_the_other_for_the_same_moment(
    instances: list[Instance], database_url: str
) -> None:
    first, second = instances
    first.pacer.retry_after(30)

    if database_url.startswith("sqlite"):
        # One process by nature: nothing to share, and nothing breaks for lack of it.
        assert second.share._driver is None and second.pacer.blocked_for() == 0
        return
    await asyncio.wait_for(second.pacer.heard.wait(), timeout=10)  # real I/O, not time
    assert 29 < second.pacer.blocked_for() <= 30
    assert not first.pacer.heard.is_set()  # its own notice came back, and was ignored


async def test_notices_that_are_not_believable_change_nothing(
    database_url: str, clock: ManualClock
) -> None:
    instance = Instance(database_url, clock)
    try:
        now = clock.now().timestamp()
        for payload in [
            "not json",
            json.dumps({"until": now + 30}),  # no sender
            json.dumps({"from": "other", "until": "soon"}),
            json.dumps({"from": "other", "until": now - 5}),  # already over
            json.dumps({"from": "other", "until": now + timedelta(days=2).total_seconds()}),
        ]:
            instance.share._heard(None, 0, "twofold_flood_wait", payload)
        assert instance.pacer.blocked_for() == 0

        instance.share._heard(None, 0, "", json.dumps({"from": "other", "until": now + 10}))
        assert 9 < instance.pacer.blocked_for() <= 10
    finally:
        await instance.close()


async def test_an_instance_listens_again_after_losing_its_connection(
    database_url: str, clock: ManualClock
) -> None:
    if database_url.startswith("sqlite"):
        return  # nothing to lose: SQLite shares nothing
    first, second = Instance(database_url, clock), Instance(database_url, clock)
    second.share = FloodWaitShare(second.database, second.pacer, clock, retry_every=0.01)
    try:
        await first.share.start()
        await second.share.start()
        pid = second.share._driver.get_server_pid()
        async with first.database.session() as session:  # a database restart, in small
            await session.exec(text("SELECT pg_terminate_backend(:pid)").bindparams(pid=pid))  # type: ignore[call-overload]

        await asyncio.wait_for(second.share.relistened.wait(), timeout=10)
        first.pacer.retry_after(30)
        await asyncio.wait_for(second.pacer.heard.wait(), timeout=10)
        assert 29 < second.pacer.blocked_for() <= 30
    finally:
        await first.close()
        await second.close()
