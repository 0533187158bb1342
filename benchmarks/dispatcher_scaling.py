"""Dispatcher scaling: the cost of one tick with 1k … 1M active assignments, 100 due.

Run: uv run python -m benchmarks.dispatcher_scaling [--quick] [--no-postgres]

For each backend the table grows step by step (seeded with plain SQL): every active
assignment has its next occurrence planned for each partner, spread over the next day,
and 100 deliveries (50 couples) are due now. A tick is the real `Dispatcher.tick()` with
a bot that answers at once. Per size, medians of several ticks:

- idle tick: nothing due (reclaim, claim, reminders find nothing);
- claim + plan: the tick's database work with 100 due, i.e. the time spent inside its
  transactions, commits included: reclaim, claim, load, record the 100 answers, plan
  each partner's next day, look for reminders (issue 8's "planning and claiming cost");
- full tick: the same tick end to end, rendering and the 100 (instant) sends included.

Target (issue 8): claim + plan over 1M within 2x of 1k, and under 50 ms. At the largest
size every statement of a tick (and of its rarer paths: reminders, blocked partners,
unknown outcomes, held deliveries) is also run through EXPLAIN (QUERY PLAN on SQLite),
and any full scan of a table is reported.
"""

from __future__ import annotations

import asyncio
import re
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet
from sqlalchemy import event
from sqlmodel.ext.asyncio.session import AsyncSession

from benchmarks import seed
from benchmarks.common import (
    arguments,
    create_postgres_database,
    drop_postgres_database,
    median,
    postgres_available,
    stopwatch,
    write_results,
)
from benchmarks.stubs import InstantBot, PhaseTimer
from bot.clock import ManualClock
from bot.db.engine import Database
from bot.delivery.dispatcher import DispatchConfig, Dispatcher
from bot.delivery.notices import NoticeSender
from bot.library import Library, load_library
from bot.services import deliveries, reminders
from bot.services.crypto import Box
from bot.services.deliveries import Decision, Outcome, SendResult
from bot.services.pacing import Pacer

BOX = Box([Fernet.generate_key()])

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
TOMORROW = NOW + timedelta(days=1)
DUE_COUPLES = 50  # 100 deliveries due per measured tick
REPEATS = 7
SIZES = [1_000, 10_000, 100_000, 1_000_000]
QUICK_SIZES = [1_000, 10_000]
TARGET_MS = 50.0
TARGET_RATIO = 2.0


