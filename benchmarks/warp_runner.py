"""The bot side of a warped-time fan-out, in a process of its own (so its memory is its own).

Started by benchmarks.fanout and benchmarks.webhook_instances; not run by hand. Runs
`--instances` real Applications (webhook mode when `--webhook` is given) on one
database, each with its dispatcher driven as PTB's JobQueue would drive it, until
nothing is due; prints `DONE <json>`, then waits for "stop" on stdin.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

from sqlalchemy import text

import bot.app
from benchmarks.common import peak_rss_mb, rss_mb
from benchmarks.warp import CountedDatabase, CountedRequest, SharedClock, Warp, job_queue
from bot.app import build_application
from bot.config import Settings
from bot.context import TwofoldApp
from bot.services.pacing import Pacer

TOKEN = "123456:TEST-token-never-logged"  # the same as tests/e2e.py
SECRET = "benchmark-webhook-secret-0123456789"
LIMIT_S = 900.0  # real seconds: a stuck run stops by itself


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", required=True)
    parser.add_argument("--tg", required=True, help="the fake's base URL (…/bot)")
    parser.add_argument("--clock", required=True, type=Path)
    parser.add_argument("--tmp", required=True, type=Path)
    parser.add_argument("--rate", type=float, default=25.0)
    parser.add_argument("--interval", type=float, default=2.0)
    parser.add_argument("--instances", type=int, default=1)
    parser.add_argument("--webhook", default=None, help="the URL Telegram should post to")
    parser.add_argument("--ports", default="", help="comma-separated, one per instance")
    return parser.parse_args()


async def main() -> None:
    args = parse()
    clock = SharedClock(args.clock)
    warp = Warp(clock)
    # Instrumentation only: the app's own classes, marking real work for the warp.
    CountedRequest.warp = CountedDatabase.warp = warp
    bot.app.HTTPXRequest = CountedRequest  # type: ignore[attr-defined]
    bot.app.Database = CountedDatabase  # type: ignore[attr-defined]
    advancer = asyncio.create_task(warp.run())
    ports = [int(p) for p in args.ports.split(",") if p]
    apps: list[TwofoldApp] = []
    started = time.perf_counter()
    for index in range(args.instances):
        settings = Settings(
            _env_file=None,
            telegram_bot_token=TOKEN,
            database_url=args.db,
            telegram_api_base_url=args.tg,
            telegram_api_file_url=args.tg.replace("/bot", "/file/bot"),
            heartbeat_file=args.tmp / f"heartbeat{index}",
            encryption_key_file=args.tmp / "twofold.key",
            dispatch_interval_seconds=0,  # driven below, on the warped clock
            delivery_rate=args.rate,
            webhook_url=args.webhook,
            webhook_secret=SECRET if args.webhook else None,
        )
        pacer = Pacer(args.rate, monotonic=clock.monotonic, sleep=warp.sleep)
        app = build_application(settings, clock=clock, pacer=pacer)
        await app.initialize()
        assert app.post_init is not None
        await app.post_init(app)
        await app.start()
        if args.webhook:
            assert app.updater is not None
            await app.updater.start_webhook(
                listen="127.0.0.1", port=ports[index], url_path="tg",
                webhook_url=args.webhook, secret_token=SECRET,
                allowed_updates=bot.app.ALLOWED_UPDATES,
            )  # fmt: skip
        apps.append(app)
    startup_s = time.perf_counter() - started
    rss_after_start = rss_mb()
    probe = CountedDatabase(args.db)
    totals: dict[str, Any] = {"claimed": 0, "sent": 0, "retried": 0, "unknown": 0, "failed": 0}

    async def done() -> bool:
        if time.perf_counter() - started > LIMIT_S:
            return True
        async with probe.session() as session:
            left = (
                await session.exec(  # type: ignore[call-overload]
                    text(
                        "SELECT count(*) FROM deliveries WHERE status = 'sending'"
                        " OR (status = 'planned' AND due_at <= :now)"
                    ),
                    params={"now": _db_time(args.db, clock)},
                )
            ).one()[0]
        return int(left) == 0

    def ticker(app: TwofoldApp) -> Any:
        async def tick() -> None:
            report = await app.bot_data.services.dispatcher.tick()  # type: ignore[union-attr]
            for key in totals:
                totals[key] += getattr(report, key)

        return tick

    v0, wall0 = clock.monotonic(), time.perf_counter()
    runs = await asyncio.gather(
        *(job_queue(ticker(app), warp, args.interval, done) for app in apps)
    )
    result = {
        "wall_s": round(time.perf_counter() - wall0, 2),
        "virtual_s": round(clock.monotonic() - v0, 2),
        "skipped_s": round(clock.skipped(), 2),
        "jumps": warp.jumps,
        "ticks": runs,
        "startup_s": round(startup_s, 2),
        "rss_after_start_mb": round(rss_after_start, 1),
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "timed_out": time.perf_counter() - started > LIMIT_S,
        **totals,
    }
    print("DONE " + json.dumps(result), flush=True)
    # Keep serving (button presses still in flight) until told to stop.
    await asyncio.to_thread(sys.stdin.readline)
    for app in apps:
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
        await app.stop()
        assert app.post_shutdown is not None
        await app.post_shutdown(app)
        await app.shutdown()
    await probe.dispose()
    advancer.cancel()
    clock.close()


def _db_time(url: str, clock: SharedClock) -> Any:
    now = clock.now()
    return now.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f") if "sqlite" in url else now


if __name__ == "__main__":
    asyncio.run(main())
