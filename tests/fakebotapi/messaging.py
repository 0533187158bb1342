"""Message methods: send, edit, delete, answer callback queries, chat actions.

Order of checks per send: chat exists -> bot may write there (403) -> content is valid (400)
-> flood limits (429) -> store. So a 429 is only ever returned for a request that would
otherwise have succeeded, and a refused request never consumes rate-limit budget.

Edits follow Telegram: editing text without ``reply_markup`` *removes* the inline keyboard, and
an edit that changes nothing is a 400 "message is not modified".
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from .model import CallbackAnswer, SentMessage, bad_request
from .params import Params
from .registry import api
from .state import State
from .validate import format_text, validate_reply_markup

NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
QUERY_INVALID = "query is too old and response timeout expired or query ID is invalid"
DELETE_WINDOW = timedelta(hours=48)
CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)


@api("sendMessage")
async def send_message(state: State, p: Params) -> Any:
    chat = state.chat_from(p)
    state.ensure_can_send(chat)
    raw = p.text("text")
    fmt = format_text(
        raw, p.text("parse_mode"), p.json("entities"), caption=False, strict_html=state.strict_html
    )
    markup = validate_reply_markup(p.json("reply_markup"))
    reply_to = state.find_reply_target(chat, p)
    state.rate_check("sendMessage", chat)
    msg = state.add_message(
        chat,
        from_bot=True,
        sender=state.bot_sender,
        kind="text",
        text=fmt.text,
        html=raw,
        parse_mode=p.text("parse_mode"),
        entities=fmt.entities,
        reply_markup=markup,
        reply_to=reply_to,
        params=dict(p.data),
    )
    return state.message_json(msg)


async def _send_file(state: State, p: Params, method: str, kind: str) -> Any:
    chat = state.chat_from(p)
    state.ensure_can_send(chat)
    upload = state.resolve_file(p.file(kind), kind)
    raw = p.text("caption")
    fmt = format_text(
        raw,
        p.text("parse_mode"),
        p.json("caption_entities"),
        caption=True,
        strict_html=state.strict_html,
    )
    markup = validate_reply_markup(p.json("reply_markup"))
    reply_to = state.find_reply_target(chat, p)
    state.rate_check(method, chat)
    msg = state.add_message(
        chat,
        from_bot=True,
        sender=state.bot_sender,
        kind=kind,
        text=fmt.text,
        html=raw,
        parse_mode=p.text("parse_mode"),
        entities=fmt.entities,
        reply_markup=markup,
        reply_to=reply_to,
        file=upload,
        params={k: v for k, v in p.data.items() if k != kind},
    )
    return state.message_json(msg)


@api("sendPhoto")
async def send_photo(state: State, p: Params) -> Any:
    return await _send_file(state, p, "sendPhoto", "photo")


@api("sendDocument")
async def send_document(state: State, p: Params) -> Any:
    return await _send_file(state, p, "sendDocument", "document")


def _own_message(state: State, p: Params, missing: str) -> SentMessage:
    if p.has("inline_message_id"):
        raise bad_request("inline messages are not supported by the fake Telegram server")
    chat = state.chat_from(p)
    message_id = p.integer("message_id")
    if message_id is None:
        raise bad_request("message identifier is not specified")
    msg = chat.messages.get(message_id)
    if msg is None or msg.deleted:
        raise bad_request(missing)
    if not msg.from_bot:
        raise bad_request("message can't be edited")
    return msg


async def _edit(state: State, p: Params, method: str, *, caption: bool) -> Any:
    msg = _own_message(state, p, "message to edit not found")
    if caption == (msg.kind == "text"):
        raise bad_request(
            "there is no caption in the message to edit"
            if caption
            else "there is no text in the message to edit"
        )
    raw = p.text("caption" if caption else "text")
    fmt = format_text(
        raw,
        p.text("parse_mode"),
        p.json("caption_entities" if caption else "entities"),
        caption=caption,
        strict_html=state.strict_html,
    )
    markup = validate_reply_markup(p.json("reply_markup"))
    if (fmt.text, fmt.entities, markup) == (msg.text, msg.entities, msg.reply_markup):
        raise bad_request(NOT_MODIFIED)
    chat = state.chats[msg.chat_id]
    state.rate_check(method, chat)
    state.edit_message(
        msg,
        text=fmt.text,
        entities=fmt.entities,
        html=raw,
        parse_mode=p.text("parse_mode"),
        reply_markup=markup,
    )
    return state.message_json(msg)


@api("editMessageText")
async def edit_message_text(state: State, p: Params) -> Any:
    return await _edit(state, p, "editMessageText", caption=False)


@api("editMessageCaption")
async def edit_message_caption(state: State, p: Params) -> Any:
    return await _edit(state, p, "editMessageCaption", caption=True)


@api("editMessageReplyMarkup")
async def edit_message_reply_markup(state: State, p: Params) -> Any:
    msg = _own_message(state, p, "message to edit not found")
    markup = validate_reply_markup(p.json("reply_markup"))
    if markup == msg.reply_markup:
        raise bad_request(NOT_MODIFIED)
    state.rate_check("editMessageReplyMarkup", state.chats[msg.chat_id])
    state.edit_message(msg, reply_markup=markup)
    return state.message_json(msg)


@api("deleteMessage")
async def delete_message(state: State, p: Params) -> Any:
    chat = state.chat_from(p)
    message_id = p.integer("message_id")
    msg = chat.messages.get(message_id) if message_id is not None else None
    if msg is None or msg.deleted:
        raise bad_request("message to delete not found")
    if state.wall_clock() - msg.date >= DELETE_WINDOW:
        raise bad_request("message can't be deleted for everyone")
    if chat.is_group and not msg.from_bot:
        raise bad_request("message can't be deleted")  # the fake's bot is never a group admin
    state.delete_message(msg)
    return True


@api("deleteMessages")
async def delete_messages(state: State, p: Params) -> Any:
    """1-100 ids; like Telegram, ids that are unknown, gone or undeletable are skipped."""
    chat = state.chat_from(p)
    ids = p.json("message_ids")
    if not isinstance(ids, list) or not 1 <= len(ids) <= 100:
        raise bad_request("message_ids must contain 1-100 message identifiers")
    if not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
        raise bad_request("invalid message identifier specified")
    for message_id in ids:
        msg = chat.messages.get(message_id)
        if msg is None or msg.deleted or state.wall_clock() - msg.date >= DELETE_WINDOW:
            continue
        if chat.is_group and not msg.from_bot:
            continue
        state.delete_message(msg)
    return True


@api("answerCallbackQuery")
async def answer_callback_query(state: State, p: Params) -> Any:
    query_id = p.text("callback_query_id") or ""
    if state.callbacks.get(query_id, True):
        raise bad_request(QUERY_INVALID)
    text = p.text("text")
    if text is not None and len(text) > 200:
        raise bad_request("MESSAGE_TOO_LONG")
    state.callbacks[query_id] = True
    state.answers[query_id] = CallbackAnswer(text or None, p.flag("show_alert"), p.text("url"))
    state.signal.pulse()
    return True


@api("sendChatAction")
async def send_chat_action(state: State, p: Params) -> Any:
    chat = state.chat_from(p)
    state.ensure_can_send(chat)
    action = p.text("action") or ""
    if action not in CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    chat.actions.append(action)
    state.signal.pulse()
    return True
