"""The database layer: SQLite pragmas, aware UTC timestamps on both backends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.db.engine import Database
from bot.db.models import Therapist
from tests import dbtemplates


async def test_sqlite_connections_use_wal_full_sync_fks_and_busy_timeout(
    sqlite_template: Path, tmp_path: Path
) -> None:
    database = Database(dbtemplates.clone_sqlite(sqlite_template, tmp_path))
    async with database.session() as session:
        pragmas = {
            name: (await session.exec(text(f"PRAGMA {name}"))).scalar_one()  # type: ignore[call-overload]
            for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
        }
    assert pragmas == {
        "journal_mode": "wal",
        "synchronous": 2,  # FULL
        "foreign_keys": 1,
        "busy_timeout": 15000,
    }
    await database.dispose()


async def test_timestamps_come_back_aware_utc(database: Database) -> None:
    berlin = timezone(timedelta(hours=1))
    moment = datetime(2026, 3, 29, 3, 30, tzinfo=berlin)
    async with database.session() as session:
        session.add(Therapist(telegram_id=42, name="Dr. Ruiz", created_at=moment))
    async with database.session() as session:
        stored = (
            await session.exec(text("SELECT created_at FROM therapists"))  # type: ignore[call-overload]
        ).scalar_one()
        therapist = await session.get(Therapist, 1)
    assert therapist is not None
    assert therapist.created_at == moment
    assert therapist.created_at.tzinfo == UTC
    assert stored is not None


async def test_a_naive_datetime_is_refused(database: Database) -> None:
    with pytest.raises(Exception, match="naive datetime"):
        async with database.session() as session:
            session.add(Therapist(telegram_id=43, name="x", created_at=datetime(2026, 1, 1)))
