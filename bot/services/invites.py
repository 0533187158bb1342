"""One-time invite links: issue, preview (read-only, for the consent screen), accept.

A code is 24 random bytes in Telegram's deep-link alphabet (`/start <code>`); only its
SHA-256 is stored. Accepting consumes the invite with one conditional UPDATE, so when
two people race for the same link exactly one of them wins, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db.models import Couple, Invite, Partner, Therapist
from bot.i18n import normalize_language
from bot.services import therapists

CODE_BYTES = 24  # 192 bits -> 32 characters of base64url
MAX_NAME_LENGTH = 64
# Anything from 128 bits (22 characters) up to Telegram's 64-character deep-link limit.
_CODE = re.compile(r"[A-Za-z0-9_-]{22,64}")


class InviteProblem(StrEnum):
    """Why a code cannot be used; each one gets its own explanation in the handler."""

    UNKNOWN = "unknown"
    EXPIRED = "expired"
    REVOKED = "revoked"
    USED = "used"
    ARCHIVED = "archived"
    FULL = "full"  # the invite's slot is already taken
    ALREADY_PARTNER = "already_partner"  # the person is current in another couple
    ALREADY_IN_THIS_COUPLE = "already_in_this_couple"
    THERAPIST = "therapist"  # any active therapist, the couple's own included
    INVITER_INACTIVE = "inviter_inactive"  # the couple's therapist lost the role


@dataclass(frozen=True)
class IssuedInvite:
    slot: int
    code: str  # the plain code: shown once to the therapist, never stored
    expires_at: datetime


@dataclass(frozen=True)
class InvitePreview:
    couple_id: int
    couple_label: str
    slot: int
    therapist_name: str
    therapist_telegram_id: int
    expires_at: datetime


@dataclass(frozen=True)
class Joined:
    partner: Partner
    couple: Couple
    therapist: Therapist
    other: Partner | None  # the partner already in the other slot, if any
    couple_complete: bool  # this join filled the second slot


def new_code() -> str:
    return secrets.token_urlsafe(CODE_BYTES)


def hash_code(code: str) -> str:
    return hashlib.sha256(code.encode("utf-8")).hexdigest()


def looks_like_code(text: str) -> bool:
    """Cheap sanity check before any database work (alphabet and length)."""
    return _CODE.fullmatch(text) is not None


def default_display_name(first_name: str, slot: int) -> str:
    """Telegram's first name, cut to 64 characters; never empty."""
    return first_name.strip()[:MAX_NAME_LENGTH] or f"Partner {slot}"


async def issue(
    *, session: AsyncSession, couple: Couple, slot: int, now: datetime, ttl: timedelta
) -> IssuedInvite:
    """Create a one-time invite for `slot`; the plain code is returned, only its hash stored."""
    if slot not in (1, 2):
        raise ValueError("slot must be 1 or 2")
    assert couple.id is not None
    code = new_code()
    expires_at = now + ttl
    session.add(
        Invite(
            couple_id=couple.id,
            slot=slot,
            code_hash=hash_code(code),
            created_at=now,
            expires_at=expires_at,
        )
    )
    await session.flush()
    return IssuedInvite(slot=slot, code=code, expires_at=expires_at)


async def revoke_unused(*, session: AsyncSession, couple_id: int, now: datetime) -> int:
    """Revoke every open (unused, unrevoked) invite of a couple; return how many."""
    result = await session.exec(
        update(Invite)
        .where(
            col(Invite.couple_id) == couple_id,
            col(Invite.used_at).is_(None),
            col(Invite.revoked_at).is_(None),
        )
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)


