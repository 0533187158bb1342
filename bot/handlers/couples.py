"""Therapist commands: /newcouple, /couples, /couple, /invite (/archive: couple_archive)."""

from __future__ import annotations

from datetime import timedelta

from telegram import Update
from telegram.ext import CommandHandler

from bot.context import TwofoldContext
from bot.handlers.common import (
    Caller,
    caller,
    command_argument,
    couple_not_found,
    esc,
    not_for_you,
    reply,
)
from bot.i18n import N_, Gettext
from bot.services import conversations, couples
from bot.services.couples import CoupleStatus, CoupleView
from bot.services.identity import Role
from bot.services.invites import IssuedInvite

FLOW = "newcouple"

STATUS = {
    CoupleStatus.WAITING: N_("waiting for partner(s)"),
    CoupleStatus.ACTIVE: N_("active"),
    CoupleStatus.PAUSED: N_("paused"),
    CoupleStatus.ARCHIVED: N_("archived"),
}


def _ttl(context: TwofoldContext) -> timedelta:
    return timedelta(days=context.services.settings.invite_ttl_days)


def _links(
    context: TwofoldContext, public_id: str, invites: list[IssuedInvite], _: Gettext
) -> list[str]:
    lines = []
    for invite in invites:
        url = f"https://t.me/{context.bot.username}?start={invite.code}"
        lines.append(_("Partner {slot}: {url}").format(slot=invite.slot, url=esc(url)))
    days = context.services.settings.invite_ttl_days
    lines.append(
        _(
            "Send each partner their own link. Each works once and expires in {days} days; "
            "/invite {id} makes new ones."
        ).format(days=days, id=public_id)
    )
    return lines


def _summary(view: CoupleView, _: Gettext) -> str:
    return f"• <b>{esc(view.couple.label)}</b> ({view.couple.public_id}) — {_(STATUS[view.status])}"


async def therapist_only(update: Update, context: TwofoldContext) -> Caller | None:
    """The caller if they are a therapist; otherwise tell them it is not for them (None)."""
    me = await caller(update, context)
    if me.role is not Role.THERAPIST:
        await not_for_you(update, me)
        return None
    return me


async def reply_not_found(update: Update, me: Caller, public_id: str) -> None:
    """Say there is no such couple of theirs (the same for another therapist's couple)."""
    await reply(update, couple_not_found(me, public_id))


async def named_couple(
    update: Update, context: TwofoldContext
) -> tuple[Caller, str, CoupleView | None] | None:
    """The therapist, the couple id their command names, and that couple if it is theirs.

    None: the caller is not a therapist (already told).
    """
    me = await therapist_only(update, context)
    if me is None:
        return None
    assert me.identity.therapist is not None
    public_id = couples.normalize_public_id(command_argument(update))
    async with context.services.database.session() as session:
        view = await couples.get_for(
            session=session,
            therapist=me.identity.therapist,
            public_id=public_id,
            now=context.services.clock.now(),
        )
    return me, public_id, view


async def new_couple(update: Update, context: TwofoldContext) -> None:
    """Create a couple and reply with its two invite links (or ask for a label first)."""
    me = await therapist_only(update, context)
    if me is None:
        return
    label = command_argument(update)
    if not label:
        async with context.services.database.session() as session:
            await conversations.begin(
                session=session,
                telegram_id=me.identity.telegram_id,
                flow=FLOW,
                step="label",
                now=context.services.clock.now(),
            )
        await reply(
            update,
            me._(
                "What should I call this couple? Only you see this label, so something "
                "like initials works well."
            ),
        )
        return
    await _create(update, context, me, label)


async def on_label(update: Update, context: TwofoldContext, me: Caller, text: str) -> None:
    """Take the typed label of a guided /newcouple."""
    await _create(update, context, me, text)


async def _create(update: Update, context: TwofoldContext, me: Caller, label: str) -> None:
    _ = me._
    assert me.identity.therapist is not None
    try:
        async with context.services.database.session() as session:
            view, invites = await couples.create(
                session=session,
                therapist=me.identity.therapist,
                label=label,
                now=context.services.clock.now(),
                ttl=_ttl(context),
            )
            await conversations.end(session=session, telegram_id=me.identity.telegram_id)
    except couples.InvalidLabelError:
        await reply(update, _("The label must be 1 to 64 characters. Please send another one."))
        return
    lines = [
        _("Couple <b>{label}</b> created (id {id}).").format(
            label=esc(view.couple.label), id=view.couple.public_id
        ),
        "",
        *_links(context, view.couple.public_id, invites, _),
    ]
    await reply(update, "\n".join(lines))


async def list_couples(update: Update, context: TwofoldContext) -> None:
    """List the therapist's couples with their status."""
    me = await therapist_only(update, context)
    if me is None:
        return
    assert me.identity.therapist is not None
    async with context.services.database.session() as session:
        views = await couples.list_for(
            session=session, therapist=me.identity.therapist, now=context.services.clock.now()
        )
    if not views:
        await reply(update, me._("You have no couples yet. Create one with /newcouple."))
        return
    lines = [me._("Your couples:"), *(_summary(view, me._) for view in views)]
    lines += ["", me._("Send /couple followed by an id for details.")]
    await reply(update, "\n".join(lines))


async def show_couple(update: Update, context: TwofoldContext) -> None:
    """Show one of the therapist's couples."""
    named = await named_couple(update, context)
    if named is None:
        return
    me, public_id, view = named
    if view is None:
        await reply_not_found(update, me, public_id)
        return
    _ = me._
    lines = [_summary(view, _), ""]
    for partner in view.partners:
        lines.append(
            _("Partner {slot}: {name} — {time} {zone}, {language}").format(
                slot=partner.slot,
                name=esc(partner.display_name),
                time=partner.delivery_time,
                zone=esc(partner.timezone),
                language=partner.language,
            )
        )
    for slot in view.open_slots:
        lines.append(_("Partner {slot}: hasn't joined yet").format(slot=slot))
    if view.open_slots and view.status is not CoupleStatus.ARCHIVED:
        lines += ["", _("/invite {id} makes fresh invite links.").format(id=view.couple.public_id)]
    await reply(update, "\n".join(lines))


async def reinvite(update: Update, context: TwofoldContext) -> None:
    """Issue fresh links for the empty slots and revoke the old ones."""
    me = await therapist_only(update, context)
    if me is None:
        return
    assert me.identity.therapist is not None
    public_id = command_argument(update).lower()
    async with context.services.database.session() as session:
        view = await couples.get_for(
            session=session,
            therapist=me.identity.therapist,
            public_id=public_id,
            now=context.services.clock.now(),
        )
        invites = (
            await couples.reinvite(
                session=session,
                therapist=me.identity.therapist,
                public_id=public_id,
                now=context.services.clock.now(),
                ttl=_ttl(context),
            )
            if view is not None
            else None
        )
    if view is None or invites is None:
        await reply_not_found(update, me, public_id)
        return
    _ = me._
    if view.status is CoupleStatus.ARCHIVED:
        await reply(update, _("That couple is archived, so no one new can join it."))
        return
    if not invites:
        await reply(update, _("Both partners have joined, so there is no one left to invite."))
        return
    lines = [
        _("New links (the old ones no longer work):"),
        *_links(context, view.couple.public_id, invites, _),
    ]
    await reply(update, "\n".join(lines))


HANDLERS = [
    CommandHandler("newcouple", new_couple),
    CommandHandler("couples", list_couples),
    CommandHandler("couple", show_couple),
    CommandHandler("invite", reinvite),
]
