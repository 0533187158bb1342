"""Which Bot API methods the fake implements; anything else is answered 404 like Telegram."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from .params import Params
from .state import State

__all__ = ["HANDLERS", "Handler", "api", "canonical"]

Handler = Callable[[State, Params], Awaitable[Any]]
HANDLERS: dict[str, Handler] = {}


def api(name: str) -> Callable[[Handler], Handler]:
    def register(func: Handler) -> Handler:
        HANDLERS[name] = func
        return func

    return register


def canonical(method: str) -> str | None:
    """Telegram method names are case-insensitive; return the implemented spelling."""
    lowered = method.lower()
    for name in HANDLERS:
        if name.lower() == lowered:
            return name
    return None
