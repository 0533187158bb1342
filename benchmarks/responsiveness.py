"""Responsiveness under load, in real time: button presses answered during a fan-out.

Run: uv run python -m benchmarks.responsiveness [--quick]

The real Application (long polling, its JobQueue ticking the dispatcher every 2 s at
DELIVERY_RATE 25) fans out to 1,000 couples due at once, through the fake Bot API with
Telegram's limits (30/s overall, 1/s per chat). 200 partners press "Later: 1 hour",
then "Done" on their exercise as it arrives. Measured: the time from each press to the
bot's answerCallbackQuery (target p99 < 500 ms), and the real sending rate. Replies and
the broadcast share one pacer (bot/delivery/limiter.py), and updates from different
people are handled concurrently (bot/update_processor.py).
"""

from __future__ import annotations

import asyncio
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from benchmarks import seed
from benchmarks.common import arguments, peak_rss_mb, percentile, write_results
from benchmarks.fanout import TOKEN, exercise_dates, tally, throughput
from bot.app import ALLOWED_UPDATES, build_application
from bot.clock import SystemClock
from bot.config import Settings
from tests.fakebotapi import FakeTelegram, FakeUser, RateLimits, Window

# 30/s overall; per private chat the fake's model of Telegram: about 1/s with short bursts
# (3 in 3 s). With a strict 1/s, a reply within a second of the exercise is refused.
LIMITS = RateLimits(overall=Window(30, 1.0), private_chat=Window(3, 3.0))


async def presser(
    user: FakeUser, tg: FakeTelegram, latencies: list[float], unanswered: list[str]
) -> None:
    """Wait for the exercise, then press two of its buttons like a person would."""
    deadline = time.monotonic() + 600
    while not any("\nDay " in (m.text or "") for m in user.messages):
        if time.monotonic() > deadline:
            break
        await asyncio.sleep(0.1)
    exercise = next((m for m in user.messages if "\nDay " in (m.text or "")), None)
    if exercise is None:
        return
    for label in ("Later: 1 hour", "Done"):
        await asyncio.sleep(random.uniform(1.0, 5.0))
        pressed = time.perf_counter()
        query = await user.press(exercise, label)
        try:
            answered = partial(tg.answers.__contains__, query)
            await tg.wait_until(answered, timeout=30, message="answer")
        except AssertionError:
            unanswered.append(query)
            continue
        latencies.append(time.perf_counter() - pressed)


async def run(couples: int, pressers: int) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="twofold-resp-"))
    url = seed.sqlite_url(tmp / "resp.db")
    await seed.migrate_fresh(url)
    start = datetime.now(UTC) + timedelta(seconds=5)
    await seed.seed_couples(url, 1, couples, due=start)
    chats = [seed.telegram_id(p) for p in range(1, 2 * couples + 1)]
    random.seed(8)
    async with FakeTelegram(token=TOKEN, rate_limits=LIMITS) as tg:
        for chat_id in chats:
            tg.user(chat_id, f"P{chat_id - seed.TG_BASE}")
        settings = Settings(
            _env_file=None,
            telegram_bot_token=TOKEN, database_url=url,
            telegram_api_base_url=tg.base_url, telegram_api_file_url=tg.base_file_url,
            heartbeat_file=tmp / "heartbeat", encryption_key_file=tmp / "twofold.key",
            dispatch_interval_seconds=2, delivery_rate=25,
        )  # fmt: skip
        app = build_application(settings, clock=SystemClock())
        latencies: list[float] = []
        unanswered: list[str] = []
        async with app:
            assert app.post_init is not None and app.updater is not None
            await app.post_init(app)
            await app.start()
            await app.updater.start_polling(
                poll_interval=0.0, timeout=10, allowed_updates=ALLOWED_UPDATES
            )
            began = time.perf_counter()
            # Pressers spread over the whole fan-out: every n-th couple's first partner.
            step = max(1, couples // pressers)
            chosen = [tg.user(chats[2 * k * step]) for k in range(min(pressers, couples))]
            tasks = [asyncio.create_task(presser(u, tg, latencies, unanswered)) for u in chosen]
            total = 2 * couples
            while time.perf_counter() - began < 600:
                sent = len(tg.calls_to("sendMessage")) - tg.rate_limit_stats.total_429
                if sent >= total:
                    break
                await asyncio.sleep(1.0)
            try:
                await asyncio.wait_for(asyncio.gather(*tasks), timeout=120)
            finally:
                await app.updater.stop()
                await app.stop()
                assert app.post_shutdown is not None
                await app.post_shutdown(app)
        dates = exercise_dates(tg, chats)
        counted = tally({c: len(d) for c, d in dates.items()}, chats)
        times = [(d - start).total_seconds() for ds in dates.values() for d in ds]
        stats = tg.rate_limit_stats
    return {
        "couples": couples,
        "deliveries": 2 * couples,
        "pressers": min(pressers, couples),
        "presses_answered": len(latencies),
        "presses_unanswered": len(unanswered),
        "callback_p50_ms": round(percentile(latencies, 50) * 1000, 1),
        "callback_p99_ms": round(percentile(latencies, 99) * 1000, 1),
        "callback_max_ms": round(max(latencies) * 1000, 1) if latencies else None,
        "throughput_real": throughput(times),
        "lost": counted.lost,
        "duplicated": counted.duplicated,
        "429_answers": stats.total_429,
        "sent_during_retry_after": stats.violations,
        "peak_rss_mb_bot_and_fake": round(peak_rss_mb(), 1),
    }


async def main() -> None:
    args = arguments(__doc__ or "")
    figures = await run(200 if args.quick else 1_000, 50 if args.quick else 200)
    figures["targets"] = {
        "p99_under_500ms": figures["callback_p99_ms"] < 500 and figures["presses_unanswered"] == 0,
        "throughput_pct_of_configured": round(
            100 * figures["throughput_real"]["overall_per_s"] / 25, 1
        ),
    }
    write_results("responsiveness", figures)


if __name__ == "__main__":
    asyncio.run(main())
