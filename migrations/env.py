"""Alembic environment: the models' metadata, the URL from Twofold's settings.

Two instances starting at once both run `upgrade head`; the migration lock below
makes the second wait for the first and then find nothing left to do.
"""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.pool import NullPool
from sqlmodel import SQLModel

import bot.db.models  # noqa: F401  (registers every table on SQLModel.metadata)
from bot.config import get_settings, normalize_database_url
from bot.db.engine import create_engine

# Any constant works; it only has to be the same for every instance of Twofold.
MIGRATION_LOCK_KEY = 0x7477_6F66

config = context.config
target_metadata = SQLModel.metadata


def _database_url() -> str:
    url = config.attributes.get("database_url") or get_settings().database_url
    return normalize_database_url(str(url))


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        # Alembic treats SQLite's DDL as non-transactional and so commits mid-way, which
        # drops the BEGIN IMMEDIATE lock: two processes starting at once then both ran a
        # migration. SQLite's DDL is transactional; one transaction keeps the lock.
        transactional_ddl=True,
    )
    # On SQLite the transaction opens with BEGIN IMMEDIATE (see bot.db.engine), which
    # is the lock; PostgreSQL gets an advisory lock held until the transaction ends.
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY}
            )
        context.run_migrations()


async def _run_online() -> None:
    engine = create_engine(_database_url(), poolclass=NullPool)
    try:
        async with engine.connect() as connection:
            await connection.run_sync(_run)
    finally:
        await engine.dispose()


def _run_offline() -> None:
    url = _database_url()
    context.configure(
        url=url,
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=url.startswith("sqlite"),
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    _run_offline()
else:
    asyncio.run(_run_online())
