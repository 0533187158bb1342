"""Engine and session factory for SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db.urls import asyncpg_connect_args

logger = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT_MS = 15_000
# The database holds names, Telegram ids and the dates of safety flags: owner-only. SQLite
# gives its -wal and -shm files the database file's own permissions.
FILE_MODE, DIRECTORY_MODE = 0o600, 0o700


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL (None for other databases, memory and file: URIs)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    database = parsed.database
    assert database is not None
    return None if database.startswith("file:") else Path(database).expanduser()


def ensure_sqlite_directory(url: str) -> None:
    """Create the folder and the file of a SQLite database, owner-only, on the first run."""
    path = sqlite_path(url)
    if path is None:
        return
    if not path.parent.exists():
        path.parent.mkdir(parents=True, mode=DIRECTORY_MODE)
        path.parent.chmod(DIRECTORY_MODE)  # mkdir's mode is filtered by the umask
    if not path.exists():
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
        path.chmod(FILE_MODE)
    warn_if_readable_by_others(path.parent, path, path.with_name(path.name + "-wal"))


def warn_if_readable_by_others(*paths: Path) -> None:
    """Log a warning (once per path) for an existing file or folder others can read."""
    for path in paths:
        try:
            mode = path.stat().st_mode
        except OSError:
            continue
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            logger.warning(
                "%s is readable by other users (mode %o); it holds private data: chmod %o it",
                path,
                stat.S_IMODE(mode),
                DIRECTORY_MODE if path.is_dir() else FILE_MODE,
            )


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
        # Take transaction control away from the sqlite3 module so that `_on_begin`
        # can open every transaction with BEGIN IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        # busy_timeout first: switching to WAL itself may have to wait for a lock.
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.execute("PRAGMA foreign_keys = ON")
        # Deleted and overwritten content is zeroed on disk, not left in free pages: an
        # erased name must not stay readable in the file (docs/security.md).
        cursor.execute("PRAGMA secure_delete = ON")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        if conn.get_execution_options().get("isolation_level") == "AUTOCOMMIT":
            return  # a checkpoint: it must run outside any transaction
        # A deferred transaction that later writes fails at once with SQLITE_BUSY when
        # another writer got there first; IMMEDIATE takes the write lock up front, so
        # concurrent writers (bot, CLI, a second process) wait for busy_timeout instead.
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """Create the async engine for `url` with Twofold's per-backend settings."""
    if make_url(url).get_backend_name() == "sqlite":
        ensure_sqlite_directory(url)
        engine = create_async_engine(url, **kwargs)
        _configure_sqlite(engine)
        return engine
    # libpq's URL parameters (sslmode, sslrootcert, ...) reach asyncpg as it reads them.
    parsed, connect_args = asyncpg_connect_args(make_url(url))
    connect_args.update(kwargs.pop("connect_args", {}))
    return create_async_engine(parsed, pool_pre_ping=True, connect_args=connect_args, **kwargs)


class Database:
    """Owns the engine; hands out sessions that never expire loaded objects."""

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = url
        self.engine = create_engine(url, **engine_kwargs)
        # expire_on_commit=False: attributes stay readable after commit; a lazy reload
        # under asyncio would raise MissingGreenlet.
        self._sessions = async_sessionmaker(
            self.engine, class_=AsyncSession, expire_on_commit=False
        )

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """Yield a session inside a transaction, committed on success, rolled back on error."""
        async with self._sessions() as session, session.begin():
            yield session

    async def checkpoint(self) -> None:
        """Copy the SQLite WAL into the database file and empty it (after an erasure).

        With secure_delete on, what was erased is then gone from both files. PostgreSQL
        keeps old row versions until VACUUM reclaims them (docs/security.md).
        """
        if not self.is_sqlite:
            return
        async with self.engine.connect() as conn:
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")

    async def dispose(self) -> None:
        await self.engine.dispose()
