"""Dump and restore the database: SQLite's online backup API, PostgreSQL's pg_dump.

A SQLite file in WAL mode cannot simply be copied (the newest pages may still be in the
-wal file); the backup API copies a consistent snapshot while the bot keeps writing.
PostgreSQL is dumped by its own tools, which must match the server's major version.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import URL, make_url
from sqlmodel import SQLModel

from bot.cli.backup_bundle import BackupError
from bot.db.engine import (
    SQLITE_BUSY_TIMEOUT_MS,
    Database,
    ensure_sqlite_directory,
    sqlite_path,
)

__all__ = [
    "database_state",
    "libpq_command_env",
    "pg_dump",
    "pg_restore",
    "sqlite_backup",
    "sqlite_restore",
]

_PG_TOOLS_MISSING = (
    "{tool} is not installed: install the PostgreSQL client tools of the server's major "
    "version (Debian: postgresql-client-NN), or see docs/operations.md for pg_dump in the "
    "database container"
)


def sqlite_file(database_url: str) -> Path:
    path = sqlite_path(database_url)
    if path is None:
        raise BackupError("DATABASE_URL names no SQLite file (in memory?): nothing to back up")
    return path


def _copy(source: sqlite3.Connection, target: sqlite3.Connection) -> None:
    source.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
    target.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
    source.backup(target)  # page by page, consistent even while another process writes


def sqlite_backup(database_url: str, target: Path) -> None:
    """Copy a consistent snapshot of the live SQLite database into `target` (mode 0600)."""
    path = sqlite_file(database_url)
    if not path.is_file():
        raise BackupError(f"there is no database at {path}: check DATABASE_URL")
    os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
    # Read-write, though only read: a read-only connection cannot always open a WAL file.
    source = sqlite3.connect(path)
    copy = sqlite3.connect(target)
    try:
        _copy(source, copy)
        # One file, no -wal beside it: the copy stands alone in the bundle.
        copy.execute("PRAGMA journal_mode = DELETE")
    except sqlite3.Error as exc:
        raise BackupError(f"cannot read the SQLite database at {path} ({exc})") from None
    finally:
        copy.close()
        source.close()


def sqlite_restore(snapshot: Path, database_url: str) -> None:
    """Write `snapshot` over the configured SQLite database, through SQLite (WAL-safe)."""
    path = sqlite_file(database_url)
    ensure_sqlite_directory(database_url)  # the folder and an owner-only file, as the bot's
    source = sqlite3.connect(f"file:{snapshot}?mode=ro", uri=True)
    target = sqlite3.connect(path)
    try:
        _copy(source, target)
        target.execute("PRAGMA journal_mode = WAL")  # as the bot runs it
    except sqlite3.Error as exc:
        raise BackupError(f"cannot write the SQLite database at {path} ({exc})") from None
    finally:
        target.close()
        source.close()


def libpq_command_env(database_url: str) -> tuple[str, dict[str, str]]:
    """The URL for pg_dump/pg_restore (no password in it: `ps` shows it) and their env."""
    url = make_url(database_url)
    query = {k: v for k, v in url.query.items() if k not in ("prepared_statement_cache_size",)}
    if "ssl" in query:  # SQLAlchemy's spelling; libpq knows only sslmode
        query.setdefault("sslmode", query.pop("ssl"))
    env = dict(os.environ)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    plain = URL.create(  # URL.set(password=None) would keep the password
        "postgresql", url.username, None, url.host, url.port, url.database, query
    )
    return plain.render_as_string(hide_password=False), env


def _run(tool: str, args: list[str], database_url: str) -> None:
    executable = shutil.which(tool)
    if executable is None:
        raise BackupError(_PG_TOOLS_MISSING.format(tool=tool))
    dsn, env = libpq_command_env(database_url)
    result = subprocess.run(  # noqa: S603 (a fixed tool, arguments as a list)
        [executable, *args, f"--dbname={dsn}"], env=env, capture_output=True, text=True
    )
    if result.returncode != 0:
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        reason = lines[-1] if lines else f"exit status {result.returncode}"
        raise BackupError(f"{tool} failed: {reason}")


def pg_dump(database_url: str, target: Path) -> None:
    """Dump the PostgreSQL database in pg_dump's custom format into `target`."""
    os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
    args = ["--format=custom", "--no-owner", "--no-privileges", f"--file={target}"]
    _run("pg_dump", args, database_url)


def pg_restore(dump: Path, database_url: str, *, clean: bool) -> None:
    """Restore a custom-format dump in one transaction (all of it or nothing)."""
    args = ["--no-owner", "--no-privileges", "--single-transaction", "--exit-on-error"]
    if clean:
        args += ["--clean", "--if-exists"]
    _run("pg_restore", [*args, str(dump)], database_url)


async def database_state(database: Database) -> tuple[bool, bool, int]:
    """(has Twofold's tables, holds any row, other sessions connected) for the target."""
    # Autocommit: a look, not a write transaction (on SQLite that would wait for the bot).
    async with database.engine.connect() as plain:
        conn = await plain.execution_options(isolation_level="AUTOCOMMIT")
        names = set(await conn.run_sync(lambda sync: sync.dialect.get_table_names(sync)))
        ours = [table for table in SQLModel.metadata.sorted_tables if table.name in names]
        has_rows = False
        for table in ours:
            found = await conn.execute(text(f'SELECT 1 FROM "{table.name}" LIMIT 1'))  # noqa: S608
            if found.first() is not None:
                has_rows = True
                break
        others = 0
        if not database.is_sqlite:
            others = (
                await conn.execute(
                    text(
                        "SELECT count(*) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    )
                )
            ).scalar_one()
    return bool(names), has_rows, int(others)
