"""A round-robin load balancer in front of several webhook instances, and button pressers.

Telegram posts every update to one URL; behind it, a load balancer spreads them over the
instances. Here that is a few lines of aiohttp: update k goes to instance k mod n.
"""

from __future__ import annotations

import asyncio
import itertools
import socket
import time
from typing import Any

import aiohttp
from aiohttp import web

from tests.fakebotapi import FakeTelegram


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RoundRobin:
    def __init__(self, targets: list[str]) -> None:
        self._targets = targets
        self._next = itertools.cycle(range(len(targets)))
        self.forwarded = [0] * len(targets)
        self.port = free_port()
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/hook", self._forward)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        self._session = aiohttp.ClientSession()

    async def stop(self) -> None:
        if self._session is not None:
            await self._session.close()
        if self._runner is not None:
            await self._runner.cleanup()

    async def _forward(self, request: web.Request) -> web.Response:
        assert self._session is not None
        index = next(self._next)
        self.forwarded[index] += 1
        headers = {k: v for k, v in request.headers.items() if k.lower().startswith("x-telegram")}
        headers["Content-Type"] = "application/json"
        async with self._session.post(
            self._targets[index], data=await request.read(), headers=headers
        ) as answer:
            return web.Response(status=answer.status, body=await answer.read())


async def press_when_delivered(
    tg: FakeTelegram, chats: list[int], out: dict[str, Any], *, label: str = "Done"
) -> None:
    """Each of `chats` presses `label` on its exercise as soon as it arrives."""
    waiting = set(chats)
    queries: dict[str, int] = {}
    deadline = time.monotonic() + 900
    while waiting and time.monotonic() < deadline:
        for chat_id in list(waiting):
            user = tg.user(chat_id)
            exercise = next((m for m in user.messages if "\nDay " in (m.text or "")), None)
            if exercise is not None:
                queries[await user.press(exercise, label)] = chat_id
                waiting.discard(chat_id)
        await asyncio.sleep(0.05)
    answered_by = time.monotonic() + 60
    while time.monotonic() < answered_by and not all(q in tg.answers for q in queries):
        await asyncio.sleep(0.05)
    out["pressed"] = len(queries)
    out["answered"] = sum(1 for q in queries if q in tg.answers)
