"""The bot's own membership: private chats only, and noticing blocks and unblocks.

Homework answers do not belong in a group, so the bot leaves any group it is added to.
"""

from __future__ import annotations

from telegram import Chat, ChatMember, Update

from bot.context import TwofoldContext
from bot.i18n import translator
from bot.services import reachability


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
