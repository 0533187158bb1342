"""/mydata: everything Twofold stores about one person, as a JSON-ready document.

What belongs to someone is found by their Telegram id: their therapist row, every
membership they ever had (current or former), the deliveries and answers of those
memberships, their safety plan and their open guided step. Nothing another person
wrote is ever included: of their partner, only the display name they were shown.
Flags say only that, and when, a safety alert reached the therapist.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db.models import (
    AuditEntry,
    CheckIn,
    ConversationState,
    Couple,
    Delivery,
    Flag,
    Invite,
    Partner,
    Response,
    SafetyPlan,
    TellMessage,
    Therapist,
)
from bot.library import Library
from bot.services.crypto import Box, EncryptionKeyError

FORMAT = "twofold-mydata/1"

# Settings, consents and timestamps of a membership; internal row ids are left out.
_PARTNER_FIELDS = (
    "slot",
    "display_name",
    "timezone",
    "delivery_time",
    "language",
    "share_with_therapist",
    "therapist_sharing_since",
    "share_with_partner",
    "neutral_notifications",
    "quiet_start",
    "quiet_end",
    "setup_done",
    "is_current",
    "paused_at",
    "paused_until",
    "unreachable_at",
    "consented_at",
    "joined_at",
    "left_at",
)
_THERAPIST_FIELDS = ("name", "timezone", "language", "active", "digest_enabled", "created_at")
_DELIVERY_FIELDS = (
    "day",
    "item",
    "exercise_slug",
    "local_date",
    "scheduled_at",
    "status",
    "sent_at",
    "completed_at",
    "reminders_sent",
)


def _plain(value: object) -> Any:
    """A JSON value: times as ISO 8601 strings."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _fields(row: object, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: _plain(getattr(row, name)) for name in names}


def _open(box: Box, token: bytes | None) -> dict[str, Any]:
    if token is None:
        return {"text": None}
    try:
        return {"text": box.decrypt(token)}
    except EncryptionKeyError:
        return {"text": None, "text_unreadable": True}


async def collect(
    *, session: AsyncSession, telegram_id: int, box: Box, library: Library, now: datetime
) -> dict[str, Any]:
    """The document /mydata sends: everything stored about `telegram_id`."""
    therapist = (
        await session.exec(select(Therapist).where(Therapist.telegram_id == telegram_id))
    ).first()
    memberships = (
        await session.exec(
            select(Partner).where(Partner.telegram_id == telegram_id).order_by(col(Partner.id))
        )
    ).all()
    plan = await session.get(SafetyPlan, telegram_id)
    state = await session.get(ConversationState, telegram_id)
    check_ins = (
        await session.exec(
            select(CheckIn).where(CheckIn.telegram_id == telegram_id).order_by(col(CheckIn.id))
        )
    ).all()
    return {
        "format": FORMAT,
        "generated_at": _plain(now),
        "telegram_id": telegram_id,
        "therapist": await _therapist(session, therapist) if therapist else None,
        "memberships": [await _membership(session, p, box, library) for p in memberships],
        "safety_plan": {**_open(box, plan.text_ct), "updated_at": _plain(plan.updated_at)}
        if plan
        else None,
        "conversation_state": _fields(state, ("flow", "step", "data", "updated_at"))
        if state
        else None,
        # When the safety screen asked "are you safe right now?", and the answer (no words).
        "safety_check_ins": [_fields(c, ("asked_at", "answer", "answered_at")) for c in check_ins],
    }


async def _therapist(session: AsyncSession, therapist: Therapist) -> dict[str, Any]:
    couples = (
        await session.exec(
            select(Couple).where(Couple.therapist_id == therapist.id).order_by(col(Couple.id))
        )
    ).all()
    actions = (
        await session.exec(
            select(AuditEntry)
            .where(AuditEntry.actor == f"therapist:{therapist.telegram_id}")
            .order_by(col(AuditEntry.id))
        )
    ).all()
    return {
        **_fields(therapist, _THERAPIST_FIELDS),
        "couples": [
            _fields(c, ("public_id", "label", "created_at", "archived_at")) for c in couples
        ],
        "audit_log": [_fields(a, ("at", "action", "subject", "detail")) for a in actions],
    }


