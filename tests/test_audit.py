"""The audit log: append-only entries, read newest last, and `twofold audit`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.clock import ManualClock
from bot.db.engine import Database
from bot.services import audit
from tests.test_cli import twofold

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


async def test_record_appends_and_recent_lists_the_newest_last(database: Database) -> None:
    async with database.session() as session:
        for minute, action in enumerate(["report", "export", "brief"]):
            await audit.record(
                session=session,
                actor="therapist:2001",
                action=action,
                subject="k7m2qx",
                now=T0 + timedelta(minutes=minute),
            )
    async with database.session() as session:
        everything = await audit.recent(session=session)
        newest_two = await audit.recent(session=session, limit=2)

    assert [e.action for e in everything] == ["report", "export", "brief"]
    assert [e.action for e in newest_two] == ["export", "brief"]
    assert everything[0].actor == "therapist:2001"
    assert everything[0].subject == "k7m2qx"
    assert everything[0].at == T0


async def test_overlong_values_are_cut_not_refused(database: Database) -> None:
    async with database.session() as session:
        entry = await audit.record(
            session=session, actor="a" * 100, action="b" * 100, detail="c" * 500, now=T0
        )

    assert (len(entry.actor), len(entry.action), len(entry.detail)) == (64, 32, 200)


async def test_exists_matches_every_given_field(database: Database) -> None:
    async with database.session() as session:
        await audit.record(
            session=session,
            actor="system",
            action="digest",
            subject="2026-W48",
            detail="therapist:1",
            now=T0,
        )
        same = await audit.exists(
            session=session,
            actor="system",
            action="digest",
            subject="2026-W48",
            detail="therapist:1",
        )
        other = await audit.exists(
            session=session,
            actor="system",
            action="digest",
            subject="2026-W48",
            detail="therapist:2",
        )

    assert same and not other


def test_the_module_offers_no_way_to_change_or_remove_entries() -> None:
    public = {name for name in vars(audit) if not name.startswith("_")}

    assert not {n for n in public if any(w in n for w in ("update", "delete", "remove", "edit"))}


def test_twofold_audit_shows_operator_actions_newest_last(tmp_path: Path) -> None:
    assert twofold("migrate", cwd=tmp_path).returncode == 0
    empty = twofold("audit", cwd=tmp_path)
    assert twofold("therapist", "add", "424242", cwd=tmp_path).returncode == 0
    assert twofold("therapist", "remove", "424242", cwd=tmp_path).returncode == 0
    assert twofold("therapist", "remove", "424242", cwd=tmp_path).returncode == 2  # no-op

    listed = twofold("audit", cwd=tmp_path)
    last = twofold("audit", "--limit", "1", cwd=tmp_path)

    assert empty.returncode == 0
    assert "empty" in empty.stdout
    assert listed.returncode == 0, listed.stderr
    rows = [line for line in listed.stdout.splitlines() if "operator" in line]
    assert len(rows) == 2, listed.stdout
    assert "therapist.add" in rows[0] and "424242" in rows[0]
    assert "therapist.remove" in rows[1] and "424242" in rows[1]
    assert "therapist.add" not in last.stdout
    assert "therapist.remove" in last.stdout


async def test_a_typed_id_with_nul_or_control_characters_is_recorded_cleanly(
    database: Database, clock: ManualClock
) -> None:
    """A NUL in a typed couple id crashed /archive on PostgreSQL (found by the fuzz test)."""
    async with database.session() as session:
        entry = await audit.record_therapist_look(
            session=session, therapist_telegram_id=2001, action="archive",
            public_id="ab\x00c\u200b\x07d", detail=None, now=clock.now(),
        )  # fmt: skip
    assert entry.subject == "abcd"