async def _check(
    session: AsyncSession, code: str, telegram_id: int, now: datetime
) -> tuple[Invite, Couple, Therapist] | InviteProblem:
    """Everything that must hold for `telegram_id` to use `code`.

    The invite, its couple, the slot and the person's current membership are read in
    ONE statement, hence one snapshot: under PostgreSQL's READ COMMITTED a
    series of reads could see a racing join half-way (slot taken, invite not yet used)
    and give an inconsistent reason.
    """
    if not looks_like_code(code):
        return InviteProblem.UNKNOWN
    if await therapists.get(session=session, telegram_id=telegram_id) is not None:
        return InviteProblem.THERAPIST
    slot_taken = (
        select(func.count())
        .select_from(Partner)
        .where(
            col(Partner.couple_id) == col(Invite.couple_id),
            col(Partner.slot) == col(Invite.slot),
            col(Partner.is_current).is_(True),
        )
        .scalar_subquery()
    )
    my_couple = (
        select(Partner.couple_id)
        .where(col(Partner.telegram_id) == telegram_id, col(Partner.is_current).is_(True))
        .limit(1)
        .scalar_subquery()
    )
    query = (
        select(Invite, Couple, slot_taken, my_couple)
        .join(Couple, col(Couple.id) == col(Invite.couple_id))
        .where(Invite.code_hash == hash_code(code))
        .execution_options(populate_existing=True)
    )
    row = (await session.exec(query)).first()
    if row is None:
        return InviteProblem.UNKNOWN
    invite, couple, taken, mine = row
    # The inviter's role changes only by operator action, never in a race with a join.
    therapist = await session.get(Therapist, couple.therapist_id, populate_existing=True)
    assert therapist is not None
    if mine is not None and mine == couple.id:
        return InviteProblem.ALREADY_IN_THIS_COUPLE
    if couple.archived_at is not None:
        return InviteProblem.ARCHIVED
    if not therapist.active:
        return InviteProblem.INVITER_INACTIVE
    if invite.revoked_at is not None:
        return InviteProblem.REVOKED
    if invite.used_at is not None:
        return InviteProblem.USED
    if invite.expires_at <= now:
        return InviteProblem.EXPIRED
    if mine is not None:
        return InviteProblem.ALREADY_PARTNER
    if taken:
        return InviteProblem.FULL
    return invite, couple, therapist


async def preview(
    *, session: AsyncSession, code: str, telegram_id: int, now: datetime
) -> InvitePreview | InviteProblem:
    """What the consent screen needs; reads only, so declining leaves the link valid."""
    checked = await _check(session, code, telegram_id, now)
    if isinstance(checked, InviteProblem):
        return checked
    invite, couple, therapist = checked
    assert couple.id is not None
    return InvitePreview(
        couple_id=couple.id,
        couple_label=couple.label,
        slot=invite.slot,
        therapist_name=therapist.name,
        therapist_telegram_id=therapist.telegram_id,
        expires_at=invite.expires_at,
    )


async def _consume(session: AsyncSession, code_hash: str, telegram_id: int, now: datetime) -> bool:
    """Mark the invite used by `telegram_id` if, at this instant, it is still usable.

    The WHERE clause is the whole check: on PostgreSQL a concurrent consumer waits for
    the row lock and then re-evaluates it against the committed row (READ COMMITTED);
    SQLite serialises writers with BEGIN IMMEDIATE. Either way one UPDATE matches.
    """
    result = await session.exec(
        update(Invite)
        .where(
            col(Invite.code_hash) == code_hash,
            col(Invite.used_at).is_(None),
            col(Invite.revoked_at).is_(None),
            col(Invite.expires_at) > now,
        )
        .values(used_at=now, used_by=telegram_id)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount) == 1


class _LostRaceError(Exception):
    """The conditional UPDATE matched no row: someone else consumed or revoked the invite."""


async def accept(
    *,
    session: AsyncSession,
    code: str,
    telegram_id: int,
    first_name: str,
    language: str,
    now: datetime,
) -> Joined | InviteProblem:
    """Consume the invite and make `telegram_id` the current partner of its slot."""
    checked = await _check(session, code, telegram_id, now)
    if isinstance(checked, InviteProblem):
        return checked
    invite, couple, therapist = checked
    assert couple.id is not None
    partner = Partner(
        couple_id=couple.id,
        slot=invite.slot,
        telegram_id=telegram_id,
        display_name=default_display_name(first_name, invite.slot),
        # The therapist's zone is a better first guess than UTC; setup asks anyway.
        timezone=therapist.timezone,
        language=normalize_language(language),
        consented_at=now,
        joined_at=now,
    )
    try:
        # One savepoint for consume + insert: if a concurrent join took this person or
        # this slot (partial unique indexes), the invite is left unused as well.
        async with session.begin_nested():
            if not await _consume(session, invite.code_hash, telegram_id, now):
                raise _LostRaceError
            session.add(partner)
            await session.flush()
    except (_LostRaceError, IntegrityError):
        again = await _check(session, code, telegram_id, now)
        return again if isinstance(again, InviteProblem) else InviteProblem.USED
    others = (
        await session.exec(
            select(Partner).where(
                Partner.couple_id == couple.id,
                col(Partner.is_current).is_(True),
                Partner.slot != invite.slot,
            )
        )
    ).all()
    other = others[0] if others else None
    return Joined(
        partner=partner,
        couple=couple,
        therapist=therapist,
        other=other,
        couple_complete=other is not None,
    )
