"""Checks Telegram applies to message text, keyboards and command lists, with Telegram's wording.

Error strings come from the Bot API as observed live (e.g. ``BUTTON_DATA_INVALID``,
``inline keyboard button URL 'x' is invalid: Wrong HTTP URL``, ``message is too long``).
Where this fake is *stricter* than Telegram it says so in the description, so a failure
caused by the fake's opinion is never mistaken for real Telegram behaviour.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from .html import EntityParseError, parse_html
from .model import ApiError, BotCommand, bad_request
from .urls import UrlError, check_url, utf16_len

__all__ = [
    "CAPTION_LIMIT",
    "TEXT_LIMIT",
    "Formatted",
    "format_text",
    "scope_key",
    "validate_commands",
    "validate_reply_markup",
]

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64
_TRIM = " \t\n\r\v\f"
_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
_COMMAND = re.compile(r"[a-z0-9_]{1,32}")
_SCOPES = frozenset(
    {
        "default",
        "all_private_chats",
        "all_group_chats",
        "all_chat_administrators",
        "chat",
        "chat_administrators",
        "chat_member",
    }
)


@dataclass(frozen=True)
class Formatted:
    text: str
    entities: list[dict[str, Any]]


def format_text(
    raw: str | None,
    parse_mode: str | None,
    entities: Any,
    *,
    caption: bool,
    strict_html: bool = False,
) -> Formatted:
    """Parse, trim and length-check a text or caption like Telegram.

    Length is counted in UTF-16 code units after entity parsing. Telegram documents the limit
    only as "characters"; UTF-16 units are the strictest plausible reading, so text that passes
    here also passes on Telegram.
    """
    raw = raw or ""
    mode = (parse_mode or "").strip().lower()
    if mode == "html":
        try:
            text, ents = parse_html(raw, strict=strict_html)
        except EntityParseError as err:
            raise bad_request(f"can't parse entities: {err}") from None
    elif mode == "":
        text, ents = raw, [dict(e) for e in entities or [] if isinstance(e, dict)]
    elif mode in ("markdown", "markdownv2"):
        raise bad_request(f"parse_mode {parse_mode} is not implemented by the fake Telegram server")
    else:
        raise bad_request("unsupported parse_mode")
    text, ents = _trim(text, ents)
    if not text and not caption:
        raise bad_request("message text is empty")
    if utf16_len(text) > (CAPTION_LIMIT if caption else TEXT_LIMIT):
        raise bad_request("message caption is too long" if caption else "message is too long")
    return Formatted(text, ents)


def _trim(text: str, entities: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """Telegram strips leading/trailing whitespace and clips entities to what remains."""
    stripped = text.strip(_TRIM)
    if stripped == text:
        return text, entities
    lead = utf16_len(text[: len(text) - len(text.lstrip(_TRIM))])
    size = utf16_len(stripped)
    result = []
    for entity in entities:
        start = max(0, int(entity.get("offset", 0)) - lead)
        end = min(size, int(entity.get("offset", 0)) + int(entity.get("length", 0)) - lead)
        if end > start:
            result.append({**entity, "offset": start, "length": end - start})
    return stripped, result


def validate_reply_markup(markup: Any) -> dict[str, Any] | None:
    """Return the markup to store, or raise like Telegram for a bad inline keyboard."""
    if markup is None or markup == "":
        return None
    if isinstance(markup, str):
        try:
            markup = json.loads(markup)
        except ValueError:
            raise bad_request("can't parse reply keyboard markup JSON object") from None
    if not isinstance(markup, dict):
        raise bad_request("object expected as reply markup")
    if "inline_keyboard" not in markup:
        if {"keyboard", "remove_keyboard", "force_reply"} & markup.keys():
            return markup
        raise bad_request("can't parse reply keyboard markup JSON object")
    rows = markup["inline_keyboard"]
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request(
            'field "inline_keyboard" of the InlineKeyboardMarkup should be an Array of Arrays'
        )
    if sum(len(row) for row in rows) > 100 or any(len(row) > 8 for row in rows):
        raise bad_request("REPLY_MARKUP_TOO_LONG")
    for row in rows:
        for button in row:
            _check_button(button)
    return markup


def _check_button(button: Any) -> None:
    prefix = "can't parse inline keyboard button: "
    if not isinstance(button, dict):
        raise bad_request(prefix + "InlineKeyboardButton must be an Object")
    if "text" not in button:
        raise bad_request(prefix + 'Can\'t find field "text"')
    if not isinstance(button["text"], str):
        raise bad_request(prefix + 'Field "text" must be of type String')
    if not button["text"].strip():
        raise bad_request("BUTTON_TEXT_INVALID")
    # Telegram treats an empty callback_data/url as absent (then: "Text buttons are unallowed").
    actions = [
        a
        for a in _ACTIONS
        if a in button and not (a in ("url", "callback_data") and button[a] == "")
    ]
    if not actions:
        raise bad_request(prefix + "Text buttons are unallowed in the inline keyboard")
    if len(actions) > 1:
        raise bad_request(
            prefix + f"more than one action field ({', '.join(actions)}); the fake server is "
            "stricter than Telegram, which would silently use only one of them"
        )
    if "callback_data" in actions:
        data = button["callback_data"]
        if not isinstance(data, str) or len(data.encode("utf-8")) > CALLBACK_DATA_LIMIT:
            raise bad_request("BUTTON_DATA_INVALID")
    if "url" in actions:
        try:
            check_url(str(button["url"]))
        except UrlError as err:
            raise bad_request(
                f"inline keyboard button URL '{button['url']}' is invalid: {err}"
            ) from None


def validate_commands(commands: Any) -> list[BotCommand]:
    if commands is None:
        raise bad_request('parameter "commands" is required')
    if not isinstance(commands, list):
        raise bad_request("can't parse commands JSON object")
    if len(commands) > 100:
        raise bad_request("BOT_COMMANDS_TOO_MUCH")
    result = []
    for item in commands:
        if not isinstance(item, dict):
            raise bad_request("can't parse BotCommand: BotCommand must be an Object")
        command = str(item.get("command") or "")
        description = str(item.get("description") or "")
        if not command:
            raise bad_request("command must be non-empty")
        if not _COMMAND.fullmatch(command):
            raise bad_request("BOT_COMMAND_INVALID")
        if not description.strip():
            raise bad_request("command description must be non-empty")
        if len(description) > 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        result.append(BotCommand(command, description))
    return result


def scope_key(scope: Any) -> tuple[str, int | None]:
    """Normalise a BotCommandScope (dict, JSON string, or just its type) to (type, chat_id)."""
    if scope is None or scope == "":
        return "default", None
    if isinstance(scope, str):
        try:
            scope = json.loads(scope)
        except ValueError:
            scope = {"type": scope}
    if not isinstance(scope, dict) or scope.get("type") not in _SCOPES:
        raise ApiError(400, "Bad Request: unsupported bot command scope type")
    kind = str(scope["type"])
    if kind in ("chat", "chat_administrators", "chat_member"):
        try:
            return kind, int(scope.get("chat_id"))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise bad_request("chat not found") from None
    return kind, None
