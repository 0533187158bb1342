"""What every `twofold` subcommand shares: one-line operator errors, settings, a DB session."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.config import ConfigError, Settings, get_settings
from bot.db.engine import Database
from bot.services import therapists

__all__ = ["EXIT_USAGE", "CommandError", "load_settings", "with_database", "with_session"]

T = TypeVar("T")

EXIT_USAGE = 2  # the operator must change something before this can work


class CommandError(Exception):
    """A problem the operator can fix; shown as one line, never as a traceback."""


def load_settings() -> Settings:
    """The settings from the environment; a CommandError names what is wrong."""
    try:
        return get_settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']).upper() or 'settings'}: {err['msg']}"
            for err in exc.errors()
        )
        raise CommandError(f"invalid configuration: {problems}") from None
    except ConfigError as exc:
        raise CommandError(str(exc)) from None


def with_database(work: Callable[[Database], Awaitable[T]]) -> T:
    """Run `work` against the configured database from synchronous CLI code."""

    async def run() -> T:
        database = Database(load_settings().database_url)
        try:
            return await work(database)
        finally:
            await database.dispose()

    try:
        return asyncio.run(run())
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        raise CommandError(f"database error ({reason}); has `twofold migrate` run?") from None
    except therapists.InvalidTherapistError as exc:
        raise CommandError(str(exc)) from None


def with_session(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run one unit of database work in its own transaction, from synchronous CLI code."""

    async def in_session(database: Database) -> T:
        async with database.session() as session:
            return await work(session)

    return with_database(in_session)
