"""Database URLs as managed services hand them out, and settings read from secret files."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bot.config import ConfigError, Settings, normalize_database_url
from bot.db.engine import Database
from bot.db.urls import asyncpg_connect_args
from tests import dbtemplates
from tests.test_cli import twofold

needs_postgres = pytest.mark.skipif(
    not dbtemplates.postgres_admin_url(), reason="needs TEST_DATABASE_URL"
)


def settings(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def test_libpq_parameters_move_into_a_dsn_for_asyncpg() -> None:
    url = make_url(
        "postgresql+asyncpg://u:p%40ss@db.example.org:25060/twofold?sslmode=verify-full"
        "&sslrootcert=/run/secrets/ca.pem&application_name=twofold&connect_timeout=7"
        "&keepalives=1&prepared_statement_cache_size=0"
    )

    kept, connect_args = asyncpg_connect_args(url)

    assert kept.render_as_string(hide_password=False) == (
        "postgresql+asyncpg://u:p%40ss@db.example.org:25060/twofold?prepared_statement_cache_size=0"
    )
    assert connect_args == {
        "dsn": "postgresql://?sslmode=verify-full&sslrootcert=%2Frun%2Fsecrets%2Fca.pem"
        "&application_name=twofold",
        "timeout": 7.0,
    }
    assert "p@ss" not in connect_args["dsn"], "the password stays where SQLAlchemy reads it"


def test_sqlalchemy_spelling_ssl_is_sslmode() -> None:
    _, connect_args = asyncpg_connect_args(make_url("postgresql+asyncpg://u@h/db?ssl=require"))
    assert connect_args == {"dsn": "postgresql://?sslmode=require"}


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("postgresql://twofold:s3cret@db:port/twofold", "host:port"),
        ("postgresql://twofold:s3cr@t@db/twofold", "%40"),
        ("postgresql://twofold:s3cret@db:99999/twofold", "1-65535"),
        ("postgresql://twofold:s3cret@db/twofold?sslmode=requir", "sslmode="),
        ("postgresql://twofold:s3cret@db/twofold?sslmod=require", "unknown parameter 'sslmod'"),
        ("postgresql://twofold:s3cret@db/twofold?connect_timeout=soon", "connect_timeout"),
        ("postgresql://twofold:s3cret@db/twofold?channel_binding=require", "not supported"),
        ("postgresql://twofold:s3cret@db/twofold?target_session_attrs=x", "target_session"),
        ("db.example.org/twofold", "not a database URL"),
    ],
)
def test_a_malformed_url_is_one_clear_error_without_the_password(url: str, says: str) -> None:
    with pytest.raises(ConfigError) as raised:
        normalize_database_url(url)

    message = str(raised.value)
    assert says in message and message.startswith("DATABASE_URL")
    assert "s3cr" not in message
    assert "\n" not in message


def test_a_malformed_url_is_one_line_from_the_command(tmp_path: Path) -> None:
    result = twofold(
        "migrate", cwd=tmp_path, database_url="postgresql://twofold:s3cr@t@db/twofold?sslmode=on"
    )

    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "DATABASE_URL" in result.stderr and "Traceback" not in result.stderr
    assert "s3cr" not in result.stderr


@needs_postgres
@pytest.mark.parametrize("mode", ["disable", "prefer", "require"])
async def test_sslmode_reaches_the_server(mode: str) -> None:
    admin = dbtemplates.postgres_admin_url()
    assert admin is not None
    plain = Database(normalize_database_url(f"{admin}?sslmode=disable"))
    try:
        async with plain.engine.connect() as conn:
            server_ssl = (await conn.execute(text("SHOW ssl"))).scalar() == "on"
    finally:
        await plain.dispose()
    if mode == "require" and not server_ssl:
        pytest.skip("this PostgreSQL server has no TLS")  # asked before, or connect fails
    database = Database(normalize_database_url(f"{admin}?sslmode={mode}&application_name=tf"))
    try:
        async with database.engine.connect() as conn:
            row = (
                await conn.execute(
                    text(
                        "SELECT s.ssl, a.application_name FROM pg_stat_ssl s "
                        "JOIN pg_stat_activity a USING (pid) WHERE pid = pg_backend_pid()"
                    )
                )
            ).one()
    finally:
        await database.dispose()

    assert row.application_name == "tf"
    assert row.ssl is (mode == "require" or (mode == "prefer" and server_ssl))


@needs_postgres
async def test_sslrootcert_is_honoured(tmp_path: Path) -> None:
    admin = dbtemplates.postgres_admin_url()
    assert admin is not None
    missing = tmp_path / "no-such-ca.pem"
    database = Database(
        normalize_database_url(f"{admin}?sslmode=verify-full&sslrootcert={missing}")
    )
    try:
        with pytest.raises(FileNotFoundError):  # asyncpg went to read it
            async with database.engine.connect():
                pass
    finally:
        await database.dispose()


@needs_postgres
def test_migrate_with_sslmode_prefer(tmp_path: Path) -> None:
    admin = dbtemplates.postgres_admin_url()
    assert admin is not None
    plain = make_url(admin).set(drivername="postgresql").render_as_string(hide_password=False)

    result = twofold("migrate", cwd=tmp_path, database_url=f"{plain}?sslmode=prefer")

    assert result.returncode == 0, result.stderr
    assert "revision" in result.stdout


# -- *_FILE variables (Docker secrets) -------------------------------------------------


def test_settings_read_secret_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {
        "TELEGRAM_BOT_TOKEN": "123:FROM-A-FILE\n",
        "DATABASE_URL": "postgresql://twofold@db:5432/twofold?sslmode=require\n",
        "DATABASE_PASSWORD": "p@ss%w:rd/\n",
        "WEBHOOK_SECRET": "a" * 32 + "\n",
    }
    for name, value in files.items():
        monkeypatch.delenv(name, raising=False)
        (tmp_path / name).write_text(value)
        monkeypatch.setenv(f"{name}_FILE", str(tmp_path / name))

    s = settings(webhook_url="https://bot.example.org/telegram")

    assert s.token == "123:FROM-A-FILE"
    assert s.webhook_secret is not None and s.webhook_secret.get_secret_value() == "a" * 32
    url = make_url(s.database_url)
    assert url.password == "p@ss%w:rd/", "no percent-encoding needed"
    assert (url.host, url.database, url.query["sslmode"]) == ("db", "twofold", "require")


def test_a_password_with_at_and_percent_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://twofold@db/twofold")
    monkeypatch.setenv("DATABASE_PASSWORD", "50%@off")
    assert make_url(settings().database_url).password == "50%@off"


def test_a_value_and_its_file_together_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "token").write_text("1:abc")
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "1:abc")
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN_FILE", str(tmp_path / "token"))
    with pytest.raises(ValidationError, match="not both"):
        settings()


def test_an_unreadable_secret_file_is_one_line_from_the_command(tmp_path: Path) -> None:
    result = twofold("migrate", cwd=tmp_path, DATABASE_URL_FILE=str(tmp_path / "missing"))

    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "DATABASE_URL_FILE" in result.stderr and "Traceback" not in result.stderr


def test_the_database_password_is_redacted_from_logs(monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.cli.commands import _secrets

    monkeypatch.setenv("DATABASE_URL", "postgresql://twofold@db/twofold")
    monkeypatch.setenv("DATABASE_PASSWORD", "50%@off-and-more")
    assert "50%@off-and-more" in _secrets(settings())
    monkeypatch.setenv("DATABASE_PASSWORD", "short")
    assert "short" not in _secrets(settings()), "too short to redact without harm"
