"""Migrated template databases, cloned for every test so each starts empty and isolated.

SQLite: a template file migrated once, copied per test. PostgreSQL (when
TEST_DATABASE_URL is set): a template database migrated once, then
`CREATE DATABASE ... TEMPLATE` per test, which takes milliseconds.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

from bot.config import normalize_database_url
from bot.db import migrate

POSTGRES_URL_ENV = "TEST_DATABASE_URL"


def postgres_admin_url() -> str | None:
    url = os.environ.get(POSTGRES_URL_ENV)
    return normalize_database_url(url) if url else None


def backends() -> list[str]:
    """SQLite always; PostgreSQL too when TEST_DATABASE_URL points at a server."""
    return ["sqlite", "postgres"] if postgres_admin_url() else ["sqlite"]


def sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


def make_sqlite_template(directory: Path) -> Path:
    path = directory / "template.db"
    migrate.upgrade(sqlite_url(path))
    return path


def clone_sqlite(template: Path, directory: Path) -> str:
    target = directory / "twofold.db"
    shutil.copyfile(template, target)
    target.chmod(0o600)  # as the bot creates it (bot/db/engine.py)
    return sqlite_url(target)


def _with_database(url: str, name: str) -> str:
    return make_url(url).set(database=name).render_as_string(hide_password=False)


def _asyncpg_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _admin(url: str, *statements: str) -> None:
    connection = await asyncpg.connect(_asyncpg_dsn(url))
    try:
        for statement in statements:
            await connection.execute(statement)
    finally:
        await connection.close()


def make_postgres_template(admin_url: str) -> str:
    """Create and migrate a uniquely named template database; return its name."""
    name = f"twofold_tpl_{uuid.uuid4().hex[:10]}"
    asyncio.run(_admin(admin_url, f'CREATE DATABASE "{name}"'))
    migrate.upgrade(_with_database(admin_url, name))
    return name


async def clone_postgres(admin_url: str, template: str) -> str:
    name = f"twofold_t_{uuid.uuid4().hex[:12]}"
    await _admin(admin_url, f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    return _with_database(admin_url, name)


async def empty_postgres(admin_url: str) -> str:
    name = f"twofold_e_{uuid.uuid4().hex[:12]}"
    await _admin(admin_url, f'CREATE DATABASE "{name}"')
    return _with_database(admin_url, name)


async def drop_postgres(admin_url: str, url: str) -> None:
    name = make_url(url).database
    await _admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def drop_postgres_sync(admin_url: str, name: str) -> None:
    asyncio.run(_admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
