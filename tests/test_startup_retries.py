"""Start-up retries transient Bot API errors with backoff, then gives up with one line."""

from __future__ import annotations

from pathlib import Path

import pytest
from telegram.error import InvalidToken, NetworkError

from bot.app import build_application
from bot.cli.commands import STARTUP_ATTEMPTS, _check_telegram
from tests import e2e
from tests.fakebotapi import FakeTelegram


class Sleeps:
    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)  # injected: no real waiting


def app_for(tg: FakeTelegram, tmp_path: Path) -> object:
    settings = e2e.settings_for(tg, f"sqlite+aiosqlite:///{tmp_path / 'db'}", tmp_path)
    return build_application(settings)


async def test_two_502s_at_start_up_are_waited_out(
    tg: FakeTelegram, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    tg.fail_next("getMe", status=502, times=2)
    sleeps = Sleeps()
    await _check_telegram(app_for(tg, tmp_path), sleep=sleeps)  # type: ignore[arg-type]
    assert sleeps.delays == [1.0, 2.0]
    assert caplog.text.count("trying again") == 2


async def test_a_lasting_outage_gives_up_after_the_bounded_attempts(
    tg: FakeTelegram, tmp_path: Path
) -> None:
    tg.fail_next("getMe", status=502, times=STARTUP_ATTEMPTS + 1)
    sleeps = Sleeps()
    with pytest.raises(NetworkError):
        await _check_telegram(app_for(tg, tmp_path), sleep=sleeps)  # type: ignore[arg-type]
    assert sleeps.delays == [1.0, 2.0, 4.0, 8.0]


async def test_a_wrong_token_is_not_retried(tg: FakeTelegram, tmp_path: Path) -> None:
    tg.fail_next("getMe", status=401, description="Unauthorized")
    sleeps = Sleeps()
    with pytest.raises(InvalidToken):
        await _check_telegram(app_for(tg, tmp_path), sleep=sleeps)  # type: ignore[arg-type]
    assert sleeps.delays == []
