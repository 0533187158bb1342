"""`twofold backup` and `twofold restore`: round trips on both databases, as operators run them."""

from __future__ import annotations

import asyncio
import os
import sqlite3
import stat
import subprocess
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text
from sqlmodel import select

from bot import heartbeat
from bot.cli import backup_bundle, backup_databases
from bot.cli.backup_bundle import BackupError, seal, unseal
from bot.clock import ManualClock
from bot.db import migrate
from bot.db.engine import Database
from bot.db.models import Response, SafetyPlan
from bot.services.crypto import Box, load_box, read_key_file
from tests import dbtemplates, privacy_seed
from tests.test_cli import TWOFOLD

PASSPHRASE = "correct horse battery staple"


def twofold(
    *args: str, cwd: Path, database_url: str, **env: str
) -> subprocess.CompletedProcess[str]:
    """The console script with a clean environment and no terminal to ask a passphrase at."""
    environ = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "DATABASE_URL": database_url}
    return subprocess.run(  # noqa: S603
        [str(TWOFOLD), *args], cwd=cwd, env={**environ, **env}, capture_output=True,
        text=True, timeout=120, stdin=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip


async def seed(database: Database, box: Box, clock: ManualClock) -> list[str]:
    texts = ["we talked about the move", "I felt heard on Sunday", "the holidays worry me"]
    async with database.session() as session:
        seeded = await privacy_seed.couple(session, now=clock.now())
        await privacy_seed.answers(
            session, seeded, box, [(i % 2, t) for i, t in enumerate(texts)], now=clock.now()
        )
        await privacy_seed.extras(
            session, seeded.partners[0], box, plan="call Sam", now=clock.now()
        )
    return [*texts, "call Sam"]


async def stored_texts(url: str, box: Box) -> list[str]:
    database = Database(url)
    try:
        async with database.session() as session:
            answers = (await session.exec(select(Response.text_ct).order_by(Response.id))).all()  # type: ignore[arg-type]
            plans = (await session.exec(select(SafetyPlan.text_ct))).all()
    finally:
        await database.dispose()
    return [box.decrypt(token) for token in [*answers, *plans] if token is not None]


@pytest.fixture
async def empty_target(database_url: str, tmp_path: Path) -> AsyncIterator[str]:
    """An empty database of the same kind, never migrated: a fresh machine."""
    if database_url.startswith("sqlite"):
        yield dbtemplates.sqlite_url(tmp_path / "fresh" / "twofold.db")
        return
    admin = dbtemplates.postgres_admin_url()
    assert admin is not None
    url = await dbtemplates.empty_postgres(admin)
    yield url
    await dbtemplates.drop_postgres(admin, url)


async def test_backup_then_restore_on_a_fresh_machine(
    database: Database, database_url: str, empty_target: str, clock: ManualClock, tmp_path: Path
) -> None:
    key_file = tmp_path / "old" / "twofold.key"
    box = load_box(configured=None, key_file=key_file)
    texts = await seed(database, box, clock)
    old = {"ENCRYPTION_KEY_FILE": str(key_file)}

    folder = tmp_path / "backups"
    made = twofold("backup", f"{folder}/", cwd=tmp_path, database_url=database_url, **old)

    assert made.returncode == 0, made.stderr
    (bundle,) = await asyncio.to_thread(lambda: list(folder.glob("twofold-backup-*.tgz")))
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700, "made owner-only"
    assert stat.S_IMODE(bundle.stat().st_mode) == 0o600, "it holds the key"
    assert "holds the key file" in made.stdout
    new_keys = tmp_path / "new" / "twofold.key"
    new = {"ENCRYPTION_KEY_FILE": str(new_keys)}

    restored = twofold("restore", str(bundle), cwd=tmp_path, database_url=empty_target, **new)

    assert restored.returncode == 0, restored.stdout + restored.stderr
    assert "keys checked: all 4 sampled value(s) open" in restored.stdout
    assert read_key_file(new_keys) == box.keys
    assert stat.S_IMODE(new_keys.stat().st_mode) == 0o600
    assert await stored_texts(empty_target, Box(read_key_file(new_keys))) == texts
    revision = await asyncio.to_thread(migrate.current_revision, empty_target)
    assert revision == migrate.head_revision()
    check = twofold("keys", "check", cwd=tmp_path, database_url=empty_target, **new)
    assert check.returncode == 0, check.stdout + check.stderr


async def test_restore_refuses_a_database_with_data_unless_forced(
    database: Database, database_url: str, clock: ManualClock, tmp_path: Path
) -> None:
    env = {"ENCRYPTION_KEY_FILE": str(tmp_path / "twofold.key")}
    box = load_box(configured=None, key_file=tmp_path / "twofold.key")
    texts = await seed(database, box, clock)
    bundle = tmp_path / "backup.tgz"
    made = twofold("backup", str(bundle), cwd=tmp_path, database_url=database_url, **env)
    assert made.returncode == 0, made.stderr
    await database.dispose()  # the test's own pool would count as a connected session

    refused = twofold("restore", str(bundle), cwd=tmp_path, database_url=database_url, **env)

    assert refused.returncode == 2
    assert len(refused.stderr.strip().splitlines()) == 1, refused.stderr
    assert "refusing to overwrite" in refused.stderr and "--force" in refused.stderr
    assert "it holds data" in refused.stderr

    forced = twofold(
        "restore", str(bundle), "--force", cwd=tmp_path, database_url=database_url, **env
    )
    assert forced.returncode == 0, forced.stdout + forced.stderr
    assert await stored_texts(database_url, box) == texts, "replaced, not doubled"


async def test_restore_refuses_a_database_in_use_unless_forced(
    database: Database, database_url: str, empty_target: str, tmp_path: Path
) -> None:
    bundle = tmp_path / "backup.tgz"
    env = {"ENCRYPTION_KEY_FILE": str(tmp_path / "twofold.key")}
    made = twofold("backup", str(bundle), cwd=tmp_path, database_url=database_url, **env)
    assert made.returncode == 0, made.stderr
    work = tmp_path / "work"
    work.mkdir()
    heartbeat.beat(work / "data" / "heartbeat", datetime.now(UTC))  # the bot runs here
    user = Database(empty_target)  # and holds a connection
    try:
        async with user.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
            refused = twofold("restore", str(bundle), cwd=work, database_url=empty_target, **env)
    finally:
        await user.dispose()

    assert refused.returncode == 2
    assert "heartbeat is fresh" in refused.stderr
    if not database_url.startswith("sqlite"):
        assert "other session(s) are connected" in refused.stderr
    forced = twofold("restore", str(bundle), "--force", cwd=work, database_url=empty_target, **env)
    assert forced.returncode == 0, forced.stdout + forced.stderr


async def test_a_sealed_backup_needs_its_passphrase(
    database: Database, database_url: str, empty_target: str, clock: ManualClock, tmp_path: Path
) -> None:
    key_file = tmp_path / "twofold.key"
    box = load_box(configured=None, key_file=key_file)
    texts = await seed(database, box, clock)
    secret, wrong = tmp_path / "passphrase", tmp_path / "wrong"
    secret.write_text(PASSPHRASE + "\n")
    wrong.write_text("not the passphrase at all\n")
    bundle = tmp_path / "backup.sealed"
    env = {"ENCRYPTION_KEY_FILE": str(key_file)}

    made = twofold(
        "backup", str(bundle), "--passphrase-file", str(secret),
        cwd=tmp_path, database_url=database_url, **env,
    )  # fmt: skip

    assert made.returncode == 0, made.stderr
    assert "holds the key file" not in made.stdout
    raw = bundle.read_bytes()
    assert box.keys[0] not in raw and b"manifest.json" not in raw
    target = {"ENCRYPTION_KEY_FILE": str(tmp_path / "restored.key")}
    for extra, says in [([], "--passphrase-file"), (["--passphrase-file", str(wrong)], "wrong")]:
        failed = twofold(
            "restore", str(bundle), *extra, cwd=tmp_path, database_url=empty_target, **target
        )
        assert failed.returncode == 2 and says in failed.stderr, failed.stderr
        assert len(failed.stderr.strip().splitlines()) == 1
    restored = twofold(
        "restore", str(bundle), "--passphrase-file", str(secret),
        cwd=tmp_path, database_url=empty_target, **target,
    )  # fmt: skip
    assert restored.returncode == 0, restored.stdout + restored.stderr
    assert await stored_texts(empty_target, box) == texts


async def test_with_encryption_key_the_backup_reminds_and_restore_checks_the_key(
    database: Database, database_url: str, empty_target: str, clock: ManualClock, tmp_path: Path
) -> None:
    key = Fernet.generate_key()
    await seed(database, Box([key]), clock)
    bundle = tmp_path / "backup.tgz"

    made = twofold(
        "backup", str(bundle), cwd=tmp_path, database_url=database_url, ENCRYPTION_KEY=key.decode()
    )

    assert made.returncode == 0, made.stderr
    assert "REMINDER" in made.stdout and "ENCRYPTION_KEY" in made.stdout
    assert not (tmp_path / "data").exists(), "no key file was made"
    other = Fernet.generate_key().decode()
    stale = twofold(
        "restore", str(bundle), cwd=tmp_path, database_url=empty_target, ENCRYPTION_KEY=other
    )
    assert stale.returncode == 1
    assert "4 of 4 restored value(s) cannot be opened" in stale.stderr
    again = twofold(
        "restore", str(bundle), "--force",
        cwd=tmp_path, database_url=empty_target, ENCRYPTION_KEY=key.decode(),
    )  # fmt: skip
    assert again.returncode == 0, again.stdout + again.stderr


async def test_restore_into_the_other_kind_of_database_is_refused(
    database: Database, database_url: str, tmp_path: Path
) -> None:
    bundle = tmp_path / "backup.tgz"
    env = {"ENCRYPTION_KEY_FILE": str(tmp_path / "twofold.key")}
    assert (
        twofold("backup", str(bundle), cwd=tmp_path, database_url=database_url, **env).returncode
        == 0
    )
    other = "postgresql://nobody@127.0.0.1:1/x" if database_url.startswith("sqlite") else None
    other = other or dbtemplates.sqlite_url(tmp_path / "other.db")

    refused = twofold("restore", str(bundle), cwd=tmp_path, database_url=other, **env)

    assert refused.returncode == 2
    assert "restore it into the same kind of database" in refused.stderr


# -- the pieces ------------------------------------------------------------------------


def test_sqlite_backup_sees_committed_wal_pages_and_not_an_open_transaction(
    tmp_path: Path,
) -> None:
    path = tmp_path / "live.db"
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("PRAGMA journal_mode = WAL")
    writer.execute("PRAGMA wal_autocheckpoint = 0")  # everything stays in the -wal file
    writer.execute("CREATE TABLE t (x)")
    writer.executemany("INSERT INTO t VALUES (?)", [(i,) for i in range(100)])
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("INSERT INTO t VALUES (-1)")  # not committed while the backup runs
    try:
        backup_databases.sqlite_backup(dbtemplates.sqlite_url(path), tmp_path / "copy.db")
    finally:
        writer.execute("ROLLBACK")
        writer.close()

    copy = sqlite3.connect(tmp_path / "copy.db")
    assert copy.execute("SELECT count(*), min(x) FROM t").fetchone() == (100, 0)
    assert copy.execute("PRAGMA journal_mode").fetchone() == ("delete",), "one standalone file"
    copy.close()


def test_without_pg_dump_the_message_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(backup_databases.shutil, "which", lambda _tool: None)
    with pytest.raises(BackupError, match=r"^pg_dump is not installed: install the PostgreSQL"):
        backup_databases.pg_dump("postgresql+asyncpg://u@h/db", tmp_path / "dump")


def test_pg_tools_get_the_password_in_the_environment_not_on_the_command_line() -> None:
    dsn, env = backup_databases.libpq_command_env(
        "postgresql+asyncpg://twofold:p%40ss@db:5432/twofold?ssl=require"
    )
    assert dsn == "postgresql://twofold@db:5432/twofold?sslmode=require"
    assert env["PGPASSWORD"] == "p@ss"


def test_sealing_round_trips_in_chunks_and_refuses_damage(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(backup_bundle, "_CHUNK", 1000)
    plain, sealed, opened = tmp_path / "plain", tmp_path / "sealed", tmp_path / "opened"
    plain.write_bytes(bytes(range(256)) * 20)  # 5,120 bytes: six chunks
    seal(plain, sealed, PASSPHRASE)
    unseal(sealed, opened, PASSPHRASE)
    assert opened.read_bytes() == plain.read_bytes()
    assert backup_bundle.is_sealed(sealed) and not backup_bundle.is_sealed(plain)

    whole = sealed.read_bytes()
    header = len(backup_bundle.MAGIC) + 16 + 7
    chunk = 4 + 1000 + 16
    damaged = {
        "wrong passphrase": (whole, "x" * 20),
        "cut at a chunk boundary": (whole[: header + 2 * chunk], PASSPHRASE),
        "cut mid-chunk": (whole[:-100], PASSPHRASE),
        "a flipped bit": (whole[:200] + bytes([whole[200] ^ 1]) + whole[201:], PASSPHRASE),
        "chunks swapped": (
            whole[:header]
            + whole[header + chunk : header + 2 * chunk]
            + whole[header : header + chunk]
            + whole[header + 2 * chunk :],
            PASSPHRASE,
        ),
    }
    for case, (content, passphrase) in damaged.items():
        sealed.write_bytes(content)
        with pytest.raises(BackupError):  # noqa: PT012 (the case names the failure)
            unseal(sealed, opened, passphrase)
            pytest.fail(f"{case} was not noticed")
