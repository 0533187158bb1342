"""Fan-out at the limit: 10,000 couples (20,000 deliveries) due in the same minute.

Run: uv run python -m benchmarks.fanout [--quick]

The fake Telegram Bot API enforces 30 messages/s overall and 1 message/s per chat with
real 429 answers and retry_after. The bot (a real Application with its dispatcher,
DELIVERY_RATE 25, ticking every 2 s as PTB's JobQueue does) runs in a process of its own,
in warped time (benchmarks/warp.py): database and HTTP work take real time, idle waits
for the pacer's next slot are skipped, and the fake reads the same clock.
Targets: throughput >= 95% of the configured rate; 0 lost, 0 duplicated, 0 requests
while a retry_after was in force; partners within 5 s of each other; peak RSS < 250 MB.
"""

from __future__ import annotations

import asyncio
import gc
import tempfile
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import text

from benchmarks import seed
from benchmarks.common import arguments, percentile, stopwatch, write_results
from benchmarks.warp import SharedClock
from bot.db.engine import Database
from tests.fakebotapi import FakeTelegram, RateLimits, Window

TOKEN = "123456:TEST-token-never-logged"
START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # the minute everything is due
TELEGRAM_LIMITS = RateLimits(overall=Window(30, 1.0), private_chat=Window(1, 1.0))


@dataclass
class Tally:
    """What the partners received: the counting behind "0 lost, 0 duplicated"."""

    expected: int
    received: int
    lost: int
    duplicated: int


def tally(received_per_chat: dict[int, int], expected_chats: list[int]) -> Tally:
    """Compare exercises received per chat with the chats that should get exactly one."""
    lost = sum(1 for chat in expected_chats if received_per_chat.get(chat, 0) == 0)
    duplicated = sum(max(0, n - 1) for n in received_per_chat.values())
    unexpected = set(received_per_chat) - set(expected_chats)
    duplicated += sum(received_per_chat[c] for c in unexpected)  # sent where nothing was due
    return Tally(len(expected_chats), sum(received_per_chat.values()), lost, duplicated)