class TimedDatabase(Database):
    """A Database that adds up the wall time spent inside its transactions."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.seconds = 0.0
        self.transactions = 0

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        start = time.perf_counter()
        try:
            async with super().session() as session:
                yield session
        finally:
            self.seconds += time.perf_counter() - start
            self.transactions += 1

    def reset(self) -> None:
        self.seconds, self.transactions = 0.0, 0


class StatementLog:
    """Records the distinct SQL statements (with a first set of parameters) run meanwhile."""

    def __init__(self, database: Database) -> None:
        self.statements: dict[str, Any] = {}
        self.on = False
        target = database.engine.sync_engine

        @event.listens_for(target, "before_cursor_execute")
        def _record(_c: Any, _cur: Any, sql: str, params: Any, _ctx: Any, many: bool) -> None:
            if self.on and sql.lstrip().split(None, 1)[0].upper() in _EXPLAINABLE:
                # executemany: a list of rows (a batched INSERT sends one flat row).
                first = params[0] if many and isinstance(params, list) and params else params
                self.statements.setdefault(sql, first if first is not None else ())


_EXPLAINABLE = {"SELECT", "UPDATE", "INSERT", "DELETE", "WITH"}
# SQLite: "SCAN t" reads a table in full ("SEARCH t USING INDEX" does not); PostgreSQL: "Seq Scan".
_FULL_SCAN = re.compile(
    r"\bSCAN (?!CONSTANT|\d+ CONSTANT)(\w+)(?! USING (?:COVERING )?INDEX)|Seq Scan on (\w+)"
)


async def explain(database: Database, statements: dict[str, Any]) -> list[dict[str, Any]]:
    """EXPLAIN each statement; list its plan and any table it reads in full."""
    prefix = "EXPLAIN QUERY PLAN " if database.is_sqlite else "EXPLAIN "
    plans = []
    async with database.engine.connect() as connection:
        for sql, params in statements.items():
            result = await connection.exec_driver_sql(prefix + sql, params)
            lines = [str(row[-1] if database.is_sqlite else row[0]) for row in result.all()]
            scans = sorted({a or b for line in lines for a, b in _FULL_SCAN.findall(line)})
            plans.append({"sql": " ".join(sql.split())[:160], "plan": lines, "full_scans": scans})
        await connection.rollback()
    return plans


async def rare_paths(database: Database, library: Library) -> None:
    """Run, and roll back, the tick's statements a tick with 100 plain sends does not use:
    reminders, a blocked partner, an unknown outcome, held and postponed deliveries."""
    async with database.session() as session:
        jobs = await deliveries.load_jobs(session=session, ids=[1, 2, 3, 4])
        await reminders.next_items_arrived(session=session, deliveries=[j.delivery for j in jobs])
        await reminders.reschedule(session=session, at={1: NOW})
        await reminders.mark_reminded(session=session, ids=[1, 2])
        answers = [SendResult(Outcome.BLOCKED), SendResult(Outcome.UNKNOWN)]
        await deliveries.settle_send(
            session=session, now=NOW, library=library, remind_after=timedelta(hours=6),
            retry_backoff=timedelta(seconds=30), results=list(zip(jobs[:2], answers, strict=True)),
        )  # fmt: skip
        await deliveries.settle_decisions(
            session=session, library=library,
            decided=[(jobs[2], Decision.HOLD, None), (jobs[3], Decision.POSTPONE, NOW)],
        )  # fmt: skip
        await session.rollback()


async def measure_backend(url: str, sizes: list[int]) -> dict[str, Any]:
    await seed.migrate_fresh(url)
    library = load_library().library
    database = TimedDatabase(url)
    log = StatementLog(database)
    timer = PhaseTimer()
    for name in ("reclaim_expired", "claim_due", "load_jobs", "settle_send"):
        timer.wrap(deliveries, name)
    timer.wrap(reminders, "claim_due", "reminders.claim_due")
    rows: list[dict[str, Any]] = []
    plans: list[dict[str, Any]] = []
    seeded = 0
    round_ = 0
    try:
        for size in sizes:
            with stopwatch() as seeding:
                await seed.seed_couples(url, seeded + 1, size, due=TOMORROW, spread_s=86_400)
            seeded = size
            clock = ManualClock(NOW)
            dispatcher = Dispatcher(
                database=database, library=library, clock=clock, bot=InstantBot(),  # type: ignore[arg-type]
                pacer=Pacer(1e9, per_chat_interval=0.0),
                notices=NoticeSender(database=database, crypto=BOX, clock=clock, pacer=Pacer(1e9)),
                # One send at a time, as the pacer spaces them in production; the results
                # still reach the recorder faster than it commits, as in a real burst.
                config=DispatchConfig(batch=2 * DUE_COUPLES, concurrency=1),
            )  # fmt: skip
            idle, busy, db, transactions, phases = [], [], [], [], []
            await dispatcher.tick()  # warm up connections and caches
            for rep in range(REPEATS):
                clock.set(NOW + timedelta(minutes=round_))
                with stopwatch() as took:
                    await dispatcher.tick()
                idle.append(took[0])
                # Distinct days, three apart: the next day each tick plans never collides.
                first = rep * DUE_COUPLES + 1
                await seed.add_due(
                    url, range(first, first + DUE_COUPLES), day=2 + 3 * round_, due=clock.now()
                )
                round_ += 1
                timer.reset()
                database.reset()
                log.on = size == sizes[-1] and rep == REPEATS - 1
                with stopwatch() as took:
                    report = await dispatcher.tick()
                log.on = False
                assert report.sent == 2 * DUE_COUPLES, report
                busy.append(took[0])
                db.append(database.seconds)
                transactions.append(database.transactions)
                phases.append(dict(timer.seconds))

            def ms(values: list[float]) -> float:
                return round(median(values) * 1000, 2)

            row = {
                "assignments": size,
                "seed_s": round(seeding[0], 2),
                "idle_tick_ms": ms(idle),
                "claim_plan_ms": ms(db),
                "claim_plan_ms_all": [round(t * 1000, 2) for t in db],
                "tick_ms": ms(busy),
                "transactions": median([float(t) for t in transactions]),
                # Statement time alone (no commits): reclaim + claim + load ...
                "claim_statements_ms": ms(
                    [p["reclaim_expired"] + p["claim_due"] + p["load_jobs"] for p in phases]
                ),
                # ... and record the 100 answers + plan the next day.
                "record_plan_statements_ms": ms([p["settle_send"] for p in phases]),
                "reminders_ms": ms([p["reminders.claim_due"] for p in phases]),
            }
            print(row, flush=True)
            rows.append(row)
        log.on = True
        await rare_paths(database, library)
        log.on = False
        plans = await explain(database, log.statements)
        for plan in plans:
            if plan["full_scans"]:
                print("FULL SCAN", plan["full_scans"], plan["sql"], flush=True)
    finally:
        timer.restore()
        await database.dispose()
    return {"rows": rows, **verdict(rows), "query_plans": plans}


def verdict(rows: list[dict[str, Any]]) -> dict[str, Any]:
    small, large = rows[0], rows[-1]

    def ratio(key: str) -> float:
        return round(large[key] / small[key], 2) if small[key] else 0.0

    return {
        "claim_plan_ratio_largest_to_smallest": ratio("claim_plan_ms"),
        "claim_plan_within_2x": ratio("claim_plan_ms") <= TARGET_RATIO,
        "largest_claim_plan_under_50ms": large["claim_plan_ms"] < TARGET_MS,
        "idle_ratio_largest_to_smallest": ratio("idle_tick_ms"),
        "tick_ratio_largest_to_smallest": ratio("tick_ms"),
        "largest_tick_under_50ms": large["tick_ms"] < TARGET_MS,
    }


async def main() -> None:
    args = arguments(__doc__ or "")
    sizes = QUICK_SIZES if args.quick else SIZES
    figures: dict[str, Any] = {"sizes": sizes, "due_per_tick": 2 * DUE_COUPLES}
    with stopwatch() as took, tempfile.TemporaryDirectory() as tmp:
        url = seed.sqlite_url(Path(tmp) / "scaling.db")
        figures["sqlite"] = await measure_backend(url, sizes)
    figures["sqlite_run_s"] = round(took[0], 1)
    if not args.no_postgres and await postgres_available():
        url = await create_postgres_database()
        try:
            with stopwatch() as took:
                figures["postgresql"] = await measure_backend(url, sizes)
            figures["postgresql_run_s"] = round(took[0], 1)
        finally:
            await drop_postgres_database(url)
    for backend in ("sqlite", "postgresql"):
        if backend in figures:
            result = {k: v for k, v in figures[backend].items() if k not in ("rows", "query_plans")}
            print(backend, result)
    write_results("dispatcher_scaling", figures)


if __name__ == "__main__":
    asyncio.run(main())
