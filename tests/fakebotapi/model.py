"""The fake's records: what was sent where, as live objects tests can inspect."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple, TypeVar

__all__ = [
    "ApiCall",
    "ApiError",
    "ApiErrorRecord",
    "BotCommand",
    "ButtonInfo",
    "CallbackAnswer",
    "ChangeSignal",
    "Chat",
    "ChatEvent",
    "SentMessage",
    "UploadedFile",
    "bad_request",
]

T = TypeVar("T")


class ApiError(Exception):
    """A Telegram error reply; raised by method handlers, turned into JSON by the server."""

    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(reason: str) -> ApiError:
    return ApiError(400, f"Bad Request: {reason}")


class ApiCall(NamedTuple):
    """One request the bot made: canonical method name and decoded parameters."""

    method: str
    params: dict[str, Any]


@dataclass(frozen=True)
class ApiErrorRecord:
    """An error the fake answered with, kept so a failing wait can explain itself."""

    method: str
    params: dict[str, Any]
    status: int
    description: str


class BotCommand(NamedTuple):
    command: str
    description: str


@dataclass(frozen=True)
class CallbackAnswer:
    text: str | None
    show_alert: bool
    url: str | None


@dataclass
class UploadedFile:
    """File bytes as the bot uploaded them (or a user sent them)."""

    data: bytes
    filename: str | None = None
    mime: str | None = None
    file_id: str = ""
    file_unique_id: str = ""
    url: str | None = None  # set when the bot passed an HTTP URL instead of bytes


@dataclass(frozen=True)
class ButtonInfo:
    label: str
    callback_data: str | None
    url: str | None
    raw: dict[str, Any]


@dataclass(eq=False)
class SentMessage:
    """A message in a chat, updated in place when the bot edits or deletes it.

    ``text`` is the plain text (or the caption of a photo/document) after entity parsing;
    ``html`` is the raw string as sent; ``edits`` holds earlier ``text`` values, oldest first.
    """

    message_id: int
    chat_id: int
    from_bot: bool
    sender: dict[str, Any]
    date: datetime
    kind: str  # text | photo | document | sticker
    text: str | None = None
    html: str | None = None
    parse_mode: str | None = None
    entities: list[dict[str, Any]] = field(default_factory=list)
    reply_markup: dict[str, Any] | None = None
    reply_to: SentMessage | None = None
    file: UploadedFile | None = None
    sticker: dict[str, Any] | None = None
    edits: list[str | None] = field(default_factory=list)
    edit_date: datetime | None = None
    deleted: bool = False
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def caption(self) -> str | None:
        return None if self.kind == "text" else self.text

    @property
    def document(self) -> UploadedFile | None:
        return self.file if self.kind == "document" else None

    @property
    def photo(self) -> bytes | None:
        return self.file.data if self.kind == "photo" and self.file else None

    @property
    def buttons(self) -> list[list[tuple[str, str | None]]]:
        """Inline keyboard rows as ``(label, callback_data or url)``."""
        return [[(b.label, b.callback_data or b.url) for b in row] for row in self.button_rows()]

    def button(self, label: str) -> ButtonInfo:
        for row in self.button_rows():
            for b in row:
                if b.label == label:
                    return b
        raise AssertionError(f"no button {label!r} on {self!r}; buttons: {self.buttons}")

    def button_rows(self) -> list[list[ButtonInfo]]:
        rows = (self.reply_markup or {}).get("inline_keyboard") or []
        return [
            [ButtonInfo(b.get("text", ""), b.get("callback_data"), b.get("url"), b) for b in row]
            for row in rows
        ]

    def __repr__(self) -> str:
        who = "bot" if self.from_bot else "user"
        body = (self.text or "")[:60].replace("\n", "\\n")
        extra = (
            f" buttons={[label for row in self.buttons for label, _ in row]}"
            if self.buttons
            else ""
        )
        gone = " DELETED" if self.deleted else ""
        return f"<#{self.message_id} {who} {self.kind} {body!r}{extra}{gone}>"


@dataclass(frozen=True)
class ChatEvent:
    """Something the bot did in a chat, in order; ``text`` is the text right after it."""

    kind: str  # new | edit | delete
    message: SentMessage
    text: str | None


@dataclass
class Chat:
    id: int
    type: str  # private | group | supergroup
    title: str | None = None
    user: dict[str, Any] | None = None
    blocked: bool = False
    left: bool = False
    last_message_id: int = 0
    messages: dict[int, SentMessage] = field(default_factory=dict)
    events: list[ChatEvent] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)

    @property
    def is_group(self) -> bool:
        return self.type != "private"

    def next_message_id(self) -> int:
        """Telegram numbers a chat's messages with one counter shared by both sides."""
        self.last_message_id += 1
        return self.last_message_id


class ChangeSignal:
    """Wakes every waiter whenever the fake's state changes, so nothing polls with sleeps."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def pulse(self) -> None:
        event, self._event = self._event, asyncio.Event()
        event.set()

    async def wait_until(self, probe: Callable[[], T | None], within: float | None) -> T | None:
        """Re-run ``probe`` after each change until it returns something other than None/False."""
        loop = asyncio.get_running_loop()
        deadline = None if within is None else loop.time() + within
        while True:
            event = self._event
            result = probe()
            if result is not None and result is not False:
                return result
            remaining = None if deadline is None else deadline - loop.time()
            if remaining is not None and remaining <= 0:
                return None
            try:
                await asyncio.wait_for(event.wait(), remaining)
            except TimeoutError:
                result = probe()
                return None if result is False else result
