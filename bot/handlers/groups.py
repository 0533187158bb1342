"""The bot's own membership: private chats only, and noticing blocks and unblocks.

Homework answers do not belong in a group, so the bot leaves any group it is added to.
"""

from __future__ import annotations

import contextlib

from telegram import Chat, ChatMember, Update
from telegram.error import Forbidden
from telegram.ext import ApplicationHandlerStop

from bot.context import TwofoldContext
from bot.handlers.common import caller
from bot.i18n import translator
from bot.services import crisis, reachability
from bot.services.crisis import Level


async def _leave(chat: Chat, language_code: str | None, context: TwofoldContext) -> None:
    _ = translator(language_code)
    # Forbidden: the bot has left already; a message sent before it did can still arrive.
    with contextlib.suppress(Forbidden):
        await context.bot.send_message(
            chat.id, _("I only work in private chats. Please message me directly. Goodbye!")
        )
        await context.bot.leave_chat(chat.id)


async def refuse_group(update: Update, context: TwofoldContext) -> None:
    """Say Twofold works in private chats only, then leave the group.

    Risk written in a group still gets help, in private, and no flag: the group is not
    where anyone agreed to be screened, and its other members are never told anything.
    """
    chat, user = update.effective_chat, update.effective_user
    assert chat is not None
    message = update.effective_message
    text = message.text if message is not None else None
    if user is not None and text and crisis.assess(text).level is not Level.NONE:
        await _help_privately(update, context)
    await _leave(chat, user.language_code if user else None, context)


async def _help_privately(update: Update, context: TwofoldContext) -> None:
    from bot.handlers.crisis_help import send_help  # (crisis_help -> ... -> groups)

    me = await caller(update, context)
    _ = me._
    intro = _(
        "You wrote something in a group that made me want to check in with you, here, "
        "privately. If you are going through something hard, you don't have to face it "
        "alone."
    )
    # Forbidden: they never opened a private chat with the bot; nothing more it can do.
    with contextlib.suppress(Forbidden):
        await send_help(context, me, intro)


async def private_only(update: Update, context: TwofoldContext) -> None:
    """Answer a button pressed anywhere but a private chat, and change nothing."""
    query = update.callback_query
    if query is None:
        return
    chat = query.message.chat if query.message is not None else None
    if chat is not None and chat.type == Chat.PRIVATE:
        return
    _ = translator(query.from_user.language_code)
    await query.answer(_("This is not available here. Please message me directly."))
    raise ApplicationHandlerStop


async def on_my_chat_member(update: Update, context: TwofoldContext) -> None:
    """Follow the bot's membership: blocked/unblocked in private, added to a group."""
    change = update.my_chat_member
    if change is None:
        return
    if change.chat.type == Chat.PRIVATE:
        await _private_membership(change.from_user.id, change.new_chat_member.status, context)
        return
    if change.new_chat_member.status in (ChatMember.LEFT, ChatMember.BANNED):
        return
    if change.chat.type == Chat.CHANNEL:
        await context.bot.leave_chat(change.chat.id)
        return
    await _leave(change.chat, change.from_user.language_code, context)


async def _private_membership(telegram_id: int, status: str, context: TwofoldContext) -> None:
    # Telegram reports a block as the bot being "kicked" from the private chat.
    async with context.services.database.session() as session:
        if status == ChatMember.BANNED:
            await reachability.blocked(
                session=session, telegram_id=telegram_id, now=context.services.clock.now()
            )
        elif status == ChatMember.MEMBER:
            await reachability.returned(session=session, telegram_id=telegram_id)
