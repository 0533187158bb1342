"""Handlers translate Telegram updates into service calls and render the replies.

`register` is the one place handlers are attached. Within a group PTB runs only the
first handler whose filters match, so the order below is part of the behaviour.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import (
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.context import TwofoldApp
from bot.handlers import (
    answers,
    assign,
    assignments,
    brief,
    check_in,
    controls,
    couple_archive,
    couples,
    digest,
    discreet,
    errors,
    fallback,
    flags,
    groups,
    guards,
    join,
    leave,
    library,
    privacy,
    progress,
    reports,
    respond,
    safety,
    setup,
    start,
    text,
)


def register(app: TwofoldApp) -> None:
    """Attach every handler to `app`."""
    # Order matters: these guards run before every other group. A replayed update stops
    # first (so it costs no flood budget), then a flooding user's surplus is dropped.
    app.add_handler(TypeHandler(Update, guards.once_per_update), group=guards.ONCE_GROUP)
    app.add_handler(guards.FloodGuard().handler(), group=guards.FLOOD_GROUP)
    # Order matters: a button works only in a private chat; elsewhere it changes nothing.
    app.add_handler(TypeHandler(Update, groups.private_only), group=guards.PRIVATE_GROUP)

    # Order matters: group chats are refused before any command can run in them.
    app.add_handler(MessageHandler(~filters.ChatType.PRIVATE, groups.refuse_group))
    app.add_handler(ChatMemberHandler(groups.on_my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER))
    # Order matters: an edited message is never a new command or a new answer.
    app.add_handler(answers.EDITS)

    app.add_handler(CommandHandler("start", start.start))
    app.add_handler(CommandHandler("help", start.help_command))
    # Safety first: /safetyplan, /tell and the "I need help now" button (docs/safety.md).
    app.add_handlers(safety.HANDLERS)
    app.add_handlers(check_in.HANDLERS)  # the check-in's I'm safe / Not sure / I need help
    app.add_handler(CommandHandler("clear", discreet.clear))
    app.add_handlers(
        [
            *join.HANDLERS,
            *couples.HANDLERS,
            *couple_archive.HANDLERS,
            *library.HANDLERS,
            *setup.HANDLERS,
            *leave.HANDLERS,
            *respond.HANDLERS,
            *answers.HANDLERS,
            *assign.HANDLERS,
            *assignments.HANDLERS,
            *controls.HANDLERS,
            *privacy.HANDLERS,
        ]
    )
    # Shared progress and therapist reporting (docs/progress.md).
    app.add_handlers(
        [
            *progress.HANDLERS,
            *reports.HANDLERS,
            *brief.HANDLERS,
            *digest.HANDLERS,
            *flags.HANDLERS,  # /flags and "Mark as seen" (docs/safety.md)
        ]
    )

    # Order matters: commands above win; plain text goes to the open guided step.
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, text.on_text))
    # Order matters: these catch whatever no handler above claimed, so they stay last.
    app.add_handler(MessageHandler(filters.COMMAND, fallback.unknown_command))
    app.add_handler(MessageHandler(filters.ALL, fallback.unsupported_message))
    app.add_handler(CallbackQueryHandler(fallback.stale_button))

    app.add_error_handler(errors.on_error)
