"""The safety screen's cost per message: `assess` latency and the memory it adds.

Run: uv run python -m benchmarks.crisis_screen [--quick]

Every corpus message (and each one embedded in a long homework answer) is assessed many
times after a warm-up; p50/p99/max are per call, on one core. Target (docs/performance.md):
p99 under 50 ms on a 2-core machine, RSS growth under 200 MB.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path

from benchmarks.common import percentile
from bot.services.crisis import assess, default_screen
from bot.services.crisis_corpus import read_all

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "crisis_corpus"
FILLER = "We did the exercise on Sunday after dinner and talked about the budget. " * 12


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    rounds = 2 if "--quick" in sys.argv else 10
    before = rss_mb()
    default_screen()  # compile the cues
    texts = [item.text for item in read_all(sorted(CORPUS.glob("*.txt")))]
    texts += [f"{FILLER}{text} {FILLER}" for text in texts]
    for text in texts:
        assess(text)  # warm the typo cache as a running bot would
    timings = []
    for _ in range(rounds):
        for text in texts:
            began = time.perf_counter()
            assess(text)
            timings.append((time.perf_counter() - began) * 1000)
    figures = {
        "calls": len(timings),
        "p50_ms": round(percentile(timings, 50), 3),
        "p99_ms": round(percentile(timings, 99), 3),
        "max_ms": round(max(timings), 3),
        "rss_growth_mb": round(rss_mb() - before, 1),
    }
    print(json.dumps(figures))
    return 0 if figures["p99_ms"] < 50 and figures["rss_growth_mb"] < 200 else 1


if __name__ == "__main__":
    raise SystemExit(main())
