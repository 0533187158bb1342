"""Dispatcher scaling: the cost of one tick with 1k … 1M active assignments, 100 due.

Run: uv run python -m benchmarks.dispatcher_scaling [--quick] [--no-postgres]

For each backend the table grows step by step (seeded with plain SQL): every active
assignment has its next occurrence planned for each partner, spread over the next day,
and 100 deliveries (50 couples) are due now. A tick is the real `Dispatcher.tick()` with
a bot that answers at once, so what is measured is the engine's own work: reclaim,
claim, load, decide, render, record, plan the next day, look for reminders.
Target (issue 8): a tick over 1M costs within 2x of a tick over 1k, and under 50 ms.
"""

from __future__ import annotations

import asyncio
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

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
from bot.library import load_library
from bot.services import deliveries, reminders
from bot.services.pacing import Pacer

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
TOMORROW = NOW + timedelta(days=1)
DUE_COUPLES = 50  # 100 deliveries due per measured tick
REPEATS = 5
SIZES = [1_000, 10_000, 100_000, 1_000_000]
QUICK_SIZES = [1_000, 10_000]


async def measure_backend(url: str, sizes: list[int]) -> list[dict[str, Any]]:
    await seed.migrate_fresh(url)
    library = load_library().library
    database = Database(url)
    timer = PhaseTimer()
    for name in ("reclaim_expired", "claim_due", "load_jobs", "settle_send"):
        timer.wrap(deliveries, name)
    timer.wrap(reminders, "claim_due", "reminders.claim_due")
    rows: list[dict[str, Any]] = []
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
                # One send at a time: in production the pacer spaces sends 40 ms apart, so
                # their records never queue for SQLite's write lock; with a bot that answers
                # instantly, 16 in flight would measure that lock, not the engine.
                config=DispatchConfig(batch=2 * DUE_COUPLES, concurrency=1),
            )  # fmt: skip
            idle, busy, phases = [], [], []
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
                with stopwatch() as took:
                    report = await dispatcher.tick()
                assert report.sent == 2 * DUE_COUPLES, report
                busy.append(took[0])
                phases.append(dict(timer.seconds))
            row = {
                "assignments": size,
                "seed_s": round(seeding[0], 2),
                "idle_tick_ms": round(median(idle) * 1000, 2),
                "tick_ms": round(median(busy) * 1000, 2),
                "tick_ms_all": [round(t * 1000, 2) for t in busy],
                "claim_ms": round(
                    median([p["reclaim_expired"] + p["claim_due"] + p["load_jobs"] for p in phases])
                    * 1000,
                    2,
                ),
                # settle_send: record the answer and plan the next day (inside the
                # transaction); the rest of the tick is mostly the 100 commits themselves.
                "record_and_plan_ms": round(median([p["settle_send"] for p in phases]) * 1000, 2),
                "per_delivery_ms": round(median(busy) * 1000 / (2 * DUE_COUPLES), 2),
                "reminders_ms": round(median([p["reminders.claim_due"] for p in phases]) * 1000, 2),
            }
            print(row, flush=True)
            rows.append(row)
    finally:
        timer.restore()
        await database.dispose()
    return rows


def verdict(rows: list[dict[str, Any]]) -> dict[str, Any]:
    small, large = rows[0], rows[-1]

    def ratio(key: str) -> float:
        return round(large[key] / small[key], 2) if small[key] else 0.0

    return {
        "tick_ratio_largest_to_smallest": ratio("tick_ms"),
        "claim_ratio_largest_to_smallest": ratio("claim_ms"),
        "idle_ratio_largest_to_smallest": ratio("idle_tick_ms"),
        "tick_within_2x": ratio("tick_ms") <= 2.0,
        "claim_within_2x": ratio("claim_ms") <= 2.0,
        "largest_tick_under_50ms": large["tick_ms"] < 50.0,
        "largest_claim_under_50ms": large["claim_ms"] < 50.0,
    }


async def main() -> None:
    args = arguments(__doc__ or "")
    sizes = QUICK_SIZES if args.quick else SIZES
    figures: dict[str, Any] = {"sizes": sizes, "due_per_tick": 2 * DUE_COUPLES}
    with tempfile.TemporaryDirectory() as tmp:
        url = seed.sqlite_url(Path(tmp) / "scaling.db")
        rows = await measure_backend(url, sizes)
        figures["sqlite"] = {"rows": rows, **verdict(rows)}
    if not args.no_postgres and await postgres_available():
        url = await create_postgres_database()
        try:
            rows = await measure_backend(url, sizes)
            figures["postgresql"] = {"rows": rows, **verdict(rows)}
        finally:
            await drop_postgres_database(url)
    write_results("dispatcher_scaling", figures)


if __name__ == "__main__":
    asyncio.run(main())
