"""`python -m benchmarks.all` on a machine without PostgreSQL: one line, not a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_two_instance_benchmark_skips_without_postgres() -> None:
    env = {**os.environ, "BENCH_POSTGRES_URL": "postgresql+asyncpg://u:pw@127.0.0.1:1/x"}
    result = subprocess.run(
        [sys.executable, "-m", "benchmarks.webhook_instances", "--quick"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 1 and "skipped, no PostgreSQL answers at" in lines[0]
    assert "pw" not in lines[0].replace("postgresql", ""), "no password in the line"
