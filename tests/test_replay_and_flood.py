"""At most once per update (both backends) and the per-user flood gate, as services."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlmodel import select

from bot.db.engine import Database
from bot.db.models import ProcessedUpdate
from bot.services import updates
from bot.services.flood import FloodGate, Verdict
from tests.conftest import START

pytestmark = pytest.mark.postgres


async def test_an_update_id_is_first_only_once(database: Database) -> None:
    async with database.session() as session:
        assert await updates.first_time(session=session, update_id=42, now=START)
        assert not await updates.first_time(session=session, update_id=42, now=START)
    async with database.session() as session:  # and across transactions
        assert not await updates.first_time(session=session, update_id=42, now=START)
        assert await updates.first_time(session=session, update_id=43, now=START)
        assert await updates.first_time(session=session, update_id=2**40, now=START)


async def test_two_racing_copies_of_an_update_have_exactly_one_winner(
    database: Database,
) -> None:
    async def claim() -> bool:
        async with database.session() as session:
            return await updates.first_time(session=session, update_id=99, now=START)

    results = await asyncio.gather(*(claim() for _ in range(8)))
    assert sorted(results) == [False] * 7 + [True]


async def test_old_ids_are_forgotten_recent_ones_kept(database: Database) -> None:
    async with database.session() as session:
        await updates.first_time(session=session, update_id=1, now=START - timedelta(days=8))
        await updates.first_time(session=session, update_id=2, now=START - timedelta(days=1))
    async with database.session() as session:
        gone = await updates.forget_before(session=session, cutoff=START - updates.REMEMBER_FOR)
        left = (await session.exec(select(ProcessedUpdate.update_id))).all()
    assert gone == 1
    assert list(left) == [2]


def test_a_burst_passes_then_the_user_is_told_once_and_muted_until_a_pause() -> None:
    gate = FloodGate(burst=5, per_second=1.0, quiet=timedelta(seconds=10))
    now = START
    assert [gate.admit(1, now) for _ in range(5)] == [Verdict.ADMIT] * 5
    assert gate.admit(1, now) is Verdict.NOTIFY
    # Still flooding, even slowly: every message within 10 s of the last one is dropped,
    # and the user is not told again (they already know).
    for _ in range(20):
        now += timedelta(seconds=5)
        assert gate.admit(1, now) is Verdict.DROP
    now += timedelta(seconds=10)  # a real pause ends the mute; tokens refilled meanwhile
    assert [gate.admit(1, now) for _ in range(5)] == [Verdict.ADMIT] * 5


def test_steady_use_at_the_refill_rate_is_never_limited() -> None:
    gate = FloodGate(burst=3, per_second=1.0)
    now = START
    for _ in range(200):
        assert gate.admit(1, now) is Verdict.ADMIT
        now += timedelta(seconds=1)


def test_one_users_flood_does_not_touch_another_user() -> None:
    gate = FloodGate(burst=5)
    for _ in range(50):
        gate.admit(1, START)
    assert gate.admit(1, START) is Verdict.DROP
    assert [gate.admit(2, START) for _ in range(5)] == [Verdict.ADMIT] * 5


def test_idle_users_are_forgotten_so_memory_stays_bounded() -> None:
    gate = FloodGate(burst=2, max_users=100)
    for user in range(100):
        gate.admit(user, START)
    gate.admit(1000, START + timedelta(minutes=1))  # everyone else has refilled by now
    assert gate.tracked() < 100
    flooder = FloodGate(burst=1, max_users=2)
    flooder.admit(1, START)
    assert flooder.admit(1, START) is Verdict.NOTIFY
    later = START + timedelta(seconds=5)  # user 1's token is back, but they are muted
    flooder.admit(2, later)
    flooder.admit(3, later)  # the muted user 1 is not forgotten (their mute would reset)
    assert flooder.admit(1, later) is Verdict.DROP
