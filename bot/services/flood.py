"""Inbound flood protection: a token bucket per user, so one person cannot starve the others.

Each user may send a burst of `burst` updates, refilled at `per_second`. Ordinary use (even
fast typing, or tapping through a setup) never comes near it. When the bucket runs dry the
user is *muted*: their updates are dropped until they pause for `quiet`, and the first
dropped update is answered, once, with a note saying exactly what was not read ("this
message and everything until you pause"). Nothing is dropped without the user being told.

The buckets live in memory, so the limit is per bot process: two instances behind one
webhook would each allow a full burst. Memory stays bounded: idle users' buckets (full and
not muted) are forgotten once more than `max_users` are tracked.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

BURST = 20
PER_SECOND = 1.0
QUIET = timedelta(seconds=10)
MAX_USERS = 10_000


class Verdict(enum.Enum):
    ADMIT = "admit"  # handle the update
    NOTIFY = "notify"  # drop it, and tell the user what is being dropped (once per mute)
    DROP = "drop"  # drop it; the user has already been told


@dataclass(slots=True)
class _Bucket:
    tokens: float
    at: datetime
    muted_until: datetime | None = None


class FloodGate:
    """Per-user token buckets. Time comes from the caller, so tests move it by hand."""

    def __init__(
        self,
        *,
        burst: int = BURST,
        per_second: float = PER_SECOND,
        quiet: timedelta = QUIET,
        max_users: int = MAX_USERS,
    ) -> None:
        if burst < 1 or per_second <= 0:
            raise ValueError("a flood gate needs a burst of at least 1 and a positive rate")
        self.burst = burst
        self.per_second = per_second
        self.quiet = quiet
        self.max_users = max_users
        self._buckets: dict[int, _Bucket] = {}

    def admit(self, user_id: int, now: datetime) -> Verdict:
        """Decide about one update from `user_id` arriving at `now`."""
        bucket = self._buckets.get(user_id)
        if bucket is None:
            self._forget_idle(now)
            bucket = self._buckets[user_id] = _Bucket(float(self.burst), now)
        self._refill(bucket, now)
        if bucket.muted_until is not None and now < bucket.muted_until:
            # Still flooding: the mute slides, so it ends only after a real pause.
            bucket.muted_until = now + self.quiet
            return Verdict.DROP
        bucket.muted_until = None
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return Verdict.ADMIT
        bucket.muted_until = now + self.quiet
        return Verdict.NOTIFY

    def tracked(self) -> int:
        """How many users currently have a bucket (for tests and diagnostics)."""
        return len(self._buckets)

    def _refill(self, bucket: _Bucket, now: datetime) -> None:
        elapsed = max(0.0, (now - bucket.at).total_seconds())
        bucket.tokens = min(float(self.burst), bucket.tokens + elapsed * self.per_second)
        bucket.at = max(bucket.at, now)

    def _forget_idle(self, now: datetime) -> None:
        if len(self._buckets) < self.max_users:
            return
        for user_id, bucket in list(self._buckets.items()):
            self._refill(bucket, now)
            muted = bucket.muted_until is not None and now < bucket.muted_until
            if not muted and bucket.tokens >= self.burst:
                del self._buckets[user_id]
