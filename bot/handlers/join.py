"""Joining a couple: `/start <code>` shows the consent screen.

Accept joins; Decline stores nothing and the link stays valid.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler

from bot.context import TwofoldContext
from bot.db.models import NoticeKind
from bot.handlers import setup
from bot.handlers.common import Caller, esc, keyboard, notify, reply
from bot.handlers.menu import publish_menu_for
from bot.i18n import N_, normalize_language, translator
from bot.services import invites
from bot.services.identity import Identity, Role
from bot.services.invites import InviteProblem, Joined

PROBLEMS = {
    InviteProblem.UNKNOWN: N_(
        "This invite link isn't valid. Please ask your therapist for a new one."
    ),
    InviteProblem.EXPIRED: N_(
        "This invite link has expired. Please ask your therapist for a new one."
    ),
    InviteProblem.REVOKED: N_(
        "This invite link was replaced by a newer one. Please ask your therapist to send "
        "you the new one."
    ),
    InviteProblem.USED: N_(
        "This invite link has already been used. Each link works once; please ask your "
        "therapist for a new one."
    ),
    InviteProblem.ARCHIVED: N_("This program has ended, so the link no longer works."),
    InviteProblem.FULL: N_("Both places in this couple are already taken."),
    InviteProblem.ALREADY_PARTNER: N_(
        "You are already part of a couple in Twofold. To join another, first leave the "
        "current one with /leave."
    ),
    InviteProblem.ALREADY_IN_THIS_COUPLE: N_("You have already joined this couple."),
    InviteProblem.THERAPIST: N_(
        "This is an invite link for a partner; as a therapist you can't join a couple. "
        "Send it to the partner it is meant for."
    ),
    InviteProblem.INVITER_INACTIVE: N_(
        "This invite link no longer works. Please ask your therapist for a new one."
    ),
}


async def show_consent(update: Update, context: TwofoldContext, me: Caller, code: str) -> None:
    """Explain what joining means before anything about the person is stored."""
    _ = me._
    user = update.effective_user
    assert user is not None
    preview: invites.InvitePreview | InviteProblem = InviteProblem.UNKNOWN
    if invites.looks_like_code(code):
        async with context.services.database.session() as session:
            preview = await invites.preview(
                session=session, code=code, telegram_id=user.id, now=context.services.clock.now()
            )
    if isinstance(preview, InviteProblem):
        await reply(update, _(PROBLEMS[preview]))
        return
    text = "\n\n".join(
        [
            _(
                "<b>{therapist}</b> invited you to Twofold, a companion for couples-therapy "
                "homework."
            ).format(therapist=esc(preview.therapist_name)),
            _("Before you join, please read this:"),
            _(
                "• <b>Your partner sees</b> your name, whether you did each exercise, and your "
                "answers to shared exercises once you have both answered, if you both agree "
                "to share them."
            ),
            _(
                "• <b>Your therapist sees</b> whether you did each exercise, always. Your "
                "written reflections only if you allow it (you choose next, and can change it "
                "in /settings). If something you write sounds like you may be in danger, your "
                "therapist gets a private flag."
            ),
            _(
                "• Telegram chats with bots are <b>not end-to-end encrypted</b>: Telegram can "
                "read them."
            ),
            _(
                "• Twofold is <b>not an emergency service</b> and is not monitored in real "
                "time. If you are in danger, call your local emergency number."
            ),
            _("Nothing about you is stored until you accept."),
        ]
    )
    await reply(
        update,
        text,
        keyboard([[(_("Accept"), f"join:ok:{code}"), (_("Decline"), "join:no")]]),
    )


async def on_consent_button(update: Update, context: TwofoldContext) -> None:
    """Join the couple on Accept; on Decline, store nothing and keep the link valid."""
    query, user = update.callback_query, update.effective_user
    assert query is not None and query.data is not None and user is not None
    _ = translator(user.language_code)
    await query.answer()
    if not query.data.startswith("join:ok:"):
        await query.edit_message_text(
            _(
                "No problem: nothing was stored. If you change your mind, open the link "
                "again; it still works."
            )
        )
        return
    code = query.data.removeprefix("join:ok:")
    language = normalize_language(user.language_code)
    async with context.services.database.session() as session:
        joined = await invites.accept(
            session=session,
            code=code,
            telegram_id=user.id,
            first_name=user.first_name,
            language=language,
            now=context.services.clock.now(),
        )
    if isinstance(joined, InviteProblem):
        await query.edit_message_text(_(PROBLEMS[joined]))
        return
    await query.edit_message_text(
        _("Welcome to Twofold, {name}! A few quick questions to set things up.").format(
            name=esc(joined.partner.display_name)
        )
    )
    await _tell_therapist(context, joined)
    identity = Identity(user.id, Role.PARTNER, language, partner=joined.partner)
    await publish_menu_for(context.bot, identity)
    await setup.begin_onboarding(update, context, joined.partner, user.first_name)


async def _tell_therapist(context: TwofoldContext, joined: Joined) -> None:
    t_ = translator(joined.therapist.language)
    lines = [
        t_("{name} joined <b>{label}</b> as partner {slot}.").format(
            name=esc(joined.partner.display_name),
            label=esc(joined.couple.label),
            slot=joined.partner.slot,
        )
    ]
    if joined.couple_complete:
        lines.append(
            t_("<b>{label}</b> is complete: both partners have joined.").format(
                label=esc(joined.couple.label)
            )
        )
    await notify(context, joined.therapist.telegram_id, "\n".join(lines), kind=NoticeKind.JOINED)


HANDLERS = [CallbackQueryHandler(on_consent_button, pattern=r"^join:")]
