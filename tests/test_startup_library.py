"""Start-up with a broken exercise library: operator files are skipped, built-ins stop the bot."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from bot.app import load_exercises
from bot.cli import commands as cli
from bot.config import Settings
from bot.library import loader

BROKEN = Path(__file__).parent / "library_fixtures" / "broken"


def test_broken_operator_files_are_skipped_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(_env_file=None, exercises_dir=BROKEN)  # type: ignore[call-arg]
    with caplog.at_level(logging.WARNING):
        library = load_exercises(settings)
    assert library.exercise("gratitude-three-things") is not None  # built-ins still load
    assert any("skipped an operator exercise file" in r.message for r in caplog.records)


def test_a_broken_builtin_library_stops_twofold_run_with_one_clear_error(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123456:never-used")
    monkeypatch.setattr(loader, "builtin_exercises_dir", lambda: BROKEN)
    assert cli.main(["run"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("twofold: the built-in exercise library is broken:")
    assert "Traceback" not in err
    assert not (tmp_path / "data" / "twofold.db").exists()  # stopped before touching anything
