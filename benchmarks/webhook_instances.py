"""Webhook mode, two instances on one PostgreSQL database, during the fan-out.

Run: uv run python -m benchmarks.webhook_instances [--quick]

Two real Applications in webhook mode (in one process, each with its own connection
pool and dispatcher) behind a round-robin load balancer, claiming from one PostgreSQL
database with FOR UPDATE SKIP LOCKED, in warped time (see benchmarks/warp.py).
DELIVERY_RATE is per instance (docs/delivery.md): each sends at 25 / INSTANCES = 12.5,
so together they stay at 25/s. 200 partners press "Done" as their exercise arrives; the
presses reach either instance. Target: the same counts as the single-instance fan-out,
no duplicates.
"""

from __future__ import annotations

import asyncio

from sqlalchemy.engine import make_url

from benchmarks import seed
from benchmarks.common import (
    PG_ADMIN_URL,
    arguments,
    create_postgres_database,
    drop_postgres_database,
    postgres_available,
    write_results,
)
from benchmarks.fanout import judge, run_warped

INSTANCES = 2
TOTAL_RATE = 25.0  # what one instance would send; each gets its share


async def main() -> None:
    args = arguments(__doc__ or "")
    couples = 1_000 if args.quick else 10_000
    if args.no_postgres or not await postgres_available():
        # Two instances only share work through PostgreSQL: nothing to measure without it.
        where = make_url(PG_ADMIN_URL).render_as_string(hide_password=True)
        print(f"benchmarks.webhook_instances: skipped, no PostgreSQL answers at {where} "
              "(start one and set BENCH_POSTGRES_URL, as .ci/run does for the tests)")  # fmt: skip
        return
    url = await create_postgres_database()
    try:
        await seed.migrate_fresh(url)
        figures = await run_warped(
            url, couples, instances=INSTANCES, rate=TOTAL_RATE / INSTANCES, webhook=True,
            pressers=200,
        )  # fmt: skip
    finally:
        await drop_postgres_database(url)
    figures["targets"] = judge(figures, TOTAL_RATE)
    write_results("webhook_instances", figures)


if __name__ == "__main__":
    asyncio.run(main())