def throughput(times: list[float], window_s: float = 10.0) -> dict[str, float]:
    """Messages per second from first to last, and the slowest full window."""
    if len(times) < 2:
        return {"overall_per_s": 0.0, "slowest_window_per_s": 0.0, "duration_s": 0.0}
    ordered = sorted(times)
    span = ordered[-1] - ordered[0]
    counts = Counter(int((t - ordered[0]) // window_s) for t in ordered)
    full = [counts.get(w, 0) / window_s for w in range(int(span // window_s))]
    return {
        "overall_per_s": round((len(ordered) - 1) / span, 2) if span else 0.0,
        "slowest_window_per_s": round(min(full), 2) if full else 0.0,
        "duration_s": round(span, 1),
    }


def pair_gaps(dates: dict[int, list[datetime]], couples: int) -> list[float]:
    """Seconds between the two partners' exercises, per couple (partners 2n-1 and 2n)."""
    gaps = []
    for n in range(1, couples + 1):
        a = dates.get(seed.telegram_id(2 * n - 1))
        b = dates.get(seed.telegram_id(2 * n))
        if a and b:
            gaps.append(abs((a[0] - b[0]).total_seconds()))
    return gaps


def exercise_dates(tg: FakeTelegram, chats: list[int]) -> dict[int, list[datetime]]:
    """When each chat received a scheduled exercise (the fake's clock at acceptance)."""
    out: dict[int, list[datetime]] = {}
    for chat_id in chats:
        chat = tg.state.chats.get(chat_id)
        if chat is None:
            continue
        got = [m.date for m in chat.messages.values() if m.from_bot and "\nDay " in (m.text or "")]
        if got:
            out[chat_id] = got
    return out


async def statuses(url: str) -> dict[str, int]:
    database = Database(url)
    try:
        async with database.session() as session:
            rows = (
                await session.exec(  # type: ignore[call-overload]
                    text("SELECT status, count(*) FROM deliveries WHERE day = 1 GROUP BY status")
                )
            ).all()
    finally:
        await database.dispose()
    return {str(status): int(count) for status, count in rows}


async def run_warped(
    url: str,
    couples: int,
    *,
    instances: int = 1,
    rate: float = 25.0,
    webhook: bool = False,
    pressers: int = 0,
) -> dict[str, Any]:
    """Seed `couples` due at START, fan out in warped time, and count what arrived."""
    with stopwatch() as seeding:
        await seed.seed_couples(url, 1, couples, due=START)
    tmp = Path(tempfile.mkdtemp(prefix="twofold-fanout-"))
    clock = SharedClock(clock_path(tmp), start=START)
    try:
        with fake_without_gc_pauses():
            figures = await _fan_out(url, couples, tmp, clock, instances, rate, webhook, pressers)
    finally:
        clock.close()
    return {"seed_s": round(seeding[0], 2), **figures}


async def _fan_out(
    url: str,
    couples: int,
    tmp: Path,
    clock: SharedClock,
    instances: int,
    rate: float,
    webhook: bool,
    pressers: int,
) -> dict[str, Any]:
    from benchmarks.webhook_proxy import RoundRobin, free_port, press_when_delivered

    chats = [seed.telegram_id(p) for p in range(1, 2 * couples + 1)]
    async with FakeTelegram(
        token=TOKEN, clock=clock.monotonic, wall_clock=clock.now, rate_limits=TELEGRAM_LIMITS
    ) as tg:
        for chat_id in chats:
            tg.user(chat_id, f"P{chat_id - seed.TG_BASE}")
        extra: list[str] = []
        proxy = None
        if webhook:
            ports = [free_port() for _ in range(instances)]
            proxy = RoundRobin([f"http://127.0.0.1:{p}/tg" for p in ports])
            await proxy.start()
            extra = ["--webhook", proxy.url, "--ports", ",".join(map(str, ports))]
        child = await asyncio.create_subprocess_exec(
            *_python(), "-m", "benchmarks.warp_runner", "--db", url, "--tg", tg.base_url,
            "--clock", str(clock_path(tmp)), "--tmp", str(tmp), "--rate", str(rate),
            "--instances", str(instances), *extra,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
        presses: dict[str, Any] = {}
        press_task = None
        if pressers:
            press_task = asyncio.create_task(
                press_when_delivered(tg, chats[: 2 * pressers : 2], presses)
            )
        bot_side = await _read_done(child)
        if press_task is not None:
            await asyncio.wait_for(press_task, timeout=120)
        assert child.stdin is not None
        child.stdin.write(b"stop\n")
        await child.stdin.drain()
        await child.wait()
        if proxy is not None:
            await proxy.stop()
        dates = exercise_dates(tg, chats)
        counted = tally({c: len(d) for c, d in dates.items()}, chats)
        times = [(d - START).total_seconds() for ds in dates.values() for d in ds]
        gaps = pair_gaps(dates, couples)
        stats = tg.rate_limit_stats
        figures: dict[str, Any] = {
            "couples": couples,
            "deliveries": 2 * couples,
            "instances": instances,
            "rate_per_instance": rate,
            "bot": bot_side,
            "expected": counted.expected,
            "received": counted.received,
            "lost": counted.lost,
            "duplicated": counted.duplicated,
            "db_status_day1": await statuses(url),
            "throughput_virtual": throughput(times),
            "429_answers": stats.total_429,
            "429_by_scope": dict(stats.by_scope),
            "sent_during_retry_after": stats.violations,
            "partner_gap_max_s": round(max(gaps), 2) if gaps else None,
            "partner_gap_p99_s": round(percentile(gaps, 99), 2) if gaps else None,
            "partner_gap_over_5s": sum(1 for g in gaps if g > 5.0),
        }
        if pressers:
            figures["presses"] = presses
    return figures


@contextmanager
def fake_without_gc_pauses() -> Iterator[None]:
    """Keep the fake Telegram's process free of garbage-collector pauses during a run.

    The fake stands in for Telegram's servers and times each request when it handles it.
    Its collector, walking tens of thousands of stored messages, paused this process for
    up to 0.3 s; the requests that arrived meanwhile were then timed together, and at
    25/s such a bunch fills Telegram's one-second window: 8 requests at the same
    instant, 31 in the window, a global 429, then a cascade of them, since the other
    instance cannot know of it (docs/performance.md, section 5). The bot's process keeps
    its collector: it is what is measured.
    """
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def clock_path(tmp: Path) -> Path:
    return tmp / "clock"


def _python() -> list[str]:
    import sys

    return [sys.executable]


async def _read_done(child: asyncio.subprocess.Process) -> dict[str, Any]:
    import json

    assert child.stdout is not None
    while True:
        line = await child.stdout.readline()
        if not line:
            raise RuntimeError(f"the bot process ended without a result (exit {child.returncode})")
        if line.startswith(b"DONE "):
            result: dict[str, Any] = json.loads(line[5:])
            return result


def judge(figures: dict[str, Any], configured_rate: float) -> dict[str, Any]:
    rate = figures["throughput_virtual"]["overall_per_s"]
    return {
        "throughput_pct_of_configured": round(100 * rate / configured_rate, 1),
        "throughput_ok": rate >= 0.95 * configured_rate,
        "none_lost": figures["lost"] == 0,
        "none_duplicated": figures["duplicated"] == 0,
        "no_send_during_retry_after": figures["sent_during_retry_after"] == 0,
        "partners_within_5s": figures["partner_gap_over_5s"] == 0,
        "peak_rss_under_250mb": figures["bot"]["peak_rss_mb"] < 250,
    }


async def main() -> None:
    args = arguments(__doc__ or "")
    couples = 1_000 if args.quick else 10_000
    with tempfile.TemporaryDirectory() as tmp:
        url = seed.sqlite_url(Path(tmp) / "fanout.db")
        await seed.migrate_fresh(url)
        figures = await run_warped(url, couples)
    figures["targets"] = judge(figures, 25.0)
    write_results("fanout", figures)


if __name__ == "__main__":
    asyncio.run(main())
