"""The update queue: long polling with Telegram's conflict rules, or webhook delivery.

Faithful points: update ids only grow; ``offset`` confirms (drops) every update below it and a
negative offset keeps only the last ``-offset``; a second getUpdates terminates a waiting one
with 409; getUpdates while a webhook is set is a 409; ``allowed_updates`` is remembered and
filters updates created afterwards (empty list = Telegram's default set).

Webhook delivery POSTs each update as JSON, strictly in order, with
``X-Telegram-Bot-Api-Secret-Token`` when a secret is set. Telegram retries a failing webhook for
hours; the fake retries ``retries`` times (short, fixed back-off) and then drops the update,
recording it in ``dropped`` and in getWebhookInfo's ``last_error_*``. Long-poll waits use real
(event-loop) time, not the injectable rate-limit clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiohttp

from .model import ApiError, ChangeSignal

__all__ = ["UpdateQueue", "WebhookInfo"]

CONFLICT_POLL = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)
CONFLICT_WEBHOOK = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
DEFAULT_EXCLUDED = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


@dataclass
class WebhookInfo:
    url: str
    secret_token: str | None
    allowed_updates: list[str] | None
    max_connections: int
    last_error_date: datetime | None = None
    last_error_message: str | None = None
    delivered: int = 0


class UpdateQueue:
    def __init__(
        self,
        signal: ChangeSignal,
        now: Callable[[], datetime],
        *,
        retries: int = 3,
        retry_delay: float = 0.02,
    ) -> None:
        self._signal = signal
        self._now = now
        self._retries = retries
        self._retry_delay = retry_delay
        self._pending: list[dict[str, Any]] = []
        self._next_id = 1
        self._allowed: frozenset[str] | None = None
        self._poll_generation = 0
        self._task: asyncio.Task[None] | None = None
        self._session: aiohttp.ClientSession | None = None
        self.closing = False
        self.webhook: WebhookInfo | None = None
        self.history: list[dict[str, Any]] = []
        self.dropped: list[dict[str, Any]] = []

    @property
    def pending(self) -> list[dict[str, Any]]:
        return list(self._pending)

    def push(self, payload: dict[str, Any]) -> dict[str, Any] | None:
        """Queue ``{"<type>": {...}}`` as a new update, unless allowed_updates filters it out."""
        kind = next(iter(payload))
        allowed = self._allowed
        if (allowed is None and kind in DEFAULT_EXCLUDED) or (
            allowed is not None and kind not in allowed
        ):
            return None
        update = {"update_id": self._next_id, **payload}
        self._next_id += 1
        self._pending.append(update)
        self.history.append(update)
        self._signal.pulse()
        return update

    def _set_allowed(self, allowed: Any) -> None:
        if isinstance(allowed, list):
            self._allowed = frozenset(map(str, allowed)) if allowed else None

    def _confirm(self, offset: int | None) -> None:
        if offset is None or offset == 0:
            return
        if offset > 0:
            self._pending = [u for u in self._pending if u["update_id"] >= offset]
        else:
            self._pending = self._pending[offset:]

    async def get_updates(
        self, offset: int | None, limit: int, wait: float, allowed: Any
    ) -> list[dict[str, Any]]:
        if self.webhook is not None:
            raise ApiError(409, CONFLICT_WEBHOOK)
        self._poll_generation += 1
        generation = self._poll_generation
        self._signal.pulse()  # wake (and thereby terminate) an older poll
        self._set_allowed(allowed)
        self._confirm(offset)
        limit = min(max(limit, 1), 100)

        def probe() -> list[dict[str, Any]] | None:
            if generation != self._poll_generation:
                raise ApiError(409, CONFLICT_POLL)
            if self.closing:
                return []
            ready = self._pending[:limit]
            return ready or None

        return await self._signal.wait_until(probe, max(wait, 0.0)) or []

    async def set_webhook(
        self, url: str, secret: str | None, drop_pending: bool, allowed: Any, max_connections: int
    ) -> None:
        await self._stop_delivery()
        if drop_pending:
            self._pending.clear()
        self._set_allowed(allowed)
        self.webhook = WebhookInfo(
            url, secret, sorted(self._allowed) if self._allowed else None, max_connections
        )
        self._poll_generation += 1  # a waiting getUpdates is cut off by the webhook
        self._task = asyncio.create_task(self._deliver(self.webhook))
        self._signal.pulse()

    async def delete_webhook(self, drop_pending: bool) -> bool:
        was_set = self.webhook is not None
        self.webhook = None
        await self._stop_delivery()
        if drop_pending:
            self._pending.clear()
        self._signal.pulse()
        return was_set

    def webhook_info_json(self) -> dict[str, Any]:
        hook = self.webhook
        info: dict[str, Any] = {
            "url": hook.url if hook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending),
        }
        if hook is not None:
            info["max_connections"] = hook.max_connections
            if hook.allowed_updates is not None:
                info["allowed_updates"] = hook.allowed_updates
            if hook.last_error_date is not None:
                info["last_error_date"] = int(hook.last_error_date.timestamp())
                info["last_error_message"] = hook.last_error_message
        return info

    async def close(self) -> None:
        self.closing = True
        self._signal.pulse()
        await self._stop_delivery()
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def _stop_delivery(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _deliver(self, hook: WebhookInfo) -> None:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        session = self._session
        headers = {"Content-Type": "application/json"}
        if hook.secret_token:
            headers["X-Telegram-Bot-Api-Secret-Token"] = hook.secret_token
        while True:
            await self._signal.wait_until(lambda: bool(self._pending), None)
            update = self._pending[0]
            error = None
            for attempt in range(self._retries + 1):
                if attempt:
                    await asyncio.sleep(self._retry_delay * attempt)  # server-side back-off
                error = await self._post(session, hook.url, update, headers)
                if error is None:
                    break
                hook.last_error_date, hook.last_error_message = self._now(), error
            if self._pending and self._pending[0] is update:
                self._pending.pop(0)
            if error is None:
                hook.delivered += 1
            else:
                self.dropped.append(update)
            self._signal.pulse()

    @staticmethod
    async def _post(
        session: aiohttp.ClientSession, url: str, update: dict[str, Any], headers: dict[str, str]
    ) -> str | None:
        try:
            async with session.post(url, data=json.dumps(update), headers=headers) as response:
                if 200 <= response.status < 300:
                    return None
                return f"Wrong response from the webhook: {response.status} {response.reason}"
        except (aiohttp.ClientError, TimeoutError) as err:
            return f"Connection failed: {err.__class__.__name__}"
