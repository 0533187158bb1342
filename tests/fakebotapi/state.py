"""Everything the fake server knows, independent of HTTP: chats, messages, files, updates.

Objects returned to the bot are built here so that they parse with PTB's ``de_json``
(``Message`` needs ``message_id``, ``date``, ``chat``; ``User`` needs ``id``, ``is_bot``,
``first_name``; ``ChatFullInfo`` needs ``accent_color_id``, ``max_reaction_count`` and
``accepted_gift_types``).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from .model import (
    ApiCall,
    ApiError,
    ApiErrorRecord,
    BotCommand,
    CallbackAnswer,
    ChangeSignal,
    Chat,
    ChatEvent,
    SentMessage,
    UploadedFile,
    bad_request,
)
from .params import Params
from .ratelimit import RateLimiter
from .updates import UpdateQueue
from .urls import utf16_len

__all__ = ["State"]

# tdlib's match_bot_commands: /cmd (1-64 chars) with optional @botname, on word boundaries.
_BOT_COMMAND = re.compile(r"(?<![\w/<>])/[a-zA-Z0-9_]{1,64}(?:@[a-zA-Z0-9_]{3,32})?(?![\w/<>])")


class State:
    def __init__(
        self,
        *,
        token: str,
        bot_user: dict[str, Any],
        wall_clock: Callable[[], datetime],
        limiter: RateLimiter,
        strict_html: bool,
        webhook_retries: int,
    ) -> None:
        self.token = token
        self.bot_user = bot_user  # getMe's answer
        # how the bot appears inside messages: getMe's capability flags are not repeated there
        self.bot_sender = {k: bot_user[k] for k in ("id", "is_bot", "first_name", "username")}
        self.wall_clock = wall_clock
        self.limiter = limiter
        self.strict_html = strict_html
        self.signal = ChangeSignal()
        self.updates = UpdateQueue(self.signal, wall_clock, retries=webhook_retries)
        self.chats: dict[int, Chat] = {}
        self.files: dict[str, UploadedFile] = {}
        self.callbacks: dict[str, bool] = {}  # callback query id -> answered
        self.answers: dict[str, CallbackAnswer] = {}
        self.commands: dict[tuple[str, int | None, str], list[BotCommand]] = {}
        # setMyDescription / setMyShortDescription: ("description" | "short", language) -> text
        self.descriptions: dict[tuple[str, str], str] = {}
        self.calls: list[ApiCall] = []
        self.errors: list[ApiErrorRecord] = []
        self._ids = itertools.count(1)

    # -- chats ---------------------------------------------------------------------------

    def chat(self, chat_id: Any) -> Chat:
        if chat_id is None or chat_id == "":
            raise bad_request("chat_id is empty")
        try:
            chat = self.chats.get(int(chat_id))
        except (TypeError, ValueError):
            chat = None  # "@username" or garbage: Telegram answers "chat not found"
        if chat is None:
            raise bad_request("chat not found")
        return chat

    def chat_from(self, p: Params) -> Chat:
        return self.chat(p.data.get("chat_id"))

    def ensure_can_send(self, chat: Chat) -> None:
        if chat.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if chat.left:
            raise ApiError(403, "Forbidden: bot is not a member of the group chat")

    def rate_check(self, method: str, chat: Chat) -> None:
        retry_after = self.limiter.check(method, chat.id, group=chat.is_group)
        if retry_after is not None:
            raise ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after)

    # -- files ---------------------------------------------------------------------------

    def store_file(self, upload: UploadedFile, kind: str) -> UploadedFile:
        n = next(self._ids)
        upload.file_id = upload.file_id or f"{kind[:2].upper()}AACAgIAAxk{n:08d}fake"
        upload.file_unique_id = upload.file_unique_id or f"AgAD{n:06d}"
        self.files[upload.file_id] = upload
        return upload

    def resolve_file(self, value: UploadedFile | str | None, kind: str) -> UploadedFile:
        if value is None or value == "":
            raise bad_request(f"there is no {kind} in the request")
        if isinstance(value, UploadedFile):
            return self.store_file(value, kind)
        if value in self.files:
            return self.files[value]
        if re.match(r"https?://", value):
            name = value.rstrip("/").rsplit("/", 1)[-1] or None
            return self.store_file(UploadedFile(b"", name, None, url=value), kind)
        raise bad_request("wrong file identifier/HTTP URL specified")

    # -- messages ------------------------------------------------------------------------

    def add_message(
        self, chat: Chat, *, from_bot: bool, sender: dict[str, Any], kind: str, **fields: Any
    ) -> SentMessage:
        msg = SentMessage(
            message_id=chat.next_message_id(),
            chat_id=chat.id,
            from_bot=from_bot,
            sender=sender,
            date=self.wall_clock(),
            kind=kind,
            **fields,
        )
        chat.messages[msg.message_id] = msg
        if from_bot:
            chat.events.append(ChatEvent("new", msg, msg.text))
        self.signal.pulse()
        return msg

    def edit_message(self, msg: SentMessage, **changes: Any) -> None:
        msg.edits.append(msg.text)
        for name, value in changes.items():
            setattr(msg, name, value)
        msg.edit_date = self.wall_clock()
        self.chats[msg.chat_id].events.append(ChatEvent("edit", msg, msg.text))
        self.signal.pulse()

    def delete_message(self, msg: SentMessage) -> None:
        msg.deleted = True
        self.chats[msg.chat_id].events.append(ChatEvent("delete", msg, msg.text))
        self.signal.pulse()

    def find_reply_target(self, chat: Chat, p: Params) -> SentMessage | None:
        reply = p.json("reply_parameters")
        if isinstance(reply, dict):
            target_id, allow = (
                reply.get("message_id"),
                bool(reply.get("allow_sending_without_reply")),
            )
            if reply.get("chat_id") not in (None, chat.id):
                chat = self.chat(reply["chat_id"])
        else:
            target_id, allow = (
                p.integer("reply_to_message_id"),
                p.flag("allow_sending_without_reply"),
            )
        if target_id is None:
            return None
        target = chat.messages.get(int(target_id))
        if target is None or target.deleted:
            if allow:
                return None
            raise bad_request("message to be replied not found")
        return target

    # -- updates from users --------------------------------------------------------------

    def user_message(
        self, chat: Chat, user: dict[str, Any], kind: str, **fields: Any
    ) -> SentMessage:
        text = fields.get("text")
        if kind == "text" and text:
            fields["entities"] = [
                {
                    "type": "bot_command",
                    "offset": utf16_len(text[: m.start()]),
                    "length": utf16_len(m.group()),
                }
                for m in _BOT_COMMAND.finditer(text)
            ]
        msg = self.add_message(chat, from_bot=False, sender=user, kind=kind, html=text, **fields)
        self.updates.push({"message": self.message_json(msg)})
        return msg

    def user_edit(self, msg: SentMessage, text: str) -> None:
        """The user edits their own text message: Telegram sends ``edited_message``."""
        msg.edits.append(msg.text)
        msg.text = msg.html = text
        msg.edit_date = self.wall_clock()
        edited = {**self.message_json(msg), "edit_date": int(msg.edit_date.timestamp())}
        self.updates.push({"edited_message": edited})

    def callback_query(self, chat: Chat, user: dict[str, Any], msg: SentMessage, data: str) -> str:
        query_id = str(4_000_000_000_000_000 + next(self._ids))
        self.callbacks[query_id] = False
        self.updates.push(
            {
                "callback_query": {
                    "id": query_id,
                    "from": user,
                    "message": self.message_json(msg),
                    "chat_instance": str(-abs(chat.id) - 7_000_000),
                    "data": data,
                }
            }
        )
        return query_id

    def chat_member_update(self, chat: Chat, user: dict[str, Any], old: str, new: str) -> None:
        """What Telegram sends as ``my_chat_member`` when a user blocks/unblocks the bot."""

        def member(status: str) -> dict[str, Any]:
            extra = {"until_date": 0} if status == "kicked" else {}
            return {"user": self.bot_sender, "status": status, **extra}

        self.updates.push(
            {
                "my_chat_member": {
                    "chat": self.chat_json(chat),
                    "from": user,
                    "date": int(self.wall_clock().timestamp()),
                    "old_chat_member": member(old),
                    "new_chat_member": member(new),
                }
            }
        )

    # -- JSON ----------------------------------------------------------------------------

    def chat_json(self, chat: Chat) -> dict[str, Any]:
        if chat.type == "private" and chat.user is not None:
            keys = ("first_name", "last_name", "username")
            return {
                "id": chat.id,
                "type": "private",
                **{k: chat.user[k] for k in keys if k in chat.user},
            }
        return {"id": chat.id, "type": chat.type, "title": chat.title or ""}

    def chat_full_json(self, chat: Chat) -> dict[str, Any]:
        gifts = dict.fromkeys(
            (
                "unlimited_gifts",
                "limited_gifts",
                "unique_gifts",
                "premium_subscription",
                "gifts_from_channels",
            ),
            False,
        )
        return {
            **self.chat_json(chat),
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": gifts,
        }

    def message_json(self, msg: SentMessage, *, with_reply: bool = True) -> dict[str, Any]:
        data: dict[str, Any] = {
            "message_id": msg.message_id,
            "from": msg.sender,
            "chat": self.chat_json(self.chats[msg.chat_id]),
            "date": int(msg.date.timestamp()),
        }
        if msg.edit_date is not None:
            data["edit_date"] = int(msg.edit_date.timestamp())
        text_key, entities_key = (
            ("text", "entities") if msg.kind == "text" else ("caption", "caption_entities")
        )
        if msg.text:
            data[text_key] = msg.text
            if msg.entities:
                data[entities_key] = msg.entities
        if msg.file is not None:
            f = msg.file
            ids = {
                "file_id": f.file_id,
                "file_unique_id": f.file_unique_id,
                "file_size": len(f.data),
            }
            if msg.kind == "photo":
                data["photo"] = [{**ids, "width": 320, "height": 320}]
            else:
                data["document"] = {**ids, "file_name": f.filename, "mime_type": f.mime}
                data["document"] = {k: v for k, v in data["document"].items() if v is not None}
        if msg.sticker is not None:
            data["sticker"] = msg.sticker
        if msg.reply_markup and "inline_keyboard" in msg.reply_markup:
            data["reply_markup"] = {"inline_keyboard": msg.reply_markup["inline_keyboard"]}
        if with_reply and msg.reply_to is not None:
            data["reply_to_message"] = self.message_json(msg.reply_to, with_reply=False)
        return data
