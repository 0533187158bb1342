"""The SQLite database, its WAL and SHM, the key file and data/ are owner-only."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.db.engine import Database
from bot.services.crypto import load_box


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def lax_umask() -> object:
    old = os.umask(0o022)  # the usual default: files 0644, folders 0755
    yield
    os.umask(old)


async def test_a_new_database_and_key_file_are_owner_only(
    tmp_path: Path, lax_umask: object
) -> None:
    data = tmp_path / "data"
    database = Database(f"sqlite+aiosqlite:///{data / 'twofold.db'}")
    async with database.session() as session:
        await session.exec(text("CREATE TABLE t (x INTEGER)"))  # type: ignore[call-overload]
        await session.exec(text("INSERT INTO t VALUES (1)"))  # type: ignore[call-overload]
        assert (data / "twofold.db-wal").exists() and (data / "twofold.db-shm").exists()
        modes = {p.name: mode(p) for p in data.iterdir()}
    await database.dispose()
    load_box(configured=None, key_file=data / "twofold.key")
    assert mode(data) == 0o700
    assert modes == {"twofold.db": 0o600, "twofold.db-wal": 0o600, "twofold.db-shm": 0o600}
    assert mode(data / "twofold.key") == 0o600


async def test_an_existing_readable_database_is_warned_about(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "twofold.db"
    path.touch()
    path.chmod(0o644)
    with caplog.at_level(logging.WARNING):
        database = Database(f"sqlite+aiosqlite:///{path}")
    await database.dispose()
    assert "readable by other users" in caplog.text and str(path) in caplog.text
