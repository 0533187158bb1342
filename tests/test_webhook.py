"""The webhook server on its own: who gets in, what is refused, what reaches the queue."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator

import aiohttp
import pytest
from telegram import Bot, Update

from bot.webhook import MAX_BODY, SECRET_HEADER, WebhookServer
from tests.test_e2e_process import free_port

SECRET = "the-right-secret-0123456789"
UPDATE = {
    "update_id": 7,
    "message": {
        "message_id": 1, "date": 0, "text": "hello",
        "chat": {"id": 1001, "type": "private"},
        "from": {"id": 1001, "is_bot": False, "first_name": "Alice"},
    },
}  # fmt: skip


@pytest.fixture
async def server() -> AsyncIterator[tuple[str, asyncio.Queue[object]]]:
    queue: asyncio.Queue[object] = asyncio.Queue()
    port = free_port()
    hook = WebhookServer(path="/telegram", secret=SECRET, bot=Bot("1:x"), queue=queue)
    hook.listen(port, "127.0.0.1")
    yield f"http://127.0.0.1:{port}/telegram", queue
    await hook.stop()


async def post(url: str, body: bytes, headers: dict[str, str]) -> int:
    async with (
        aiohttp.ClientSession() as http,
        http.post(url, data=body, headers={"Content-Type": "application/json", **headers}) as r,
    ):
        return r.status


async def test_a_good_update_is_queued_and_answered_200(
    server: tuple[str, asyncio.Queue[object]],
) -> None:
    url, queue = server
    assert await post(url, json.dumps(UPDATE).encode(), {SECRET_HEADER: SECRET}) == 200
    update = queue.get_nowait()
    assert isinstance(update, Update) and update.update_id == 7
    assert update.effective_message is not None and update.effective_message.text == "hello"


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {SECRET_HEADER: ""},
        {SECRET_HEADER: "wrong"},
        {SECRET_HEADER: SECRET[:-1]},  # a prefix
        {SECRET_HEADER: SECRET + "x"},
        {SECRET_HEADER: SECRET.upper()},
    ],
)
async def test_a_missing_or_wrong_secret_gets_403_and_runs_nothing(
    server: tuple[str, asyncio.Queue[object]],
    headers: dict[str, str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    url, queue = server
    with caplog.at_level(logging.DEBUG):
        assert await post(url, json.dumps(UPDATE).encode(), headers) == 403
    assert queue.empty()
    presented = headers.get(SECRET_HEADER)
    if presented:
        assert presented not in caplog.text, "the presented token was logged"
    assert SECRET not in caplog.text


@pytest.mark.parametrize(
    "body",
    [b"", b"not json", b"[1, 2]", b'{"message": {}}', b'{"update_id": "7"}', b"\xff\xfe"],
)
async def test_a_body_that_is_not_an_update_gets_400(
    server: tuple[str, asyncio.Queue[object]], body: bytes
) -> None:
    url, queue = server
    assert await post(url, body, {SECRET_HEADER: SECRET}) == 400
    assert queue.empty()


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 100_000 + b"]" * 100_000,  # a RecursionError in the parser before
        (json.dumps({**UPDATE, "x": "DEEP"}).replace('"DEEP"', "[" * 40 + "]" * 40)).encode(),
        json.dumps({**UPDATE, "update_id": 10**30}).encode(),  # overflowed the replay guard
        json.dumps({**UPDATE, "update_id": -1}).encode(),
        json.dumps({**UPDATE, "update_id": True}).encode(),
    ],
    ids=["deep-array", "deep-update", "huge-id", "negative-id", "bool-id"],
)
async def test_deep_bodies_and_update_ids_out_of_range_get_400_without_a_traceback(
    server: tuple[str, asyncio.Queue[object]], body: bytes, caplog: pytest.LogCaptureFixture
) -> None:
    url, queue = server
    with caplog.at_level(logging.DEBUG):
        assert await post(url, body, {SECRET_HEADER: SECRET}) == 400
    assert queue.empty()
    assert "Traceback" not in caplog.text and "RecursionError" not in caplog.text


async def test_an_oversized_body_gets_413_unread(
    server: tuple[str, asyncio.Queue[object]],
) -> None:
    url, queue = server
    huge = json.dumps({**UPDATE, "padding": "x" * MAX_BODY}).encode()
    assert await post(url, huge, {SECRET_HEADER: SECRET}) == 413
    assert queue.empty()
    # The server is still healthy afterwards.
    assert await post(url, json.dumps(UPDATE).encode(), {SECRET_HEADER: SECRET}) == 200


async def test_other_paths_and_methods_are_not_served(
    server: tuple[str, asyncio.Queue[object]],
) -> None:
    url, queue = server
    body = json.dumps(UPDATE).encode()
    assert await post(url.replace("/telegram", "/other"), body, {SECRET_HEADER: SECRET}) == 404
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        assert response.status == 405
    assert queue.empty()
