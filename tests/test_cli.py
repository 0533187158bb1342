"""The `twofold` command as an operator uses it: real processes, real databases."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot import heartbeat
from bot.db import migrate

TWOFOLD = Path(sys.executable).with_name("twofold")


def twofold(
    *args: str, cwd: Path, database_url: str | None = None, **env: str
) -> subprocess.CompletedProcess[str]:
    """Run the console script with a clean environment in `cwd` (so no stray .env is read)."""
    environ = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **env}
    if database_url:
        environ["DATABASE_URL"] = database_url
    return subprocess.run(  # noqa: S603
        [str(TWOFOLD), *args], cwd=cwd, env=environ, capture_output=True, text=True, timeout=60
    )


def test_help_lists_every_command(tmp_path: Path) -> None:
    result = twofold("--help", cwd=tmp_path)

    assert result.returncode == 0
    for command in ("run", "migrate", "therapist", "exercises", "health"):
        assert command in result.stdout


def test_python_dash_m_bot_is_the_same_program(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot", "--help"], cwd=tmp_path, capture_output=True, text=True
    )

    assert result.returncode == 0
    assert result.stdout == twofold("--help", cwd=tmp_path).stdout


def test_run_without_a_token_says_what_to_set_in_one_line(tmp_path: Path) -> None:
    result = twofold("run", cwd=tmp_path)

    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "TELEGRAM_BOT_TOKEN" in lines[0]
    assert "@BotFather" in lines[0]
    assert not (tmp_path / "data").exists(), "nothing is created before the token is known"


@pytest.mark.parametrize(
    ("database_url", "expected"),
    [
        ("mysql://root@localhost/twofold", "DATABASE_URL"),
        ("not a url", "DATABASE_URL"),
        ("postgresql://nobody@127.0.0.1:1/twofold", "DATABASE_URL"),
    ],
)
def test_run_with_a_bad_database_url_fails_in_one_line(
    tmp_path: Path, database_url: str, expected: str
) -> None:
    result = twofold(
        "run", cwd=tmp_path, database_url=database_url, TELEGRAM_BOT_TOKEN="123:SECRET-TOKEN"
    )

    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert expected in lines[0]
    assert "Traceback" not in result.stderr
    assert "SECRET-TOKEN" not in result.stderr


def test_webhook_without_secret_is_refused(tmp_path: Path) -> None:
    result = twofold(
        "run",
        cwd=tmp_path,
        TELEGRAM_BOT_TOKEN="123:abc",
        WEBHOOK_URL="https://bot.example.org/telegram",
    )

    assert result.returncode == 2
    assert "WEBHOOK_SECRET" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_migrate_creates_the_default_sqlite_database_under_data(tmp_path: Path) -> None:
    result = twofold("migrate", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert f"revision {migrate.head_revision()}" in result.stdout
    assert (tmp_path / "data" / "twofold.db").is_file()


def test_therapist_add_list_remove(tmp_path: Path) -> None:
    assert twofold("migrate", cwd=tmp_path).returncode == 0

    added = twofold("therapist", "add", "424242", "--name", "Dr. Ruiz", cwd=tmp_path)
    listed = twofold("therapist", "list", cwd=tmp_path)
    removed = twofold("therapist", "remove", "424242", cwd=tmp_path)
    after = twofold("therapist", "list", cwd=tmp_path)
    again = twofold("therapist", "remove", "424242", cwd=tmp_path)

    assert added.returncode == 0, added.stderr
    assert "424242" in listed.stdout
    assert "Dr. Ruiz" in listed.stdout
    assert removed.returncode == 0
    assert "424242" not in after.stdout
    assert again.returncode == 2
    assert "not a therapist" in again.stderr


def test_therapist_add_refuses_a_group_id(tmp_path: Path) -> None:
    assert twofold("migrate", cwd=tmp_path).returncode == 0

    result = twofold("therapist", "add", "-100123", cwd=tmp_path)

    assert result.returncode == 2
    assert "positive" in result.stderr


def test_therapist_commands_before_migrate_explain_themselves(tmp_path: Path) -> None:
    result = twofold("therapist", "list", cwd=tmp_path)

    assert result.returncode == 2
    assert "twofold migrate" in result.stderr
    assert "Traceback" not in result.stderr


def test_health_follows_the_heartbeat(tmp_path: Path) -> None:
    beat_file = tmp_path / "data" / "heartbeat"

    missing = twofold("health", cwd=tmp_path)
    heartbeat.beat(beat_file, datetime.now(UTC))
    fresh = twofold("health", cwd=tmp_path)
    heartbeat.beat(beat_file, datetime.now(UTC) - heartbeat.STALE_AFTER - timedelta(seconds=5))
    stale = twofold("health", cwd=tmp_path)

    assert (missing.returncode, fresh.returncode, stale.returncode) == (1, 0, 1)
