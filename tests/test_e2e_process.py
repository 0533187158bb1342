"""`twofold run` as a real process against the fake Bot API: polling, webhook, shutdown."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp

from tests.e2e import TOKEN
from tests.fakebotapi import FakeTelegram

STARTUP = 30.0  # seconds: imports, migrations and getMe on a slow CI machine


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@asynccontextmanager
async def twofold_run(
    tg: FakeTelegram, tmp_path: Path, **env: str
) -> AsyncIterator[asyncio.subprocess.Process]:
    environ = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_BASE_URL": tg.base_url,
        "TELEGRAM_API_FILE_URL": tg.base_file_url,
        "LOG_LEVEL": "DEBUG",
        **env,
    }
    # Logs go to a file, not a pipe: at DEBUG level a pipe nobody reads fills up and
    # blocks the bot mid-test.
    with (tmp_path / "stderr.log").open("wb") as log:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run",
            cwd=tmp_path, env=environ, stdout=log, stderr=log,
        )  # fmt: skip
    try:
        yield proc
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


async def stop(proc: asyncio.subprocess.Process, tmp_path: Path) -> tuple[int, str]:
    proc.send_signal(signal.SIGTERM)
    code = await asyncio.wait_for(proc.wait(), timeout=15)
    return code, (tmp_path / "stderr.log").read_text()


async def test_polling_bot_answers_start_and_help_then_stops_cleanly(
    tg: FakeTelegram, tmp_path: Path
) -> None:
    alice = tg.user(1001, "Alice")
    async with twofold_run(tg, tmp_path) as proc:
        await tg.wait_for_call("getUpdates", timeout=STARTUP)
        await alice.send("/start")
        await alice.wait_for(r"Hello, Alice", timeout=5)
        await alice.send("/help")
        await alice.wait_for(r"what you can do", timeout=5)

        code, log = await stop(proc, tmp_path)

    assert code == 0
    assert "Traceback" not in log
    assert TOKEN not in log, "the bot token leaked into the log"
    assert TOKEN.split(":")[1] not in log
    assert (tmp_path / "data" / "twofold.db").is_file()
    assert (tmp_path / "data" / "heartbeat").is_file()


async def test_webhook_mode_checks_the_secret_header(tg: FakeTelegram, tmp_path: Path) -> None:
    port, secret = free_port(), "s3cret-webhook-token-0123456789"
    url = f"http://127.0.0.1:{port}/telegram"
    alice = tg.user(1001, "Alice")
    async with twofold_run(tg, tmp_path, WEBHOOK_URL=url, WEBHOOK_SECRET=secret, PORT=str(port)):
        await tg.wait_for_call("setWebhook", timeout=STARTUP)
        assert tg.webhook is not None
        await alice.send("/start")
        await alice.wait_for(r"Hello, Alice", timeout=5)

        forged = {"update_id": 999, "message": {"message_id": 1, "date": 0, "text": "/start",
                  "chat": {"id": 1001, "type": "private"},
                  "from": {"id": 1001, "is_bot": False, "first_name": "Mallory"}}}  # fmt: skip
        async with aiohttp.ClientSession() as http:
            for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"}):
                async with http.post(
                    url,
                    data=json.dumps(forged),
                    headers={"Content-Type": "application/json", **headers},
                ) as response:
                    assert response.status == 403
    assert not any("Mallory" in m.text for m in alice.messages if m.text)
