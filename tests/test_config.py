"""Settings: names, defaults, normalisation and the unsafe combinations refused."""

from __future__ import annotations

import logging

import pytest
from pydantic import ValidationError

from bot.app import dispatch_config
from bot.config import ConfigError, Settings, normalize_database_url
from bot.logs import REDACTED, RedactingFormatter


def settings(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def test_defaults_are_the_documented_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DATABASE_URL", "TELEGRAM_BOT_TOKEN", "WEBHOOK_URL", "LOG_LEVEL", "PORT"):
        monkeypatch.delenv(name, raising=False)
    s = settings()
    assert s.database_url == "sqlite+aiosqlite:///./data/twofold.db"
    assert s.telegram_api_base_url == "https://api.telegram.org/bot"
    assert s.telegram_api_file_url == "https://api.telegram.org/file/bot"
    assert (s.log_level, s.port, s.webhook_url) == ("INFO", 8080, None)


def test_environment_names_are_the_contract(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "1:abc")
    monkeypatch.setenv("DATABASE_URL", "postgresql://u:p@db/twofold")
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", "http://127.0.0.1:8081/bot")
    monkeypatch.setenv("TELEGRAM_API_FILE_URL", "http://127.0.0.1:8081/file/bot")
    monkeypatch.setenv("LOG_LEVEL", "debug")
    monkeypatch.setenv("PORT", "9000")
    s = settings()
    assert s.token == "1:abc"
    assert s.database_url == "postgresql+asyncpg://u:p@db/twofold"
    assert s.telegram_api_base_url == "http://127.0.0.1:8081/bot"
    assert s.telegram_api_file_url == "http://127.0.0.1:8081/file/bot"
    assert (s.log_level, s.port) == ("DEBUG", 9000)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("sqlite:///data/x.db", "sqlite+aiosqlite:///data/x.db"),
        ("postgres://u@h/db", "postgresql+asyncpg://u@h/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+asyncpg://u@h/db"),
    ],
)
def test_database_urls_get_the_async_driver(given: str, expected: str) -> None:
    assert normalize_database_url(given) == expected


def test_missing_token_explains_where_tokens_come_from() -> None:
    with pytest.raises(ConfigError, match="@BotFather"):
        _ = settings(telegram_bot_token=None).token


@pytest.mark.parametrize(
    "secret", [None, "short", "has spaces in it, which telegram refuses", "x" * 257]
)
def test_webhook_mode_needs_a_valid_secret(secret: str | None) -> None:
    with pytest.raises(ValidationError, match="WEBHOOK_SECRET"):
        settings(webhook_url="https://bot.example.org/hook", webhook_secret=secret)


def test_webhook_must_be_https() -> None:
    with pytest.raises(ValidationError, match="https"):
        settings(webhook_url="http://bot.example.org/hook", webhook_secret="s" * 32)


def test_secrets_are_redacted_from_messages_arguments_and_tracebacks() -> None:
    token = "123456:AAE-very-secret"
    formatter = RedactingFormatter([token])
    try:
        raise RuntimeError(f"POST https://api.telegram.org/bot{token}/getMe failed")
    except RuntimeError as exc:
        record = logging.LogRecord(
            "httpx",
            logging.INFO,
            __file__,
            1,
            "HTTP %s",
            (f"bot{token}/x",),
            (type(exc), exc, None),
        )
    line = formatter.format(record)
    assert token not in line
    assert line.count(REDACTED) == 2


@pytest.mark.parametrize(
    ("rate", "interval", "batch"), [(25, 2, 50), (12.5, 2, 26), (1, 2, 2), (0.2, 2, 2), (7, 3, 22)]
)
def test_a_dispatch_batch_is_what_one_interval_sends_rounded_up_to_whole_couples(
    rate: float, interval: float, batch: int
) -> None:
    chosen = dispatch_config(settings(delivery_rate=rate, dispatch_interval_seconds=interval))
    assert chosen.batch == batch  # even: a couple's two deliveries are claimed together
