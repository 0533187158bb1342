"""Webhook mode: a small HTTP server of our own in front of the Application's update queue.

PTB's built-in webhook server compares the secret header with `!=` and logs a wrong token
(and every update body, i.e. what people wrote) at DEBUG level. This one:

- checks `X-Telegram-Bot-Api-Secret-Token` in constant time from the headers alone, and
  answers 403 without parsing or running anything when it is missing or wrong;
- never logs the presented token nor the body;
- caps the body (`MAX_BODY`): 413 when the declared length is larger, the connection is
  closed when a chunked body grows past it;
- answers 400 for a body that is not a JSON update (nested deeper than `MAX_DEPTH`, or an
  `update_id` outside Telegram's range included), and 200 once the update is queued.

Tornado is used because PTB's `webhooks` extra already depends on it.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import re
import signal
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

import tornado.web
from telegram import Bot, Update
from tornado.httpserver import HTTPServer

from bot.context import TwofoldApp

logger = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 - a header name
# Telegram's largest update (a 4096-character message with entities, a reply and a quote)
# is far below this; anything bigger is not from Telegram.
MAX_BODY = 1024 * 1024
# Telegram's updates nest about ten levels deep; a deeper body is not from Telegram, and
# a very deep one would exhaust the parser's recursion (a 500 with a traceback).
MAX_DEPTH = 32
# update_id is a positive 32-bit counter at Telegram; anything outside is forged, and a
# huge one would overflow the replay guard's integer column.
MAX_UPDATE_ID = 2**31 - 1
LISTEN = "0.0.0.0"  # noqa: S104  (a container's port must listen on all interfaces)


def _digest(value: bytes) -> bytes:
    # Comparing fixed-length digests hides the secret's length as well as its content.
    return hashlib.sha256(value).digest()


@tornado.web.stream_request_body
class UpdateReceiver(tornado.web.RequestHandler):
    """POST <path>: one update from Telegram."""

    SUPPORTED_METHODS = ("POST",)

    def initialize(self, secret: bytes, bot: Bot, queue: asyncio.Queue[object]) -> None:
        self._secret_digest = _digest(secret)
        self._bot = bot
        self._queue = queue
        self._chunks: list[bytes] = []
        self._size = 0
        self._authentic = False

    def prepare(self) -> None:
        declared = self.request.headers.get("Content-Length", "")
        if declared and (not declared.isdigit() or int(declared) > MAX_BODY):
            self._answer(413)  # before reading: the connection is closed, the body unread
            return
        # Chunked bodies have no declared length: Tornado closes the connection past the cap.
        self.request.connection.set_max_body_size(MAX_BODY)  # type: ignore[union-attr]
        # Decided on the headers alone; the (small) body is then read and discarded, so a
        # well-behaved client gets its 403 instead of a connection reset mid-upload.
        presented = self.request.headers.get(SECRET_HEADER, "").encode("latin-1", "replace")
        self._authentic = hmac.compare_digest(_digest(presented), self._secret_digest)

    def data_received(self, chunk: bytes) -> None:
        if self._finished or not self._authentic:
            return
        self._size += len(chunk)
        if self._size <= MAX_BODY:
            self._chunks.append(chunk)

    async def post(self) -> None:
        if not self._authentic:
            logger.warning("refused a webhook request without the right secret header")
            self._answer(403)
            return
        if self._size > MAX_BODY:
            self._answer(413)
            return
        update = self._parse(b"".join(self._chunks))
        if update is None:
            logger.warning("refused a webhook request whose body is not a Telegram update")
            self._answer(400)
            return
        await self._queue.put(update)
        self._answer(200)

    def _parse(self, body: bytes) -> Update | None:
        try:
            data = json.loads(body)
        except (ValueError, RecursionError):
            return None
        if not isinstance(data, dict) or _depth(data) > MAX_DEPTH:
            return None
        update_id = data.get("update_id")
        if type(update_id) is not int or not 0 <= update_id <= MAX_UPDATE_ID:
            return None
        try:
            return Update.de_json(data, self._bot)
        except Exception:  # any shape PTB cannot read is a malformed request, not a crash
            return None

    def _answer(self, status: int) -> None:
        self.clear()
        self.set_status(status)
        self.finish()


def _depth(value: object) -> int:
    """How deeply `value` nests lists and objects (iteratively: no recursion to exhaust)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, level)
            if level > MAX_DEPTH:
                break
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, level + 1) for child in children)
    return deepest


class WebhookServer:
    """The HTTP server; `listen` starts it in the running event loop, `stop` ends it."""

    def __init__(self, *, path: str, secret: str, bot: Bot, queue: asyncio.Queue[Any]) -> None:
        route = re.escape("/" + path.strip("/")) if path.strip("/") else ""
        handlers = [(rf"{route}/?", UpdateReceiver, {"secret": secret.encode(), "bot": bot,
                                                      "queue": queue})]  # fmt: skip
        # log_function: no access log; the handler logs what an operator needs.
        app = tornado.web.Application(handlers, log_function=lambda _handler: None)
        self._server = HTTPServer(app)
        self._running = False

    def listen(self, port: int, address: str = LISTEN) -> None:
        self._server.listen(port, address=address)
        self._running = True

    async def stop(self) -> None:
        if not self._running:
            return
        self._running = False
        self._server.stop()
        await self._server.close_all_connections()


def serve(
    app: TwofoldApp,
    *,
    url: str,
    secret: str,
    port: int,
    allowed_updates: Sequence[str],
) -> None:
    """Run `app` behind the webhook server until SIGINT or SIGTERM (blocking)."""
    asyncio.run(_serve(app, url=url, secret=secret, port=port, allowed_updates=allowed_updates))


async def _serve(
    app: TwofoldApp, *, url: str, secret: str, port: int, allowed_updates: Sequence[str]
) -> None:
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stopping.set)
    server = WebhookServer(
        path=urlsplit(url).path, secret=secret, bot=app.bot, queue=app.update_queue
    )
    # The same lifecycle as PTB's run_webhook: initialize, post_init, start ... and on a
    # signal stop taking requests, let queued updates and running handlers finish, then
    # shut down (post_shutdown closes the database), so nothing is lost mid-write.
    await app.initialize()
    try:
        if app.post_init is not None:
            await app.post_init(app)
        await app.start()
        server.listen(port)
        # Telegram keeps undelivered updates while we were down: never drop them.
        await app.bot.set_webhook(
            url,
            secret_token=secret,
            allowed_updates=list(allowed_updates),
            drop_pending_updates=False,
        )
        logger.info("webhook server listening on port %s", port)
        await stopping.wait()
        logger.info("stopping: finishing the updates already received")
    finally:
        await server.stop()
        if app.running:
            await app.stop()
        if app.post_stop is not None:
            await app.post_stop(app)
        await app.shutdown()
        if app.post_shutdown is not None:
            await app.post_shutdown(app)
