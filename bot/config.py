"""Runtime configuration, read from the environment and an optional `.env` file.

The variable names are a public contract (README, Dockerfile, compose file and
operators' deployments depend on them): change them only with a migration note.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bot.db.urls import UrlError, check_postgres_url
from bot.services.crisis_resources import CrisisResourcesFile
from bot.services.crypto import Box, default_key_file, load_box

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./data/twofold.db"

# Telegram accepts 1-256 characters from this alphabet for a webhook secret token.
_WEBHOOK_SECRET = re.compile(r"^[A-Za-z0-9_-]{16,256}$")

_LOOPBACK = {"127.0.0.1", "localhost", "::1"}

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]


class ConfigError(ValueError):
    """A setting is missing or unsafe; the message tells the operator what to set."""


def normalize_database_url(url: str) -> str:
    """Return `url` with the async driver Twofold uses for its database.

    Operators write the URLs they know (`postgresql://...`, `sqlite:///...`); the
    application needs `asyncpg` and `aiosqlite` respectively.
    """
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError) as exc:
        # Not the URL itself in the message: it may hold the password.
        reason = (
            "no scheme://"
            if isinstance(exc, ArgumentError)
            else "cannot read its host:port; percent-encode @ : / % in the password"
        )
        raise ConfigError(f"DATABASE_URL is not a database URL ({reason})") from None
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return parsed.set(drivername="sqlite+aiosqlite").render_as_string(hide_password=False)
    if backend in {"postgresql", "postgres"}:
        try:
            check_postgres_url(parsed)
        except UrlError as exc:
            raise ConfigError(f"DATABASE_URL: {exc}") from None
        return parsed.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)
    raise ConfigError(
        f"DATABASE_URL uses {backend!r}; Twofold supports sqlite:/// and postgresql:// URLs"
    )


# Docker and Kubernetes secrets arrive as files: NAME_FILE holds the path of NAME's value.
# (ENCRYPTION_KEY_FILE is not among them: it has always named the key file itself.)
SECRET_FILE_SETTINGS = ("telegram_bot_token", "database_url", "database_password", "webhook_secret")


def read_secret_files(data: dict[str, object]) -> dict[str, object]:
    """Fill each setting from the file its `*_FILE` variable names (environment only)."""
    data = dict(data)
    for name in SECRET_FILE_SETTINGS:
        variable = f"{name.upper()}_FILE"
        path = os.environ.get(variable)
        if not path:
            continue
        if data.get(name) not in (None, "") or os.environ.get(name.upper()):
            raise ConfigError(f"set {name.upper()} or {variable}, not both")
        try:
            value = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
            raise ConfigError(f"{variable}: cannot read {path} ({reason})") from None
        data[name] = value.rstrip("\r\n")  # the newline editors and `echo` add
    return data


class Settings(BaseSettings):
    """Every setting Twofold reads; see the configuration table in the README."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    telegram_bot_token: SecretStr | None = None
    database_url: str = DEFAULT_DATABASE_URL
    # Put into DATABASE_URL as it is: no percent-encoding of @, %, / or : to get right.
    database_password: SecretStr | None = None
    telegram_api_base_url: str = "https://api.telegram.org/bot"
    telegram_api_file_url: str = "https://api.telegram.org/file/bot"
    log_level: LogLevel = "INFO"
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    port: Annotated[int, Field(ge=1, le=65535)] = 8080
    exercises_dir: Path | None = None
    invite_ttl_days: Annotated[int, Field(ge=1, le=90)] = 7
    heartbeat_file: Path = Path("data/heartbeat")
    # Encryption at rest (docs/security.md): Fernet keys, newest first, comma-separated.
    encryption_key: SecretStr | None = None
    encryption_key_file: Path | None = None  # default: next to the SQLite file
    # Delivery engine (docs/delivery.md).
    dispatch_interval_seconds: Annotated[float, Field(ge=0, le=60)] = 2.0  # 0: no dispatcher
    delivery_rate: Annotated[float, Field(gt=0, le=30)] = 25.0  # messages/second, all chats
    delivery_grace_hours: Annotated[float, Field(ge=0, le=72)] = 6.0
    # How long a claimed delivery is one process's: after a crash, its unsent claims come
    # back this much later. Longer than any pause inside one tick (a 429's retry_after).
    delivery_lease_seconds: Annotated[float, Field(ge=1, le=3600)] = 120.0
    reminder_after_hours: Annotated[float, Field(ge=0, le=48)] = 6.0  # 0: no reminders
    # Weekly therapist digest (docs/progress.md): ISO weekday (1 = Monday) and local time.
    digest_weekday: Annotated[int, Field(ge=1, le=7)] = 1
    digest_time: Annotated[str, Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")] = "08:00"
    # Privacy (docs/security.md): purge answer text older than this; None keeps it.
    retention_days: Annotated[int, Field(ge=1, le=36500)] | None = None
    # Safety (docs/safety.md): helplines shown in a crisis; checked at start-up.
    crisis_resources_file: CrisisResourcesFile = None

    @model_validator(mode="before")
    @classmethod
    def _read_secret_files(cls, data: object) -> object:
        return read_secret_files(data) if isinstance(data, dict) else data

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        return normalize_database_url(value)

    @model_validator(mode="after")
    def _database_password(self) -> Settings:
        if self.database_password is not None and not self.is_sqlite:
            url = make_url(self.database_url).set(
                password=self.database_password.get_secret_value()
            )
            self.database_url = url.render_as_string(hide_password=False)
        return self

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator(
        "webhook_url", "exercises_dir", "encryption_key_file", "retention_days", mode="before"
    )
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if value == "" else value

    @model_validator(mode="after")
    def _webhook_needs_secret(self) -> Settings:
        # An unauthenticated webhook lets anyone on the internet inject updates that
        # impersonate any user, so webhook mode refuses to start without a secret.
        if self.webhook_url is None:
            return self
        url = urlsplit(self.webhook_url)
        # Telegram only posts to https; a self-hosted Bot API server on the same machine
        # may post over plain http to loopback.
        if url.scheme != "https" and not (url.scheme == "http" and url.hostname in _LOOPBACK):
            raise ValueError("WEBHOOK_URL must be an https:// URL (Telegram requires TLS)")
        secret = self.webhook_secret.get_secret_value() if self.webhook_secret else ""
        if not _WEBHOOK_SECRET.match(secret):
            raise ValueError(
                "WEBHOOK_SECRET must be set to 16-256 characters of A-Z, a-z, 0-9, _ or - "
                "when WEBHOOK_URL is set"
            )
        return self

    @property
    def token(self) -> str:
        """The bot token, or a ConfigError telling the operator how to get one."""
        if self.telegram_bot_token is None or not self.telegram_bot_token.get_secret_value():
            raise ConfigError(
                "TELEGRAM_BOT_TOKEN is not set: create a bot with @BotFather in Telegram "
                "(https://t.me/BotFather) and put its token in the environment or in .env"
            )
        return self.telegram_bot_token.get_secret_value()

    def crypto_box(self) -> Box:
        """The encryption keys: ENCRYPTION_KEY, or the key file (created on first run)."""
        key_file = self.encryption_key_file or default_key_file(self.database_url)
        configured = self.encryption_key.get_secret_value() if self.encryption_key else None
        return load_box(configured=configured, key_file=key_file)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    """Return the process-wide settings (read once)."""
    return Settings()
