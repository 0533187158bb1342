"""Bulk seeding with plain SQL (not the ORM), so a million assignments take seconds.

Couple n (1-based) gets: therapist (n-1)//100+1, partners 2n-1 and 2n (Telegram ids
TG_BASE + partner id), assignment n of the repeating "daily-connection" set, and the
partners' day-1 deliveries, due at `due` (+ n mod `spread_s` s).
That is exactly what `/assign` leaves behind: one planned occurrence per partner.
"""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime, timedelta

import asyncpg
from sqlalchemy.engine import make_url

from benchmarks.common import libpq_dsn
from bot.db import migrate

TG_BASE = 10_000_000
SET_SLUG = "daily-connection"
DAY1_EXERCISE = "open-ended-question"  # daily-connection's day 1


def telegram_id(partner_id: int) -> int:
    return TG_BASE + partner_id


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


async def migrate_fresh(url: str) -> None:
    await asyncio.to_thread(migrate.upgrade, url)


def _sqlite_time(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")


async def seed_couples(
    url: str,
    first: int,
    last: int,
    *,
    due: datetime,
    spread_s: int = 0,
    zone: str = "UTC",
    quiet: tuple[str, str] = ("22:00", "07:00"),
) -> None:
    """Insert couples first..last (inclusive) with one active assignment each."""
    if last < first:
        return
    if is_sqlite(url):
        await asyncio.to_thread(_seed_sqlite, url, first, last, due, spread_s, zone, quiet)
    else:
        await _seed_postgres(url, first, last, due, spread_s, zone, quiet)


def _seed_sqlite(
    url: str, first: int, last: int, due: datetime, spread_s: int, zone: str,
    quiet: tuple[str, str],
) -> None:  # fmt: skip
    path = make_url(url).database
    assert path is not None
    db = sqlite3.connect(path, isolation_level=None)
    now = _sqlite_time(datetime.now(UTC))
    base = _sqlite_time(due)
    local_date = due.date().isoformat()
    seq = "WITH RECURSIVE seq(n) AS (SELECT ? UNION ALL SELECT n + 1 FROM seq WHERE n < ?) "
    due_expr = (
        f"strftime('%Y-%m-%d %H:%M:%S', '{base}', '+' || (n % {spread_s}) || ' seconds')"
        " || '.000000'"
        if spread_s
        else f"'{base}'"
    )
    try:
        db.execute("PRAGMA synchronous = OFF")
        db.execute("PRAGMA cache_size = -262144")  # 256 MB: index pages stay in memory
        db.execute("BEGIN")
        rebuild = []
        if last - first >= _BULK:  # one sorted build per index, not 1M insertions each
            rebuild = [
                (name, sql)
                for name, sql in db.execute(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
                    f" AND tbl_name IN ({', '.join(repr(t) for t in _SEEDED_TABLES)})"
                )
            ]
            for name, _sql in rebuild:
                db.execute(f'DROP INDEX "{name}"')
        db.execute(
            seq + "INSERT OR IGNORE INTO therapists (id, telegram_id, name, timezone, language,"
            " active, digest_enabled, created_at) SELECT DISTINCT (n - 1) / 100 + 1,"
            " 5000000 + (n - 1) / 100, 'Dr. T' || ((n - 1) / 100 + 1), 'UTC', 'en', 1, 1, ?"
            " FROM seq",
            (first, last, now),
        )
        db.execute(
            seq + "INSERT INTO couples (id, public_id, therapist_id, label, created_at)"
            " SELECT n, 'b' || n, (n - 1) / 100 + 1, 'Couple ' || n, ? FROM seq",
            (first, last, now),
        )
        for slot in (1, 2):
            db.execute(
                seq + "INSERT INTO partners (id, couple_id, slot, telegram_id, display_name,"
                " timezone, delivery_time, language, share_with_therapist, share_with_partner,"
                " setup_done, is_current, consented_at, joined_at, quiet_start, quiet_end,"
                " neutral_notifications) SELECT 2 * n - 2 + ?, n, ?, ? + 2 * n - 2 + ?,"
                " 'P' || (2 * n - 2 + ?), ?, '09:00', 'en', 0, 1, 1, 1, ?, ?, ?, ?, 0 FROM seq",
                (first, last, slot, slot, TG_BASE, slot, slot, zone, now, now, *quiet),
            )
        db.execute(
            seq + "INSERT INTO assignments (id, couple_id, set_slug, start_date, status,"
            " created_at) SELECT n, n, ?, ?, 'active', ? FROM seq",
            (first, last, SET_SLUG, local_date, now),
        )
        for slot in (1, 2):
            db.execute(
                seq + "INSERT INTO deliveries (assignment_id, partner_id, day, item,"
                " exercise_slug, local_date, scheduled_at, due_at, status, attempts,"
                " unknown_outcomes, reminders_sent) SELECT n, 2 * n - 2 + ?,"
                f" 1, 0, ?, ?, {due_expr}, {due_expr}, 'planned', 0, 0, 0 FROM seq",
                (first, last, slot, DAY1_EXERCISE, local_date),
            )
        for _name, sql in rebuild:
            db.execute(sql)
        db.execute("COMMIT")
        db.execute("ANALYZE")
    finally:
        db.close()


async def _seed_postgres(
    url: str, first: int, last: int, due: datetime, spread_s: int, zone: str,
    quiet: tuple[str, str],
) -> None:  # fmt: skip
    db = await asyncpg.connect(libpq_dsn(url))
    now = datetime.now(UTC)
    series = "generate_series($1::int, $2::int) AS n"
    due_expr = (
        f"$3::timestamptz + make_interval(secs => n % {spread_s})"
        if spread_s
        else "$3::timestamptz"
    )
    try:
        async with db.transaction():
            await db.execute("SET LOCAL synchronous_commit = off")
            # The rows are consistent by construction: skip the foreign-key triggers, a
            # check per inserted row (6M at 1M couples) and about half the seeding time.
            await db.execute("SET LOCAL session_replication_role = replica")
            await db.execute("SET LOCAL maintenance_work_mem = '256MB'")
            rebuild = await _drop_secondary_indexes(db) if last - first >= _BULK else []
            await db.execute(
                "INSERT INTO therapists (id, telegram_id, name, timezone, language, active,"
                " digest_enabled, created_at) SELECT DISTINCT (n - 1) / 100 + 1,"
                " 5000000 + (n - 1) / 100, 'Dr. T' || ((n - 1) / 100 + 1), 'UTC', 'en', true,"
                f" true, $3::timestamptz FROM {series} ON CONFLICT DO NOTHING",
                first, last, now,
            )  # fmt: skip
            await db.execute(
                "INSERT INTO couples (id, public_id, therapist_id, label, created_at)"
                " SELECT n, 'b' || n, (n - 1) / 100 + 1, 'Couple ' || n, $3::timestamptz"
                f" FROM {series}",
                first, last, now,
            )  # fmt: skip
            for slot in (1, 2):
                await db.execute(
                    "INSERT INTO partners (id, couple_id, slot, telegram_id, display_name,"
                    " timezone, delivery_time, language, share_with_therapist,"
                    " share_with_partner, setup_done, is_current, consented_at, joined_at,"
                    " quiet_start, quiet_end, neutral_notifications)"
                    f" SELECT 2 * n - 2 + {slot}, n, {slot}, {TG_BASE} + 2 * n - 2 + {slot},"
                    f" 'P' || (2 * n - 2 + {slot}), $3, '09:00', 'en', false, true, true, true,"
                    f" $4::timestamptz, $4::timestamptz, $5, $6, false FROM {series}",
                    first, last, zone, now, *quiet,
                )  # fmt: skip
            await db.execute(
                "INSERT INTO assignments (id, couple_id, set_slug, start_date, status,"
                f" created_at) SELECT n, n, $3, $4::date, 'active', $5::timestamptz FROM {series}",
                first, last, SET_SLUG, due.date(), now,
            )  # fmt: skip
            for slot in (1, 2):
                await db.execute(
                    "INSERT INTO deliveries (assignment_id, partner_id, day, item,"
                    " exercise_slug, local_date, scheduled_at, due_at, status, attempts,"
                    " unknown_outcomes, reminders_sent) SELECT n,"
                    f" 2 * n - 2 + {slot}, 1, 0, $4, $5::date, {due_expr}, {due_expr}, 'planned',"
                    f" 0, 0, 0 FROM {series}",
                    first, last, due, DAY1_EXERCISE, due.date(),
                )  # fmt: skip
            for definition in rebuild:  # one sorted build each, not 1M insertions each
                await db.execute(definition)
            # Later inserts through the ORM take ids from the sequences: move them past ours.
            for table in ("therapists", "couples", "partners", "assignments"):
                await db.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                    f" (SELECT max(id) FROM {table}))"
                )
        await db.execute("ANALYZE")
    finally:
        await db.close()


