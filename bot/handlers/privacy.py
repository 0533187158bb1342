"""/privacy, /mydata and /deleteme: what is stored, a copy of it, and erasing it."""

from __future__ import annotations

import json

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.context import TwofoldContext
from bot.handlers.common import Caller, caller, keyboard, reply
from bot.handlers.leave import announce_leaving
from bot.handlers.menu import publish_menu_for
from bot.i18n import Gettext
from bot.services import erasure, mydata
from bot.services.identity import Identity, Role

ERASE = "erase:"
KEEP = "erase:no"
FILENAME = "twofold-my-data.json"


async def privacy(update: Update, context: TwofoldContext) -> None:
    """Explain in plain words what is stored, who sees it and how to get or erase it."""
    me = await caller(update, context)
    await reply(update, privacy_text(me._, context.services.settings.retention_days))


def privacy_text(_: Gettext, retention_days: int | None) -> str:
    if retention_days:
        kept = _(
            "This server erases the text of answers automatically once it is older than "
            "{days} days."
        ).format(days=retention_days)
    else:
        kept = _("This server keeps your answers until you erase them.")
    return "\n\n".join(
        [
            _("<b>Your privacy in Twofold</b>"),
            _(
                "<b>What is stored:</b> your name, time zone, delivery time, language and "
                "sharing choices; which exercises you received and whether you did them; "
                "your answers and reflections; your /tell messages with your therapist; "
                "your safety plan, if you write one."
            ),
            _(
                "<b>Who sees what:</b>\n"
                "• Your partner sees your answer to a shared exercise only after you have "
                "both answered it, and only if you both agreed to share with each other.\n"
                "• Your therapist reads your written answers only if you said yes (change "
                "it any time in /settings; if you say yes later, you choose whether your "
                "earlier answers are included). They see a number or option you choose "
                "only where the exercise tells you so. Your therapist always sees whether "
                "you did an exercise, and gets a private alert, never your words, if something you "
                "write sounds like you may be in danger, or if you tell a safety check-in "
                "you are not sure you are safe, or press I need help now.\n"
                "• The person who runs this Twofold server can see the database, but not "
                "the encrypted text."
            ),
            _(
                "<b>Safety screen:</b> software, not a person, reads what you write for "
                "signs of risk. Possible risk gets a private question (are you safe right "
                "now?); clear risk gets help and resources at once. Nobody watches in real "
                "time, and your partner is never told."
            ),
            _(
                "<b>Encryption:</b> answers, reflections and safety plans are stored "
                "encrypted. The key is kept on the same server, so this protects a stolen "
                "database or backup, not a server someone else controls."
            ),
            _(
                "<b>Telegram:</b> chats with bots are not end-to-end encrypted, so Telegram "
                "can read them. Erasing your data here does not erase Telegram's copy of this "
                "chat: delete the chat in Telegram for that."
            ),
            _(
                "<b>Your data:</b> /mydata sends you a file with everything stored about you. "
                "/deleteme erases what you wrote and your settings."
            )
            + " "
            + kept,
            _(
                "Twofold is not an emergency service and is not monitored in real time. "
                "If you are in danger, call your local emergency number."
            ),
        ]
    )


async def my_data(update: Update, context: TwofoldContext) -> None:
    """Send the user a JSON file with everything stored about them."""
    me = await caller(update, context)
    services = context.services
    async with services.database.session() as session:
        document = await mydata.collect(
            session=session,
            telegram_id=me.identity.telegram_id,
            box=services.crypto,
            library=services.library,
            now=services.clock.now(),
        )
    payload = json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")
    message = update.effective_message
    assert message is not None
    await message.reply_document(
        document=payload,
        filename=FILENAME,
        caption=me._(
            "Here is everything Twofold stores about you. Keep this file somewhere safe: it "
            "contains what you wrote."
        ),
    )


async def delete_me(update: Update, context: TwofoldContext) -> None:
    """Say exactly what will be erased and what stays, then ask to confirm."""
    me = await caller(update, context)
    _ = me._
    token = erasure.confirmation_token(
        secret=context.services.crypto.keys[0],
        telegram_id=me.identity.telegram_id,
        now=context.services.clock.now(),
    )
    buttons = keyboard([[(_("Erase"), ERASE + token), (_("Keep my data"), KEEP)]])
    await reply(update, _deleteme_text(me), buttons)


def _deleteme_text(me: Caller) -> str:
    _ = me._
    if me.role is Role.THERAPIST:
        return _(
            "Your therapist account is managed by the person who runs this Twofold server: "
            "ask them to remove it. Your couples' records stay, because they are your "
            "practice's records, not only yours.\n\n"
            "What I can erase now is what is only yours here: a safety plan if you wrote "
            "one, and any step you are in the middle of."
        )
    parts = [
        _(
            "<b>Erase your data?</b> This erases, for good:\n"
            "• every answer and reflection you wrote in Twofold\n"
            "• your safety plan\n"
            "• your name (it becomes “Former partner”) and your settings\n"
            "• any step you are in the middle of"
        )
    ]
    if me.role is Role.PARTNER:
        parts.append(
            _(
                "You also leave your couple, as with /leave: your partner is only told that "
                "exercises are on hold, not who left or why. Your therapist is told that "
                "you left."
            )
        )
    parts.append(
        _(
            "<b>What stays</b>, because your therapist's record needs it: which exercises "
            "you received, whether and when you did or skipped them, your helpfulness "
            "ratings, and the dates of any safety alerts. None of your text stays."
        )
    )
    parts.append(
        _(
            "Telegram keeps its own copy of this chat: delete the chat in Telegram to remove "
            "it. Erasing cannot be undone. Send /mydata first if you want a copy."
        )
    )
    return "\n\n".join(parts)


async def on_erase_button(update: Update, context: TwofoldContext) -> None:
    """Erase on a confirmation that belongs to this person and is still fresh."""
    query, user = update.callback_query, update.effective_user
    assert query is not None and query.data is not None and user is not None
    me = await caller(update, context)
    _ = me._
    token = query.data.removeprefix(ERASE)
    now = context.services.clock.now()
    if query.data == KEEP:
        await query.answer()
        await query.edit_message_text(_("Good, nothing changed."))
        return
    secret = context.services.crypto.keys[0]
    if not erasure.confirmation_valid(secret=secret, telegram_id=user.id, token=token, now=now):
        await query.answer(_("This is no longer available."))
        return
    await query.answer()
    async with context.services.database.session() as session:
        if me.role is Role.THERAPIST:
            await erasure.erase_own_only(session=session, telegram_id=user.id)
            erased = None
        else:
            erased = await erasure.erase(session=session, telegram_id=user.id, now=now)
    # Out of the WAL too, at once: erased means overwritten, not merely unlinked.
    await context.services.database.checkpoint()
    if erased is None:
        await query.edit_message_text(
            _("Done: what was only yours here is erased. Your account stays until removed.")
        )
        return
    await query.edit_message_text(
        _(
            "Done. What you wrote in Twofold and your settings are erased. If you want to "
            "take part again one day, ask your therapist for a new invite link. Take care."
        )
    )
    if erased.left is None:
        return
    await publish_menu_for(context.bot, Identity(user.id, Role.STRANGER, me.identity.language))
    # The same notices as /leave, from the same function: erasing tells no one more.
    await announce_leaving(context, erased.left, erased.former_name or "")


HANDLERS = [
    CommandHandler("privacy", privacy),
    CommandHandler("mydata", my_data),
    CommandHandler("deleteme", delete_me),
    CallbackQueryHandler(on_erase_button, pattern=r"^erase:"),
]
