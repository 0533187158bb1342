"""A fake Telegram Bot API server for end-to-end tests of the real PTB application.

Typical use::

    async with FakeTelegram(rate_limits=False) as tg:
        app = ApplicationBuilder().token(tg.token).base_url(tg.base_url) \
            .base_file_url(tg.base_file_url).build()
        alice = tg.user(1001, "Alice")
        await alice.send("/start")
        welcome = await alice.wait_for(r"Welcome")
        query_id = await alice.press(welcome, "Begin")
        assert await alice.wait_for_answer(query_id) is None

See ``server.py`` (FakeTelegram), ``actors.py`` (FakeUser/FakeGroup), ``html.py`` (what HTML
Telegram accepts) and ``ratelimit.py`` (what is throttled and how).
"""

from .actors import ChatView, FakeGroup, FakeUser
from .clock import FakeClock
from .html import EntityParseError, parse_html
from .model import (
    ApiCall,
    ApiErrorRecord,
    BotCommand,
    ButtonInfo,
    CallbackAnswer,
    SentMessage,
    UploadedFile,
)
from .ratelimit import EDIT_METHODS, SEND_METHODS, RateLimits, RateLimitStats, Window
from .server import FakeTelegram
from .updates import WebhookInfo
from .urls import utf16_len

__all__ = [
    "EDIT_METHODS",
    "SEND_METHODS",
    "ApiCall",
    "ApiErrorRecord",
    "BotCommand",
    "ButtonInfo",
    "CallbackAnswer",
    "ChatView",
    "EntityParseError",
    "FakeClock",
    "FakeGroup",
    "FakeTelegram",
    "FakeUser",
    "RateLimitStats",
    "RateLimits",
    "SentMessage",
    "UploadedFile",
    "WebhookInfo",
    "Window",
    "parse_html",
    "utf16_len",
]
