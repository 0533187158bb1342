"""Run Alembic programmatically: `twofold migrate`, `twofold run` and the tests use this.

These functions block and run their own event loop (Alembic's env.py does), so call
them before the bot's loop starts, or from a worker thread.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.pool import NullPool

from bot.db.engine import create_engine

_PACKAGE = Path(__file__).resolve().parents[1]


def migrations_dir() -> Path:
    """The Alembic scripts: shipped inside the wheel, or the checkout's `migrations/`."""
    shipped = _PACKAGE / "_migrations"
    return shipped if shipped.is_dir() else _PACKAGE.parent / "migrations"


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    config.attributes["database_url"] = database_url
    return config


def upgrade(database_url: str) -> str | None:
    """Bring the schema to head and return the revision it is now at."""
    command.upgrade(alembic_config(database_url), "head")
    return current_revision(database_url)


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def current_revision(database_url: str) -> str | None:
    """The revision the database is at (None for an empty database)."""

    async def read() -> str | None:
        engine = create_engine(database_url, poolclass=NullPool)
        try:
            async with engine.connect() as connection:
                return await connection.run_sync(
                    lambda sync: MigrationContext.configure(sync).get_current_revision()
                )
        finally:
            await engine.dispose()

    return asyncio.run(read())
