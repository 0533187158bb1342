"""Run every benchmark, each in its own process (so memory figures are its own).

Run: uv run python -m benchmarks.all [--quick]
"""

from __future__ import annotations

import subprocess
import sys
import time

MODULES = [
    "benchmarks.dispatcher_scaling",
    "benchmarks.fanout",
    "benchmarks.responsiveness",
    "benchmarks.baseline",
    "benchmarks.crisis_screen",
    "benchmarks.webhook_instances",
]


def main() -> int:
    extra = [a for a in sys.argv[1:] if a in ("--quick", "--no-postgres")]
    failed = []
    began = time.perf_counter()
    for module in MODULES:
        if module == "benchmarks.webhook_instances" and "--no-postgres" in extra:
            continue
        args = [a for a in extra if a != "--no-postgres" or module == MODULES[0]]
        print(f"== {module} {' '.join(args)}", flush=True)
        started = time.perf_counter()
        code = subprocess.call([sys.executable, "-m", module, *args])
        print(f"== {module}: exit {code} in {time.perf_counter() - started:.0f} s", flush=True)
        if code:
            failed.append(module)
    print(f"== all: {time.perf_counter() - began:.0f} s; failed: {failed or 'none'}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
