"""Every update type a handler waits for is one Telegram is asked to send, and back."""

from __future__ import annotations

from pathlib import Path

from telegram import Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    TypeHandler,
)

from bot.app import ALLOWED_UPDATES, build_application
from bot.config import Settings


def update_types(handler: BaseHandler[Update, object, object]) -> set[str]:
    """The update types `handler` can ever act on (empty for catch-alls like TypeHandler)."""
    if isinstance(handler, ConversationHandler):
        inner = [*handler.entry_points, *handler.fallbacks]
        for states in handler.states.values():
            inner.extend(states)
        return set().union(*(update_types(h) for h in inner))
    if isinstance(handler, CallbackQueryHandler):
        return {Update.CALLBACK_QUERY}
    if isinstance(handler, ChatMemberHandler):
        return {
            ChatMemberHandler.MY_CHAT_MEMBER: {Update.MY_CHAT_MEMBER},
            ChatMemberHandler.CHAT_MEMBER: {Update.CHAT_MEMBER},
        }.get(handler.chat_member_types, {Update.MY_CHAT_MEMBER, Update.CHAT_MEMBER})
    if isinstance(handler, CommandHandler):
        return {Update.MESSAGE}  # PTB v22 commands ignore edits unless filters say so
    if isinstance(handler, MessageHandler):
        text = repr(handler.filters)
        if "UpdateType.EDITED_MESSAGE" in text:
            return {Update.EDITED_MESSAGE}
        # Without an UpdateType filter PTB hands a MessageHandler edits too.
        return {Update.MESSAGE} if "UpdateType" in text else {Update.MESSAGE, Update.EDITED_MESSAGE}
    if isinstance(handler, TypeHandler):
        return set()
    raise AssertionError(f"unknown handler type {type(handler).__name__}: add it here")


def registered_update_types(tmp_path: Path) -> set[str]:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        telegram_bot_token="123:abc",
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}",
        encryption_key_file=tmp_path / "key",
    )
    app = build_application(settings)
    wanted: set[str] = set()
    for group in app.handlers.values():
        for handler in group:
            wanted |= update_types(handler)
    return wanted


def test_every_handled_update_type_is_allowed(tmp_path: Path) -> None:
    assert registered_update_types(tmp_path) <= set(ALLOWED_UPDATES)


def test_every_allowed_update_type_has_a_handler(tmp_path: Path) -> None:
    assert set(ALLOWED_UPDATES) <= registered_update_types(tmp_path)


def test_edited_messages_are_allowed() -> None:
    """An edited answer, or words edited into a message, must reach the bot (docs/safety.md)."""
    assert Update.EDITED_MESSAGE in ALLOWED_UPDATES


def test_the_mapping_notices_a_handler_for_an_update_type_not_allowed() -> None:
    """The check above can fail: a poll handler would need an update type we never ask for."""
    from telegram.ext import PollAnswerHandler

    try:
        update_types(PollAnswerHandler(lambda u, c: None))  # type: ignore[arg-type,return-value]
    except AssertionError:
        return
    raise AssertionError("an unknown handler type must not pass silently")
