"""Encryption keys: the key file's mode, rotation (service and CLI) on both databases."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import Column, Integer, LargeBinary, MetaData, String, Table
from sqlmodel import select

from bot.clock import ManualClock
from bot.db.engine import Database
from bot.db.models import Response, SafetyPlan
from bot.services import keys
from bot.services.crypto import Box, EncryptionKeyError, load_box, read_key_file
from tests import privacy_seed
from tests.test_cli import twofold


def test_the_key_file_is_created_owner_only_on_first_run(tmp_path: Path) -> None:
    path = tmp_path / "data" / "twofold.key"
    previous = os.umask(0)  # a permissive umask must not widen the file
    try:
        box = load_box(configured=None, key_file=path)
    finally:
        os.umask(previous)

    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert read_key_file(path) == box.keys and len(box.keys) == 1
    assert load_box(configured=None, key_file=path).keys == box.keys, "reused, not replaced"


def test_encrypted_columns_are_found_from_the_metadata() -> None:
    names = {target.name for target in keys.encrypted_columns()}
    assert {"responses.text_ct", "safety_plans.text_ct"} <= names

    later = MetaData()
    Table(
        "letters",
        later,
        Column("id", Integer, primary_key=True),
        Column("body_ct", LargeBinary),
        Column("photo", LargeBinary),  # binary, but not a token column
        Column("title_ct", String),  # named like one, but text
    )
    assert [t.name for t in keys.encrypted_columns(later)] == ["letters.body_ct"]


async def _seed(database: Database, box: Box, clock: ManualClock, count: int) -> list[str]:
    texts = [f"reflection number {i}" for i in range(count)]
    async with database.session() as session:
        seeded = await privacy_seed.couple(session, now=clock.now())
        await privacy_seed.answers(
            session, seeded, box, [(i % 2, t) for i, t in enumerate(texts)], now=clock.now()
        )
        for partner in seeded.partners:
            await privacy_seed.extras(session, partner, box, plan="call Sam", now=clock.now())
    return texts


async def _tokens(database: Database) -> list[bytes]:
    async with database.session() as session:
        answers = (await session.exec(select(Response.text_ct).order_by(Response.id))).all()  # type: ignore[arg-type]
        plans = (await session.exec(select(SafetyPlan.text_ct))).all()
    return [t for t in [*answers, *plans] if t is not None]


async def test_rotate_reencrypts_every_value_in_batches(
    database: Database, clock: ManualClock
) -> None:
    old = Box([Fernet.generate_key()])
    texts = await _seed(database, old, clock, count=7)
    before = await _tokens(database)
    new = Box([keys.new_key(), *old.keys])

    report = await keys.rotate(database=database, box=new, batch=3)

    after = await _tokens(database)
    assert report.columns["responses.text_ct"].rotated == 7
    assert report.columns["safety_plans.text_ct"].rotated == 2
    assert all(keys.under_key(token, new.keys[0]) for token in after)
    assert not any(keys.under_key(token, old.keys[0]) for token in after)
    assert [new.decrypt(t) for t in after[:7]] == texts
    assert [new.decrypt(t) for t in before[:7]] == texts, "old tokens (backups) still open"
    with pytest.raises(EncryptionKeyError):
        old.decrypt(after[0])

    again = await keys.rotate(database=database, box=new, batch=3)
    assert again.columns["responses.text_ct"].rotated == 0
    assert again.columns["responses.text_ct"].current == 7


async def test_an_interrupted_rotation_loses_nothing_and_can_be_run_again(
    database: Database, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = Box([Fernet.generate_key()])
    texts = await _seed(database, old, clock, count=5)
    new = Box([keys.new_key(), *old.keys])
    real_rotate, calls = Box.rotate, 0

    def failing(self: Box, token: bytes) -> bytes:
        nonlocal calls
        calls += 1
        if calls == 4:
            raise RuntimeError("power cut")
        return real_rotate(self, token)

    monkeypatch.setattr(Box, "rotate", failing)
    with pytest.raises(RuntimeError):
        await keys.rotate(database=database, box=new, batch=2)
    monkeypatch.setattr(Box, "rotate", real_rotate)

    halfway = await _tokens(database)
    assert [new.decrypt(t) for t in halfway[:5]] == texts
    assert sum(keys.under_key(t, new.keys[0]) for t in halfway) == 2, "first batch committed"

    await keys.rotate(database=database, box=new, batch=2)
    assert all(keys.under_key(t, new.keys[0]) for t in await _tokens(database))


async def test_a_value_no_key_opens_is_reported_and_left_alone(
    database: Database, clock: ManualClock
) -> None:
    stranger = Box([Fernet.generate_key()])
    await _seed(database, stranger, clock, count=1)
    box = Box([keys.new_key()])

    report = await keys.rotate(database=database, box=box)
    checked = await keys.check(database=database, box=box)

    assert report.columns["responses.text_ct"].unreadable == 1
    assert checked.unreadable == 3  # one answer and two safety plans
    assert stranger.decrypt((await _tokens(database))[0]) == "reflection number 0"


async def test_cli_rotate_with_a_key_file(
    database: Database, database_url: str, clock: ManualClock, tmp_path: Path
) -> None:
    key_file = tmp_path / "secrets" / "twofold.key"
    old = load_box(configured=None, key_file=key_file)
    texts = await _seed(database, old, clock, count=3)
    env = {"ENCRYPTION_KEY_FILE": str(key_file)}

    result = twofold("keys", "rotate", cwd=tmp_path, database_url=database_url, **env)

    assert result.returncode == 0, result.stderr
    assert "re-encrypted 5 value(s)" in result.stdout
    stored = read_key_file(key_file)
    assert len(stored) == 2 and stored[1] == old.keys[0], "new key first, old kept after"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    tokens = await _tokens(database)
    assert all(keys.under_key(t, stored[0]) for t in tokens)
    assert [Box(stored).decrypt(t) for t in tokens[:3]] == texts
    assert old.keys[0].decode() not in result.stdout + result.stderr, "keys are not printed"

    check = twofold("keys", "check", cwd=tmp_path, database_url=database_url, **env)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "5 under the newest key" not in check.stdout  # reported per column
    assert "responses.text_ct: 3 value(s), 3 under the newest key" in check.stdout
    # An operator action, so it is in the audit log.
    audit_log = twofold("audit", cwd=tmp_path, database_url=database_url, **env)
    assert "operator" in audit_log.stdout and "keys.rotate" in audit_log.stdout


async def test_cli_rotate_with_encryption_key_in_the_environment(
    database: Database, database_url: str, clock: ManualClock, tmp_path: Path
) -> None:
    old = Box([Fernet.generate_key()])
    await _seed(database, old, clock, count=2)
    env = {"ENCRYPTION_KEY": old.keys[0].decode()}

    result = twofold("keys", "rotate", cwd=tmp_path, database_url=database_url, **env)

    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stdout.splitlines() if line.startswith("ENCRYPTION_KEY=")]
    assert len(set(lines)) == 1
    new_value = lines[0].removeprefix("ENCRYPTION_KEY=")
    first, second = new_value.split(",")
    assert second == old.keys[0].decode()
    assert all(keys.under_key(t, first.encode()) for t in await _tokens(database))
    assert not (tmp_path / "data").exists(), "no key file is written in environment mode"

    ok = twofold("keys", "check", cwd=tmp_path, database_url=database_url,
                 ENCRYPTION_KEY=new_value)  # fmt: skip
    stale = twofold("keys", "check", cwd=tmp_path, database_url=database_url, **env)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert stale.returncode == 1
    assert "cannot be opened" in stale.stderr
