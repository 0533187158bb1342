"""``FakeTelegram``: a real HTTP Bot API server on loopback that PTB talks to unmodified.

Point PTB at it with ``ApplicationBuilder().base_url(tg.base_url).base_file_url(tg.base_file_url)``
(or ``telegram.Bot(token, base_url=..., base_file_url=...)``); requests then arrive as
``POST /bot<TOKEN>/<method>``. The server answers in Telegram's JSON envelope, and test code
drives the other side of each chat through ``tg.user(...)`` / ``tg.group(...)``.
"""

from __future__ import annotations

import asyncio
import re
import socket
import time
from collections.abc import Callable
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, TypeVar

from aiohttp import web

from . import admin, messaging  # noqa: F401 - importing registers the method handlers
from .actors import FakeGroup, FakeUser
from .faults import FaultPlan
from .model import ApiCall, ApiError, ApiErrorRecord, BotCommand, CallbackAnswer, Chat
from .params import Params, read_params
from .ratelimit import RateLimiter, RateLimits, RateLimitStats
from .registry import HANDLERS, canonical
from .state import State
from .updates import WebhookInfo
from .validate import scope_key

__all__ = ["FakeTelegram"]

T = TypeVar("T")


class FakeTelegram:
    """A fake Telegram Bot API server; use as ``async with FakeTelegram() as tg``.

    ``rate_limits``: True for Telegram's limits (see ``ratelimit.py``: 30/s overall, bursts of
    3 then ~1/s per private chat, 20/min per group; sends only), False to switch them off, or a
    ``RateLimits``. ``clock``: monotonic seconds for rate limits (default ``time.monotonic``);
    ``wall_clock``: aware UTC ``datetime`` for message dates and the 48-hour delete rule
    (``bot.clock.ManualClock().now`` fits). ``strict_html`` additionally rejects ``&`` that
    is not an entity (Telegram shows it literally; see ``html.py``).

    Test-facing surface: ``user()``/``group()`` (the other side of chats), ``block()``,
    ``calls``/``calls_to()``/``errors``/``answers`` (what the bot did and was told),
    ``commands()``, ``webhook``, ``pending_updates``, ``rate_limit_stats``,
    ``wait_until()``/``wait_for_call()`` and ``fail_next()``/``drop_response_next()``.
    """

    def __init__(
        self,
        token: str = "123:ABC",  # noqa: S107 - a fake bot token
        *,
        rate_limits: bool | RateLimits = True,
        clock: Callable[[], float] | None = None,
        wall_clock: Callable[[], datetime] | None = None,
        bot_username: str = "twofold_test_bot",
        bot_first_name: str = "Twofold",
        strict_html: bool = False,
        webhook_retries: int = 3,
    ) -> None:
        self.token = token
        head = token.split(":", 1)[0]
        bot_user = {
            "id": int(head) if head.isdigit() else 123,
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }
        limits = RateLimits() if rate_limits is True else rate_limits or None
        self.state = State(
            token=token,
            bot_user=bot_user,
            wall_clock=wall_clock or (lambda: datetime.now(UTC)),
            limiter=RateLimiter(limits, clock or time.monotonic),
            strict_html=strict_html,
            webhook_retries=webhook_retries,
        )
        self._users: dict[int, FakeUser] = {}
        self._groups: dict[int, FakeGroup] = {}
        self._faults = FaultPlan()
        self._call_cursor = 0
        self._runner: web.AppRunner | None = None
        self._closed: asyncio.Event | None = None
        self.port = 0

    # -- lifecycle -----------------------------------------------------------------------

    async def __aenter__(self) -> FakeTelegram:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    async def start(self) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        app = web.Application(client_max_size=60 * 1024 * 1024)  # uploads go up to 50 MB
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        self._closed = asyncio.Event()
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.SockSite(self._runner, sock).start()

    async def stop(self) -> None:
        if self._closed is not None:
            self._closed.set()
        await self.state.updates.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        return f"{self.url}/file/bot"

    # -- the other side of the chats -----------------------------------------------------

    def user(
        self,
        user_id: int,
        first_name: str | None = None,
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "en",
    ) -> FakeUser:
        """Register (or fetch) a user and their private chat with the bot."""
        if user_id in self._users:
            return self._users[user_id]
        if user_id <= 0:
            raise ValueError("user ids are positive")
        fields = {"last_name": last_name, "username": username, "language_code": language_code}
        user = {"id": user_id, "is_bot": False, "first_name": first_name or f"User{user_id}"}
        user.update({k: v for k, v in fields.items() if v is not None})
        chat = self.state.chats[user_id] = Chat(user_id, "private", user=user)
        self._users[user_id] = FakeUser(self.state, user, chat)
        return self._users[user_id]

    def group(self, chat_id: int, title: str = "Group") -> FakeGroup:
        """Register (or fetch) a group the bot is in; ids below -10^12 are supergroups."""
        if chat_id in self._groups:
            return self._groups[chat_id]
        if chat_id >= 0:
            raise ValueError("group chat ids are negative")
        kind = "supergroup" if chat_id < -1_000_000_000_000 else "group"
        chat = self.state.chats[chat_id] = Chat(chat_id, kind, title=title)
        self._groups[chat_id] = FakeGroup(self.state, chat)
        return self._groups[chat_id]

    def block(self, user_id: int, *, notify: bool = True) -> None:
        """The user blocks the bot: sends now fail with 403 (and a my_chat_member update)."""
        self._set_blocked(user_id, True, notify)

    def unblock(self, user_id: int, *, notify: bool = True) -> None:
        self._set_blocked(user_id, False, notify)

    def _set_blocked(self, user_id: int, blocked: bool, notify: bool) -> None:
        user = self._users.get(user_id)
        if user is None:
            raise AssertionError(f"unknown user {user_id}; register it with tg.user() first")
        if user.chat.blocked != blocked:
            user.chat.blocked = blocked
            if notify:
                old, new = ("member", "kicked") if blocked else ("kicked", "member")
                self.state.chat_member_update(user.chat, user.user, old, new)
            self.state.signal.pulse()

    # -- what the bot did ----------------------------------------------------------------

    @property
    def calls(self) -> list[ApiCall]:
        return self.state.calls

    def calls_to(self, method: str) -> list[dict[str, Any]]:
        """Parameters of every call to ``method`` (case-insensitive), in order."""
        return [c.params for c in self.state.calls if c.method.lower() == method.lower()]

    @property
    def errors(self) -> list[ApiErrorRecord]:
        """Every error the fake answered with (injected ones included)."""
        return self.state.errors

    @property
    def answers(self) -> dict[str, CallbackAnswer]:
        return self.state.answers

    @property
    def webhook(self) -> WebhookInfo | None:
        return self.state.updates.webhook

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates not yet confirmed (polling) or delivered (webhook)."""
        return self.state.updates.pending

    @property
    def dropped_updates(self) -> list[dict[str, Any]]:
        """Updates given up on after the webhook kept failing."""
        return self.state.updates.dropped

    @property
    def rate_limit_stats(self) -> RateLimitStats:
        return self.state.limiter.stats

    def commands(self, scope: Any = None, language_code: str = "") -> list[BotCommand]:
        """What setMyCommands stored for ``scope`` (a BotCommandScope dict or its type name)."""
        kind, chat_id = scope_key(scope)
        return list(self.state.commands.get((kind, chat_id, language_code), []))

    async def wait_until(
        self,
        probe: Callable[[], T | None],
        timeout: float = 5.0,  # noqa: ASYNC109 - a test-facing deadline, documented API
        message: str = "condition",
    ) -> T:
        """Wait (event-driven) until ``probe()`` returns something other than None/False."""
        result = await self.state.signal.wait_until(probe, timeout)
        if result is None:
            raise AssertionError(f"timed out after {timeout}s waiting for {message}")
        return result

    async def wait_for_call(
        self,
        method: str,
        *,
        timeout: float = 5.0,  # noqa: ASYNC109 - a test-facing deadline, documented API
    ) -> ApiCall:
        """Return the next call to ``method`` after the one the previous wait_for_call returned."""

        def probe() -> ApiCall | None:
            for index in range(self._call_cursor, len(self.state.calls)):
                if self.state.calls[index].method.lower() == method.lower():
                    self._call_cursor = index + 1
                    return self.state.calls[index]
            return None

        return await self.wait_until(probe, timeout, f"a {method} call")

    # -- fault injection -----------------------------------------------------------------

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
        """Answer the next ``times`` calls to ``method`` (or ``"*"``) with an error, unexecuted.

        The description defaults to Telegram's style for the status (429 gets
        ``retry_after``, default 1); 5xx make PTB raise NetworkError. With ``chat_id``,
        only calls to that chat fail.
        """
        self._faults.fail_next(
            method, status, description, retry_after=retry_after, times=times, chat_id=chat_id
        )

    def drop_response_next(self, method: str, *, times: int = 1, hang: bool = False) -> None:
        """Execute the next call(s) to ``method`` but never answer: the connection is closed
        (PTB raises NetworkError), or with ``hang=True`` left open until the client times out."""
        self._faults.drop_response_next(method, times=times, hang=hang)

    # -- HTTP ----------------------------------------------------------------------------

    def _auth_error(self, token: str) -> web.Response:
        # Telegram: 401 for a well-formed but wrong token, 404 for anything else.
        if re.fullmatch(r"\d+:[\w-]+", token):
            return web.json_response(ApiError(401, "Unauthorized").body(), status=401)
        return web.json_response(ApiError(404, "Not Found").body(), status=404)

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return self._auth_error(request.match_info["token"])
        method = request.match_info["method"]
        try:
            data = await read_params(request)
        except ApiError as err:
            return web.json_response(err.body(), status=err.status)
        name = canonical(method) or method
        self.state.calls.append(ApiCall(name, data))
        self.state.signal.pulse()
        error = self._faults.take_failure(name, data.get("chat_id"))
        if error is None and name not in HANDLERS:
            error = ApiError(404, "Not Found")
        drop = None if error is not None else self._faults.take_drop(name)
        result: Any = None
        if error is None:
            try:
                result = await HANDLERS[name](self.state, Params(data))
            except ApiError as err:
                error = err
        if error is not None:
            self.state.errors.append(ApiErrorRecord(name, data, error.status, error.description))
            self.state.signal.pulse()
        if drop is not None:
            await self._drop(request, hang=drop)
        if error is not None:
            return web.json_response(error.body(), status=error.status)
        return web.json_response({"ok": True, "result": result})

    async def _drop(self, request: web.Request, *, hang: bool) -> None:
        if hang and self._closed is not None:
            await self._closed.wait()
        transport = request.transport
        if transport is not None:
            transport.abort()
        # aiohttp treats a handler's CancelledError as a client disconnect ("Ignored premature
        # client disconnection"): the connection is closed and no response is written.
        raise asyncio.CancelledError

    async def _download(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return self._auth_error(request.match_info["token"])
        parts = request.match_info["path"].split("/")
        upload = self.state.files.get(parts[1]) if len(parts) >= 2 else None
        if upload is None:
            return web.json_response(ApiError(404, "Not Found").body(), status=404)
        return web.Response(
            body=upload.data, content_type=upload.mime or "application/octet-stream"
        )
