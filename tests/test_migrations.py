"""Models and migrations agree, and concurrent upgrades are safe, on every backend."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

from bot.db import migrate
from bot.db.engine import create_engine
from tests import dbtemplates


@pytest.fixture(params=dbtemplates.backends())
async def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """A database with no tables at all, on each backend."""
    if request.param == "sqlite":
        yield dbtemplates.sqlite_url(tmp_path / "empty.db")
        return
    admin = dbtemplates.postgres_admin_url()
    assert admin is not None
    url = await dbtemplates.empty_postgres(admin)
    yield url
    await dbtemplates.drop_postgres(admin, url)


async def _diff(url: str) -> list[object]:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync), SQLModel.metadata)
            )
    finally:
        await engine.dispose()


async def test_upgrade_head_leaves_nothing_for_autogenerate(empty_database_url: str) -> None:
    revision = await asyncio.to_thread(migrate.upgrade, empty_database_url)

    assert revision == migrate.head_revision()
    assert await _diff(empty_database_url) == []


async def test_a_model_change_without_migration_is_detected(empty_database_url: str) -> None:
    # Guards the test above: if compare_metadata could not see differences, it would pass
    # for any schema. Drop a table behind Alembic's back and the diff must show it.
    await asyncio.to_thread(migrate.upgrade, empty_database_url)
    engine = create_engine(empty_database_url)
    async with engine.begin() as connection:
        await connection.exec_driver_sql("DROP TABLE conversation_states")
    await engine.dispose()

    diff = await _diff(empty_database_url)

    assert any(op[0] == "add_table" for op in diff if isinstance(op, tuple))


async def test_two_processes_migrating_at_once_both_succeed(empty_database_url: str) -> None:
    env = {"DATABASE_URL": empty_database_url, "PATH": "/usr/bin:/bin"}
    command = [sys.executable, "-m", "bot", "migrate"]
    procs = [
        await asyncio.create_subprocess_exec(
            *command,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for _ in range(2)
    ]
    results = [await proc.communicate() for proc in procs]

    for proc, (out, err) in zip(procs, results, strict=True):
        assert proc.returncode == 0, err.decode()
        assert f"revision {migrate.head_revision()}" in out.decode()
    engine = create_engine(empty_database_url)
    async with engine.connect() as connection:
        tables = await connection.run_sync(lambda sync: set(inspect(sync).get_table_names()))
    await engine.dispose()
    assert set(SQLModel.metadata.tables) <= tables
