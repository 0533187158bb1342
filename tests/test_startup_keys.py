"""Start-up refuses keys that cannot open the stored text, and never makes a second key."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from bot.cli.common import CommandError, load_settings
from bot.cli.key_guard import check_keys_at_startup
from bot.clock import ManualClock
from bot.config import get_settings
from bot.db.engine import Database
from bot.services.crypto import Box, load_box
from tests import privacy_seed
from tests.test_backup import seed
from tests.test_cli import twofold


@pytest.fixture
def environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, database_url: str
) -> Iterator[pytest.MonkeyPatch]:
    """The settings the CLI would read in `tmp_path`, with no .env and no stray keys."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("ENCRYPTION_KEY_FILE", str(tmp_path / "keys" / "twofold.key"))
    monkeypatch.delenv("ENCRYPTION_KEY", raising=False)
    get_settings.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()


async def guard() -> None:
    """The check `twofold run` makes, in a thread: it runs an event loop of its own."""
    get_settings.cache_clear()
    await asyncio.to_thread(lambda: check_keys_at_startup(load_settings()))


async def test_the_right_key_file_starts(
    environment: pytest.MonkeyPatch, database: Database, clock: ManualClock, tmp_path: Path
) -> None:
    box = load_box(configured=None, key_file=tmp_path / "keys" / "twofold.key")
    await seed(database, box, clock)
    await guard()  # no error


async def test_a_wrong_key_is_refused_in_one_line(
    environment: pytest.MonkeyPatch, database: Database, clock: ManualClock
) -> None:
    await seed(database, Box([Fernet.generate_key()]), clock)
    environment.setenv("ENCRYPTION_KEY", Fernet.generate_key().decode())

    with pytest.raises(CommandError) as refused:
        await guard()

    message = str(refused.value)
    assert "4 of 4 stored value(s) checked cannot be opened with ENCRYPTION_KEY" in message
    assert "\n" not in message


async def test_newer_values_under_another_key_are_noticed(
    environment: pytest.MonkeyPatch, database: Database, clock: ManualClock, tmp_path: Path
) -> None:
    ours = load_box(configured=None, key_file=tmp_path / "keys" / "twofold.key")
    await seed(database, ours, clock)
    # A second instance with a key of its own wrote the newest answers.
    async with database.session() as session:
        seeded = await privacy_seed.couple(
            session, therapist_tg=2002, partner_tgs=(1003, 1004), label="C & D", now=clock.now()
        )
        await privacy_seed.answers(
            session, seeded, Box([Fernet.generate_key()]), [(0, "theirs")], now=clock.now()
        )

    with pytest.raises(CommandError, match="1 of 5 stored value"):
        await guard()


async def test_stored_text_and_no_key_file_asks_for_encryption_key(
    environment: pytest.MonkeyPatch, database: Database, clock: ManualClock, tmp_path: Path
) -> None:
    await seed(database, Box([Fernet.generate_key()]), clock)

    with pytest.raises(CommandError, match="set ENCRYPTION_KEY to the key the other instances"):
        await guard()

    assert not (tmp_path / "keys" / "twofold.key").exists(), "no new key was made"


async def test_an_empty_postgres_database_warns_about_more_instances(
    environment: pytest.MonkeyPatch, database_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="bot"):
        await guard()

    warned = [r for r in caplog.records if "set ENCRYPTION_KEY before starting" in r.message]
    assert bool(warned) == (not database_url.startswith("sqlite"))


async def test_twofold_run_refuses_before_contacting_telegram(
    database: Database, database_url: str, clock: ManualClock, tmp_path: Path
) -> None:
    await seed(database, Box([Fernet.generate_key()]), clock)

    result = twofold(
        "run",
        cwd=tmp_path,
        database_url=database_url,
        TELEGRAM_BOT_TOKEN="123:SECRET",
        TELEGRAM_API_BASE_URL="http://127.0.0.1:1/bot",  # nothing listens: never reached
        ENCRYPTION_KEY=Fernet.generate_key().decode(),
    )

    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith("twofold: 4 of 4 stored value(s) checked cannot be opened")
    assert "Traceback" not in result.stderr and "Telegram" not in result.stderr
