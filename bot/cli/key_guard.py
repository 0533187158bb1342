"""Start-up refuses keys that cannot open the stored text (`keys check`, run before `run`).

Without this, a second instance on the same PostgreSQL database (or a database restored
without its key file) silently made a key file of its own: it then wrote answers no
other instance could read, and could read none of theirs.
"""

from __future__ import annotations

import logging
from pathlib import Path

from sqlmodel import select

from bot.cli.common import CommandError, with_database
from bot.config import Settings
from bot.db.engine import Database
from bot.services import keys
from bot.services.crypto import Box, EncryptionKeyError, default_key_file, load_box

__all__ = ["STARTUP_SAMPLE", "check_keys_at_startup", "key_file_path", "stored_values"]

logger = logging.getLogger("bot")

STARTUP_SAMPLE = 50  # values per column, oldest and newest: a few milliseconds


def key_file_path(settings: Settings) -> Path:
    return settings.encryption_key_file or default_key_file(settings.database_url)


async def stored_values(database: Database) -> int:
    """How many encrypted columns hold at least one value (0: nothing to open yet)."""
    found = 0
    async with database.session() as session:
        for target in keys.encrypted_columns():
            query = select(target.column).where(target.column.is_not(None)).limit(1)
            found += (await session.exec(query)).first() is not None
    return found


async def _check_both_ends(database: Database, box: Box) -> keys.KeysReport:
    # keys.check reads the oldest values; an instance with a key of its own wrote the
    # newest ones, so those are opened too.
    oldest = await keys.check(database=database, box=box, sample=STARTUP_SAMPLE)
    newest = await keys.check(database=database, box=box, sample=STARTUP_SAMPLE, newest=True)
    for name, counts in newest.columns.items():
        oldest.columns[name].unreadable = max(oldest.columns[name].unreadable, counts.unreadable)
        oldest.columns[name].rows = max(oldest.columns[name].rows, counts.rows)
    return oldest


def check_keys_at_startup(settings: Settings) -> None:
    """Raise a one-line CommandError when stored text exists that no configured key opens."""
    key_file = key_file_path(settings)
    if settings.encryption_key is None and not key_file.exists():
        if with_database(stored_values):
            raise CommandError(
                f"the database holds encrypted text, but ENCRYPTION_KEY is unset and there "
                f"is no key file at {key_file}: set ENCRYPTION_KEY to the key the other "
                "instances use (or restore the key file); starting would create a new key "
                "that cannot read it"
            )
        if not settings.is_sqlite:
            logger.warning(
                "no ENCRYPTION_KEY: a new key file is created at %s; every instance on this "
                "database must use the same key, so set ENCRYPTION_KEY before starting a "
                "second one (docs/operations.md)",
                key_file,
            )
        return
    try:
        configured = settings.encryption_key.get_secret_value() if settings.encryption_key else None
        box = load_box(configured=configured, key_file=key_file)
    except (EncryptionKeyError, OSError) as exc:
        raise CommandError(f"cannot load the encryption keys: {exc}") from None
    report = with_database(lambda database: _check_both_ends(database, box))
    if report.unreadable:
        source = "ENCRYPTION_KEY" if settings.encryption_key else f"the key file {key_file}"
        raise CommandError(
            f"{report.unreadable} of {report.rows} stored value(s) checked cannot be opened "
            f"with {source}: is a key missing, or did another instance create its own? "
            "`twofold keys check` shows where (docs/operations.md)"
        )
