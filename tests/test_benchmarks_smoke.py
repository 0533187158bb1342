"""The benchmark code paths at tiny sizes, so they cannot rot unnoticed (no timings)."""

from __future__ import annotations

from pathlib import Path

from benchmarks import seed
from benchmarks.common import percentile
from benchmarks.fanout import judge, run_warped, tally, throughput


def test_tally_counts_lost_and_duplicated() -> None:
    counted = tally({1: 1, 2: 2, 4: 1}, [1, 2, 3])
    assert (counted.expected, counted.received) == (3, 4)
    assert counted.lost == 1  # chat 3 got nothing
    assert counted.duplicated == 2  # chat 2 twice, chat 4 was never due


def test_throughput_and_percentile() -> None:
    figures = throughput([i / 25 for i in range(251)])
    assert figures["overall_per_s"] == 25.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.0


async def test_a_tiny_warped_fan_out_counts_every_delivery_once(tmp_path: Path) -> None:
    url = seed.sqlite_url(tmp_path / "smoke.db")
    await seed.migrate_fresh(url)

    figures = await run_warped(url, 50)

    assert (figures["expected"], figures["received"]) == (100, 100)
    assert figures["lost"] == 0 and figures["duplicated"] == 0
    assert figures["db_status_day1"] == {"sent": 100}
    assert figures["sent_during_retry_after"] == 0
    assert judge(figures, 25.0)["none_lost"]
