"""Each default has one source (bot/db/defaults.py); the rest of the tree agrees with it."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Connection, inspect

from bot.db import defaults
from bot.db.engine import Database
from bot.db.models import Partner
from bot.handlers.menu import COMMANDS
from bot.services.identity import Role

ROOT = Path(__file__).resolve().parent.parent


def test_the_model_takes_its_defaults_from_one_place() -> None:
    partner = Partner(couple_id=1, slot=1, telegram_id=1, display_name="Ana")
    assert (partner.timezone, partner.delivery_time, partner.language) == (
        defaults.TIMEZONE, defaults.DELIVERY_TIME, defaults.LANGUAGE,
    )  # fmt: skip
    assert (partner.quiet_start, partner.quiet_end) == (defaults.QUIET_START, defaults.QUIET_END)
    assert partner.share_with_therapist is defaults.SHARE_WITH_THERAPIST
    assert partner.share_with_partner is defaults.SHARE_WITH_PARTNER


async def test_the_migrations_give_existing_rows_the_same_quiet_hours(database: Database) -> None:
    def server_defaults(connection: Connection) -> dict[str, str]:
        columns = inspect(connection).get_columns("partners")
        return {c["name"]: str(c.get("default") or "") for c in columns}

    async with database.engine.connect() as connection:
        found = await connection.run_sync(server_defaults)
    # Rows that existed before migration 0002 got these; new rows get the model's.
    assert defaults.QUIET_START in found["quiet_start"]
    assert defaults.QUIET_END in found["quiet_end"]


def test_the_docs_and_the_menu_state_the_same_defaults() -> None:
    quiet = f"{defaults.QUIET_START}–{defaults.QUIET_END}"
    assert f"default {quiet}" in (ROOT / "docs" / "delivery.md").read_text(encoding="utf-8")
    menu = " ".join(description for _command, description in COMMANDS[Role.PARTNER])
    assert f"/quiet {defaults.QUIET_START}-{defaults.QUIET_END}" in menu
