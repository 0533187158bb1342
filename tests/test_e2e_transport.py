"""`twofold run` as a real process: replayed webhooks, and no secret in the logs at DEBUG."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from cryptography.fernet import Fernet

from tests.e2e import TOKEN
from tests.fakebotapi import FakeTelegram
from tests.test_e2e_process import STARTUP, free_port, stop, twofold_run

SECRET = "s3cret-webhook-token-0123456789"
HEADER = "X-Telegram-Bot-Api-Secret-Token"


async def post(url: str, update: dict[str, Any], secret: str | None) -> int:
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers[HEADER] = secret
    async with (
        aiohttp.ClientSession() as http,
        http.post(url, data=json.dumps(update), headers=headers) as response,
    ):
        return response.status


async def test_a_replayed_webhook_update_is_handled_once(tg: FakeTelegram, tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram"
    alice = tg.user(1001, "Alice")
    async with twofold_run(tg, tmp_path, WEBHOOK_URL=url, WEBHOOK_SECRET=SECRET, PORT=str(port)):
        await tg.wait_for_call("setWebhook", timeout=STARTUP)
        assert tg.webhook is not None and tg.webhook.secret_token == SECRET
        await alice.send("/start")
        await alice.wait_for(r"Hello, Alice", timeout=5)
        delivered = tg.state.updates.history[-1]

        # The same update again, with the right secret: accepted (so Telegram stops
        # retrying) but not acted on.
        assert await post(url, delivered, SECRET) == 200
        assert await post(url, delivered, SECRET) == 200
        await alice.send("/help")  # handled in order: once this is answered, so were the copies
        await alice.wait_for(r"what you can do", timeout=5)

    greetings = [m for m in alice.messages if m.text and "Hello, Alice" in m.text]
    assert len(greetings) == 1


@pytest.mark.parametrize("mode", ["polling", "webhook"])
async def test_no_secret_reaches_the_logs_at_debug_level(
    tg: FakeTelegram, tmp_path: Path, mode: str
) -> None:
    key = Fernet.generate_key().decode()
    env = {"ENCRYPTION_KEY": key}
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram"
    if mode == "webhook":
        env |= {"WEBHOOK_URL": url, "WEBHOOK_SECRET": SECRET, "PORT": str(port)}
    alice = tg.user(1001, "Alice")
    async with twofold_run(tg, tmp_path, **env) as proc:
        await tg.wait_for_call("setWebhook" if mode == "webhook" else "getUpdates", timeout=STARTUP)
        await alice.send("/start")
        await alice.wait_for(r"Hello, Alice", timeout=5)
        await alice.send("/nonsense")
        await alice.wait_for(r"I don't know that command", timeout=5)
        # Telegram fails: the handler raises, the error handler logs a traceback.
        tg.fail_next("sendMessage", 500)
        await alice.send("/help")
        await alice.wait_for(r"something went wrong", timeout=10)
        tg.fail_next("sendMessage", 400, "Bad Request: chat not found")
        await alice.send("/help")
        if mode == "webhook":
            forged = dict(tg.state.updates.history[-1], update_id=10**6)
            assert await post(url, forged, None) == 403
            assert await post(url, forged, SECRET[:-1]) == 403
            assert await post(url, forged, TOKEN) == 403
        await alice.send("/help")
        await alice.wait_for(r"what you can do", timeout=10)
        code, log = await stop(proc, tmp_path)

    assert code == 0, log[-3000:]
    assert "Traceback" in log, "the failure above should have been logged"
    for name, secret in {
        "the bot token": TOKEN,
        "the secret half of the bot token": TOKEN.split(":", 1)[1],
        "the webhook secret": SECRET,
        "the encryption key": key,
    }.items():
        assert secret not in log, f"{name} leaked into the {mode} log"
