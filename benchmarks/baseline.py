"""Baseline side by side: one PTB JobQueue `run_daily` job per partner vs the DB dispatcher.

Run: uv run python -m benchmarks.baseline [--quick]

Both at 100,000 partners (50,000 couples), each side in a fresh process of its own:
- PTB: an Application with its JobQueue; 100,000 `run_daily` jobs are added and the
  scheduler started (what a bot that keeps one job per partner does at every start).
- Twofold: the same partners' deliveries are rows; start-up is opening the database,
  loading the library, building the dispatcher and running its first tick.
Measured: start-up time, and memory (RSS) added over the process after imports.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from datetime import time as day_time
from pathlib import Path
from typing import Any

from benchmarks import seed
from benchmarks.common import arguments, rss_mb, write_results

TOKEN = "123456:TEST-token-never-logged"


async def _ptb_side(partners: int) -> dict[str, Any]:
    from telegram.ext import ApplicationBuilder, CallbackContext

    app = ApplicationBuilder().token(TOKEN).build()
    assert app.job_queue is not None
    before = rss_mb()

    async def deliver(context: CallbackContext) -> None:  # type: ignore[type-arg]
        """Would send this partner's exercise."""

    started = time.perf_counter()
    for n in range(partners):
        app.job_queue.run_daily(
            deliver, day_time(9, n % 60, tzinfo=UTC), chat_id=seed.telegram_id(n + 1),
            name=f"partner-{n + 1}", data={"partner": n + 1},
        )  # fmt: skip
    await app.job_queue.start()
    took = time.perf_counter() - started
    jobs = len(app.job_queue.jobs())
    await app.job_queue.stop()
    return {"startup_s": round(took, 2), "rss_added_mb": round(rss_mb() - before, 1), "jobs": jobs}


async def _twofold_side(url: str) -> dict[str, Any]:
    from benchmarks.stubs import InstantBot
    from bot.clock import ManualClock
    from bot.db.engine import Database
    from bot.delivery.dispatcher import DispatchConfig, Dispatcher
    from bot.library import load_library
    from bot.services.pacing import Pacer

    before = rss_mb()
    started = time.perf_counter()
    from cryptography.fernet import Fernet

    from bot.delivery.notices import NoticeSender
    from bot.services.crypto import Box

    database = Database(url)
    clock, pacer = ManualClock(datetime(2026, 11, 23, 8, 0, tzinfo=UTC)), Pacer(25)
    notices = NoticeSender(
        database=database, crypto=Box([Fernet.generate_key()]), clock=clock, pacer=pacer
    )
    dispatcher = Dispatcher(
        database=database, library=load_library().library, clock=clock,
        bot=InstantBot(), pacer=pacer, config=DispatchConfig(), notices=notices,  # type: ignore[arg-type]
    )  # fmt: skip
    report = await dispatcher.tick()
    took = time.perf_counter() - started
    added = rss_mb() - before
    await database.dispose()
    return {"startup_s": round(took, 3), "rss_added_mb": round(added, 1), "sent": report.sent}


def _child(kind: str, arg: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.baseline", "--side", kind, arg],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


async def main() -> None:
    if len(sys.argv) >= 4 and sys.argv[1] == "--side":
        kind, arg = sys.argv[2], sys.argv[3]
        result = await (_ptb_side(int(arg)) if kind == "ptb" else _twofold_side(arg))
        print(json.dumps(result))
        return
    args = arguments(__doc__ or "")
    partners = 10_000 if args.quick else 100_000
    with tempfile.TemporaryDirectory() as tmp:
        url = seed.sqlite_url(Path(tmp) / "baseline.db")
        await seed.migrate_fresh(url)
        due = datetime(2026, 11, 23, 9, 0, tzinfo=UTC) + timedelta(days=0)
        await seed.seed_couples(url, 1, partners // 2, due=due, spread_s=3600)
        ptb = await asyncio.to_thread(_child, "ptb", str(partners))
        twofold = await asyncio.to_thread(_child, "twofold", url)
    figures = {
        "partners": partners,
        "ptb_jobqueue": ptb,
        "twofold": twofold,
        "startup_ratio_ptb_over_twofold": round(
            ptb["startup_s"] / max(twofold["startup_s"], 1e-3), 1
        ),
        "memory_ratio_ptb_over_twofold": round(
            ptb["rss_added_mb"] / max(twofold["rss_added_mb"], 0.1), 1
        ),
    }
    write_results("baseline", figures)


if __name__ == "__main__":
    asyncio.run(main())