async def _membership(
    session: AsyncSession, partner: Partner, box: Box, library: Library
) -> dict[str, Any]:
    couple = await session.get(Couple, partner.couple_id)
    assert couple is not None
    therapist = await session.get(Therapist, couple.therapist_id)
    # The person in the other slot while this membership lasted: their name only.
    others = (
        await session.exec(
            select(Partner)
            .where(Partner.couple_id == partner.couple_id, Partner.slot != partner.slot)
            .order_by(col(Partner.is_current).desc(), col(Partner.id).desc())
        )
    ).all()
    invite = (
        await session.exec(
            select(Invite).where(
                Invite.couple_id == partner.couple_id,
                Invite.slot == partner.slot,
                Invite.used_by == partner.telegram_id,
            )
        )
    ).first()
    return {
        **_fields(partner, _PARTNER_FIELDS),
        "couple": {
            # Not the label: the therapist was told "Only you see this label".
            **_fields(couple, ("public_id", "created_at", "archived_at")),
            "therapist_name": therapist.name if therapist else None,
            "partner_display_name": others[0].display_name if others else None,
        },
        # A right of access includes who read one's data: the therapist's looks at this
        # couple (/report, /export, /brief, /flags) while this person was in it.
        "read_by": await _reads(session, partner, couple, therapist),
        "invite_used_at": _plain(invite.used_at) if invite else None,
        "deliveries": await _deliveries(session, partner, box, library),
        "flags": [
            _fields(f, ("created_at", "seen_at"))
            for f in (
                await session.exec(
                    select(Flag).where(Flag.partner_id == partner.id).order_by(col(Flag.id))
                )
            ).all()
        ],
        # Their own correspondence with the therapist, kept for the therapist's /export.
        "tell_messages": [
            {**_fields(m, ("direction", "created_at")), **_open(box, m.text_ct)}
            for m in (
                await session.exec(
                    select(TellMessage)
                    .where(TellMessage.partner_id == partner.id)
                    .order_by(col(TellMessage.id))
                )
            ).all()
        ],
    }


_READS = ("report", "export", "brief", "flags")


async def _reads(
    session: AsyncSession, partner: Partner, couple: Couple, therapist: Therapist | None
) -> list[dict[str, Any]]:
    query = select(AuditEntry).where(
        AuditEntry.subject == couple.public_id,
        col(AuditEntry.action).in_(_READS),
        AuditEntry.detail != "not found",
        col(AuditEntry.at) >= partner.joined_at,
    )
    if partner.left_at is not None:
        query = query.where(col(AuditEntry.at) <= partner.left_at)
    entries = (await session.exec(query.order_by(col(AuditEntry.at)))).all()
    name = therapist.name if therapist else None
    return [{"at": _plain(e.at), "what": e.action, "by": name} for e in entries]


async def _deliveries(
    session: AsyncSession, partner: Partner, box: Box, library: Library
) -> list[dict[str, Any]]:
    rows = (
        await session.exec(
            select(Delivery, Response)
            .join(Response, col(Response.delivery_id) == col(Delivery.id), isouter=True)
            .where(Delivery.partner_id == partner.id)
            .order_by(col(Delivery.local_date), col(Delivery.id))
        )
    ).all()
    documents = []
    for delivery, response in rows:
        exercise = library.exercise(delivery.exercise_slug)
        document = {
            **_fields(delivery, _DELIVERY_FIELDS),
            "exercise_title": exercise.title_in(partner.language) if exercise else None,
            "response": None,
        }
        # Only this person's own answer: the join is on their own delivery, and the
        # partner_id check keeps it so even if rows were ever inconsistent.
        if response is not None and response.partner_id == partner.id:
            document["response"] = {
                **_open(box, response.text_ct),
                **_fields(response, ("value", "rating", "answered_at", "updated_at")),
                "shown_to_partner_at": _plain(response.revealed_at),
            }
        documents.append(document)
    return documents
