"""One-off failures a test can inject: error replies, lost responses, hung connections.

``fail_next`` answers *without executing* the method (the message is not stored), like a
Telegram-side error or a 5xx from its front end. ``drop_response_next`` *executes* the method
(the message is delivered) and then loses the answer, which is the case idempotency code has to
survive: the bot sees a NetworkError/TimedOut although the user got the message.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from http import HTTPStatus

from .model import ApiError

__all__ = ["FaultPlan"]


@dataclass
class _Fault:
    error: ApiError
    times: int
    chat_id: int | None = None  # only calls to this chat, when set


class FaultPlan:
    """Queues of injected faults, keyed by lower-cased method name (``"*"`` matches any)."""

    def __init__(self) -> None:
        self._failures: dict[str, deque[_Fault]] = {}
        self._drops: dict[str, deque[bool]] = {}

    def fail_next(
        self,
        method: str,
        status: int = 400,
        description: str | None = None,
        *,
        retry_after: int | None = None,
        times: int = 1,
        chat_id: int | None = None,
    ) -> None:
        if status == 429 and retry_after is None:
            retry_after = 1
        if description is None:
            description = {
                400: "Bad Request: injected failure",
                403: "Forbidden: injected failure",
                429: f"Too Many Requests: retry after {retry_after}",
            }.get(status) or HTTPStatus(status).phrase
        fault = _Fault(ApiError(status, description, retry_after), times, chat_id)
        self._failures.setdefault(method.lower(), deque()).append(fault)

    def drop_response_next(self, method: str, *, times: int = 1, hang: bool = False) -> None:
        self._drops.setdefault(method.lower(), deque()).extend([hang] * times)

    def take_failure(self, method: str, chat_id: object = None) -> ApiError | None:
        for key in (method.lower(), "*"):
            for fault in self._failures.get(key, ()):
                if fault.chat_id is not None and str(fault.chat_id) != str(chat_id):
                    continue
                fault.times -= 1
                if fault.times <= 0:
                    self._failures[key].remove(fault)
                return fault.error
        return None

    def take_drop(self, method: str) -> bool | None:
        """None: answer normally; False: close the connection; True: hang until shutdown."""
        for key in (method.lower(), "*"):
            queue = self._drops.get(key)
            if queue:
                return queue.popleft()
        return None
