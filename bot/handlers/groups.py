"""Twofold works in private chats only: homework answers do not belong in a group."""

from __future__ import annotations

from telegram import Chat, ChatMember, Update

from bot.context import TwofoldContext
from bot.i18n import translator


async def _leave(chat: Chat, language_code: str | None, context: TwofoldContext) -> None:
    _ = translator(language_code)
    await context.bot.send_message(
        chat.id, _("I only work in private chats. Please message me directly. Goodbye!")
    )
    await context.bot.leave_chat(chat.id)


async def refuse_group(update: Update, context: TwofoldContext) -> None:
    """Say Twofold works in private chats only, then leave the group."""
    chat, user = update.effective_chat, update.effective_user
    assert chat is not None
    await _leave(chat, user.language_code if user else None, context)


async def refuse_group_membership(update: Update, context: TwofoldContext) -> None:
    """Leave a group or channel as soon as someone adds the bot to it."""
    change = update.my_chat_member
    if change is None or change.chat.type == Chat.PRIVATE:
        return
    if change.new_chat_member.status in (ChatMember.LEFT, ChatMember.BANNED):
        return
    if change.chat.type == Chat.CHANNEL:
        await context.bot.leave_chat(change.chat.id)
        return
    await _leave(change.chat, change.from_user.language_code, context)
