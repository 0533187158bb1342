"""Bot-level methods: getMe, getUpdates, webhooks, command lists, chats and files."""

from __future__ import annotations

import re
from typing import Any

from .model import ApiError, bad_request
from .params import Params
from .registry import api
from .state import State
from .validate import scope_key, validate_commands

_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")


@api("getMe")
async def get_me(state: State, p: Params) -> Any:
    return state.bot_user


@api("getUpdates")
async def get_updates(state: State, p: Params) -> Any:
    limit = p.integer("limit")
    return await state.updates.get_updates(
        p.integer("offset"),
        limit or 100,  # Telegram: 1-100, anything else means the default
        p.number("timeout", 0.0),
        p.json("allowed_updates"),
    )


@api("setWebhook")
async def set_webhook(state: State, p: Params) -> Any:
    url = p.text("url") or ""
    if not url:
        await state.updates.delete_webhook(p.flag("drop_pending_updates"))
        return True
    # Telegram insists on HTTPS and ports 443/80/88/8443; a loopback test receiver can't, so
    # the fake accepts any http(s) URL.
    if not re.match(r"https?://[^/\s]+", url):
        raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
    secret = p.text("secret_token")
    if secret is not None and not _SECRET.fullmatch(secret):
        raise bad_request("secret token contains unallowed characters")
    max_connections = p.integer("max_connections") or 40
    await state.updates.set_webhook(
        url, secret, p.flag("drop_pending_updates"), p.json("allowed_updates"), max_connections
    )
    return True


@api("deleteWebhook")
async def delete_webhook(state: State, p: Params) -> Any:
    await state.updates.delete_webhook(p.flag("drop_pending_updates"))
    return True


@api("getWebhookInfo")
async def get_webhook_info(state: State, p: Params) -> Any:
    return state.updates.webhook_info_json()


def _language_code(p: Params) -> str:
    """The optional two-letter `language_code` of the command and profile methods."""
    language = p.text("language_code") or ""
    if language and not re.fullmatch(r"[a-z]{2}", language):
        raise bad_request("invalid language code specified")
    return language


def _command_key(state: State, p: Params) -> tuple[str, int | None, str]:
    kind, chat_id = scope_key(p.json("scope"))
    if chat_id is not None:
        state.chat(chat_id)
    return kind, chat_id, _language_code(p)


@api("setMyCommands")
async def set_my_commands(state: State, p: Params) -> Any:
    key = _command_key(state, p)
    commands = validate_commands(p.json("commands"))
    if commands:
        state.commands[key] = commands
    else:
        state.commands.pop(key, None)
    state.signal.pulse()
    return True


@api("getMyCommands")
async def get_my_commands(state: State, p: Params) -> Any:
    commands = state.commands.get(_command_key(state, p), [])
    return [{"command": c.command, "description": c.description} for c in commands]


@api("deleteMyCommands")
async def delete_my_commands(state: State, p: Params) -> Any:
    state.commands.pop(_command_key(state, p), None)
    state.signal.pulse()
    return True


# Telegram's limits for the bot's profile texts (Bot API: setMyDescription and
# setMyShortDescription); an empty text removes the one for that language.
DESCRIPTION_LIMITS = {"description": 512, "short": 120}


def _set_description(state: State, p: Params, kind: str, field: str) -> Any:
    language = _language_code(p)
    text = p.text(field) or ""
    if len(text) > DESCRIPTION_LIMITS[kind]:
        raise bad_request(f"{field.replace('_', ' ')} is too long")
    if text:
        state.descriptions[(kind, language)] = text
    else:
        state.descriptions.pop((kind, language), None)
    state.signal.pulse()
    return True


def _get_description(state: State, p: Params, kind: str) -> str:
    language = _language_code(p)
    return state.descriptions.get((kind, language), "")


@api("setMyDescription")
async def set_my_description(state: State, p: Params) -> Any:
    return _set_description(state, p, "description", "description")


@api("getMyDescription")
async def get_my_description(state: State, p: Params) -> Any:
    return {"description": _get_description(state, p, "description")}


@api("setMyShortDescription")
async def set_my_short_description(state: State, p: Params) -> Any:
    return _set_description(state, p, "short", "short_description")


@api("getMyShortDescription")
async def get_my_short_description(state: State, p: Params) -> Any:
    return {"short_description": _get_description(state, p, "short")}


@api("getChat")
async def get_chat(state: State, p: Params) -> Any:
    return state.chat_full_json(state.chat_from(p))


@api("leaveChat")
async def leave_chat(state: State, p: Params) -> Any:
    chat = state.chat_from(p)
    if not chat.is_group:
        raise bad_request("chat member status can't be changed in private chats")
    if chat.left:
        raise ApiError(403, "Forbidden: bot is not a member of the group chat")
    chat.left = True
    state.signal.pulse()
    return True


@api("getFile")
async def get_file(state: State, p: Params) -> Any:
    upload = state.files.get(p.text("file_id") or "")
    if upload is None:
        raise bad_request("invalid file_id")
    return {
        "file_id": upload.file_id,
        "file_unique_id": upload.file_unique_id,
        "file_size": len(upload.data),
        "file_path": f"files/{upload.file_id}/{upload.filename or 'file'}",
    }
