"""A timestamp the running bot refreshes; the container health check reads it.

It proves this process's event loop and scheduler are alive without calling
Telegram (whose outages must not make the orchestrator restart a healthy bot).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

INTERVAL = timedelta(seconds=30)
STALE_AFTER = timedelta(seconds=120)


def beat(path: Path, now: datetime) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(now.isoformat(), encoding="utf-8")
    tmp.replace(path)  # atomic: a reader never sees a half-written timestamp


def is_fresh(path: Path, now: datetime) -> bool:
    try:
        last = datetime.fromisoformat(path.read_text(encoding="utf-8").strip())
    except (OSError, ValueError):
        return False
    return now - last <= STALE_AFTER