_BULK = 100_000  # from this many couples, indexes are rebuilt rather than maintained
_SEEDED_TABLES = ["therapists", "couples", "partners", "assignments", "deliveries"]


async def _drop_secondary_indexes(db: asyncpg.Connection) -> list[str]:
    """Drop the indexes that back no constraint; return the statements to recreate them."""
    rows = await db.fetch(
        "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public'"
        " AND tablename = ANY($1::text[])"
        " AND indexname NOT IN (SELECT conname FROM pg_constraint)",
        _SEEDED_TABLES,
    )
    for row in rows:
        await db.execute(f'DROP INDEX "{row["indexname"]}"')
    return [row["indexdef"] for row in rows]


async def add_due(url: str, assignment_ids: range, *, day: int, due: datetime) -> None:
    """Make one more occurrence (set day `day`) due at `due` for each of these couples."""
    first, last = assignment_ids.start, assignment_ids.stop - 1
    local_date = (due - timedelta(days=0)).date()
    if is_sqlite(url):

        def run() -> None:
            path = make_url(url).database
            assert path is not None
            db = sqlite3.connect(path, isolation_level=None)
            try:
                db.execute(
                    "WITH RECURSIVE seq(n) AS (SELECT ? UNION ALL SELECT n + 1 FROM seq"
                    " WHERE n < ?) INSERT INTO deliveries (assignment_id, partner_id, day,"
                    " item, exercise_slug, local_date, scheduled_at, due_at, status, attempts,"
                    " unknown_outcomes, reminders_sent) SELECT n, 2 * n - 2 + s.slot, ?, 0,"
                    " ?, ?, ?, ?, 'planned', 0, 0, 0 FROM seq,"
                    " (SELECT 1 AS slot UNION ALL SELECT 2) AS s",
                    (first, last, day, DAY1_EXERCISE, local_date.isoformat(),
                     _sqlite_time(due), _sqlite_time(due)),
                )  # fmt: skip
            finally:
                db.close()

        await asyncio.to_thread(run)
        return
    db = await asyncpg.connect(libpq_dsn(url))
    try:
        await db.execute(
            "INSERT INTO deliveries (assignment_id, partner_id, day, item, exercise_slug,"
            " local_date, scheduled_at, due_at, status, attempts, unknown_outcomes,"
            "reminders_sent) SELECT n, 2 * n - 2 + s, $3, 0, $4, $5::date, $6::timestamptz,"
            " $6::timestamptz, 'planned', 0, 0,"
            " 0 FROM generate_series($1::int, $2::int) AS n, generate_series(1, 2) AS s",
            first, last, day, DAY1_EXERCISE, local_date, due,
        )  # fmt: skip
    finally:
        await db.close()


def sqlite_url(path: object) -> str:
    return f"sqlite+aiosqlite:///{path}"
