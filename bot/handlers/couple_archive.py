"""/archive: a therapist ends a couple's program after confirming; partners are told neutrally."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.context import TwofoldContext
from bot.db.models import NoticeKind
from bot.handlers.common import caller, esc, keyboard, notify, reply
from bot.handlers.couples import named_couple, reply_not_found
from bot.i18n import translator
from bot.services import couples
from bot.services.couples import CoupleStatus


async def archive(update: Update, context: TwofoldContext) -> None:
    """Ask the therapist to confirm ending a couple."""
    named = await named_couple(update, context)
    if named is None:
        return
    me, public_id, view = named
    if view is None or view.status is CoupleStatus.ARCHIVED:
        await reply_not_found(update, me, public_id)
        return
    _ = me._
    await reply(
        update,
        _(
            "Archive <b>{label}</b>? Deliveries stop and the partners are told, neutrally, "
            "that the program has ended. Nothing is deleted."
        ).format(label=esc(view.couple.label)),
        keyboard([[(_("Archive"), f"arch:yes:{view.couple.public_id}"), (_("Cancel"), "arch:no")]]),
    )


async def on_archive_button(update: Update, context: TwofoldContext) -> None:
    """Archive the couple once the therapist confirmed."""
    query = update.callback_query
    assert query is not None and query.data is not None
    me = await caller(update, context)
    _ = me._
    if me.identity.therapist is None:  # forged, or the role was removed meanwhile
        await query.answer(_("This is no longer available."))
        return
    await query.answer()
    if query.data == "arch:no":
        await query.edit_message_text(_("Nothing changed."))
        return
    public_id = query.data.removeprefix("arch:yes:")
    async with context.services.database.session() as session:
        archived = await couples.archive(
            session=session,
            therapist=me.identity.therapist,
            public_id=public_id,
            now=context.services.clock.now(),
        )
    if archived is None:
        await query.edit_message_text(_("This is no longer available."))
        return
    await query.edit_message_text(
        _("<b>{label}</b> is archived.").format(label=esc(archived.view.couple.label))
    )
    for partner in archived.former_partners:
        p_ = translator(partner.language)
        await notify(
            context,
            partner.telegram_id,
            p_(
                "Your therapist has closed this program in Twofold, so no more exercises "
                "will arrive. Thank you for the work you have put in."
            ),
            kind=NoticeKind.ARCHIVED,
        )


HANDLERS = [
    CommandHandler("archive", archive),
    CallbackQueryHandler(on_archive_button, pattern=r"^arch:"),
]
