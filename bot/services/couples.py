"""Couples as a therapist sees them: create, list, show, re-invite, archive.

A therapist only ever reaches couples they created: every getter filters by owner, so
another therapist's couple looks exactly like one that does not exist (None).
Status is derived from the rows, never stored.
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db.models import Couple, Partner, Therapist
from bot.services import invites
from bot.services.invites import IssuedInvite

SLOTS = (1, 2)
MAX_LABEL_LENGTH = 64
# No 0/o, 1/l/i: a therapist may have to read the id aloud or type it from paper.
PUBLIC_ID_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
PUBLIC_ID_LENGTH = 6
_PUBLIC_ID_ATTEMPTS = 10


class InvalidLabelError(ValueError):
    """The label is empty or longer than 64 characters once stripped."""


class CoupleStatus(StrEnum):
    WAITING = "waiting"  # fewer than two current partners
    ACTIVE = "active"
    PAUSED = "paused"  # a current partner paused deliveries
    ARCHIVED = "archived"


@dataclass(frozen=True)
class CoupleView:
    couple: Couple
    partners: list[Partner]  # the current ones, by slot
    status: CoupleStatus
    open_slots: list[int]  # slots a new partner could fill; none once archived


@dataclass(frozen=True)
class Archived:
    view: CoupleView
    former_partners: list[Partner]  # who was current until now: tell them, neutrally
    already_archived: bool = False  # nothing changed (e.g. a second tap on "Archive")


def new_public_id() -> str:
    return "".join(secrets.choice(PUBLIC_ID_ALPHABET) for _ in range(PUBLIC_ID_LENGTH))


def normalize_public_id(text: str) -> str:
    return text.strip().lstrip("#").lower()


def partner_paused(partner: Partner, now: datetime) -> bool:
    """Whether `partner` has a pause in force at `now`.

    /pause sets `paused_at`; `paused_until` None means "until /resume", and a pause
    whose end has passed is over even before anyone clears the columns.
    """
    if partner.paused_at is None:
        return False
    return partner.paused_until is None or partner.paused_until > now


def _view(couple: Couple, current: list[Partner], now: datetime) -> CoupleView:
    partners = sorted(current, key=lambda partner: partner.slot)
    taken = {partner.slot for partner in partners}
    if couple.archived_at is not None:
        status, open_slots = CoupleStatus.ARCHIVED, []
    else:
        open_slots = [slot for slot in SLOTS if slot not in taken]
        if open_slots:
            status = CoupleStatus.WAITING
        elif any(partner_paused(partner, now) for partner in partners):
            status = CoupleStatus.PAUSED
        else:
            status = CoupleStatus.ACTIVE
    return CoupleView(couple=couple, partners=partners, status=status, open_slots=open_slots)


async def _current_partners(session: AsyncSession, couple_ids: list[int]) -> list[Partner]:
    if not couple_ids:
        return []
    query = (
        select(Partner)
        .where(col(Partner.couple_id).in_(couple_ids), col(Partner.is_current).is_(True))
        .execution_options(populate_existing=True)
    )
    return list((await session.exec(query)).all())


async def view_of(*, session: AsyncSession, couple: Couple, now: datetime) -> CoupleView:
    assert couple.id is not None
    return _view(couple, await _current_partners(session, [couple.id]), now)


def check_label(label: str) -> str:
    """The stripped label, or InvalidLabelError."""
    label = label.strip()
    if not 0 < len(label) <= MAX_LABEL_LENGTH:
        raise InvalidLabelError(f"the label must be 1-{MAX_LABEL_LENGTH} characters")
    return label


async def _insert_couple(
    session: AsyncSession, therapist_id: int, label: str, now: datetime
) -> Couple:
    for _attempt in range(_PUBLIC_ID_ATTEMPTS):
        public_id = new_public_id()
        taken = (await session.exec(select(Couple.id).where(Couple.public_id == public_id))).first()
        if taken is not None:
            continue
        couple = Couple(public_id=public_id, therapist_id=therapist_id, label=label, created_at=now)
        try:
            # A concurrent create may have picked the same id since the check above.
            async with session.begin_nested():
                session.add(couple)
                await session.flush()
        except IntegrityError:
            continue
        return couple
    raise RuntimeError("could not find a free public id")  # ~never: 30^6 ids


async def create(
    *,
    session: AsyncSession,
    therapist: Therapist,
    label: str,
    now: datetime,
    ttl: timedelta,
) -> tuple[CoupleView, list[IssuedInvite]]:
    """Create a couple with one fresh invite per slot."""
    label = check_label(label)
    assert therapist.id is not None
    couple = await _insert_couple(session, therapist.id, label, now)
    issued = [
        await invites.issue(session=session, couple=couple, slot=slot, now=now, ttl=ttl)
        for slot in SLOTS
    ]
    return _view(couple, [], now), issued


async def list_for(
    *, session: AsyncSession, therapist: Therapist, now: datetime
) -> list[CoupleView]:
    """The therapist's couples: newest first, archived ones last."""
    query = (
        select(Couple)
        .where(Couple.therapist_id == therapist.id)
        .order_by(
            col(Couple.archived_at).is_not(None),
            col(Couple.created_at).desc(),
            col(Couple.id).desc(),
        )
        .execution_options(populate_existing=True)
    )
    couples = list((await session.exec(query)).all())
    by_couple: dict[int, list[Partner]] = defaultdict(list)
    ids = [couple.id for couple in couples if couple.id is not None]
    for partner in await _current_partners(session, ids):
        by_couple[partner.couple_id].append(partner)
    return [_view(couple, by_couple[couple.id or 0], now) for couple in couples]


async def _own_couple(session: AsyncSession, therapist: Therapist, public_id: str) -> Couple | None:
    query = (
        select(Couple)
        .where(
            Couple.public_id == normalize_public_id(public_id),
            Couple.therapist_id == therapist.id,
        )
        .execution_options(populate_existing=True)
    )
    return (await session.exec(query)).first()


async def get_for(
    *, session: AsyncSession, therapist: Therapist, public_id: str, now: datetime
) -> CoupleView | None:
    """One of the therapist's couples; None if it does not exist *or* is not theirs."""
    couple = await _own_couple(session, therapist, public_id)
    return None if couple is None else await view_of(session=session, couple=couple, now=now)


async def reinvite(
    *,
    session: AsyncSession,
    therapist: Therapist,
    public_id: str,
    now: datetime,
    ttl: timedelta,
) -> list[IssuedInvite] | None:
    """Revoke the couple's open links and issue fresh ones for its empty slots.

    None: not found or not theirs. []: archived, or no empty slot (tell apart with get_for).
    """
    couple = await _own_couple(session, therapist, public_id)
    if couple is None:
        return None
    view = await view_of(session=session, couple=couple, now=now)
    if view.status is CoupleStatus.ARCHIVED:
        return []
    assert couple.id is not None
    await invites.revoke_unused(session=session, couple_id=couple.id, now=now)
    return [
        await invites.issue(session=session, couple=couple, slot=slot, now=now, ttl=ttl)
        for slot in view.open_slots
    ]


async def archive(
    *, session: AsyncSession, therapist: Therapist, public_id: str, now: datetime
) -> Archived | None:
    """End a couple: links stop working, partners stop being current. Nothing is deleted.

    Idempotent: archiving an archived couple changes nothing (`already_archived`).
    """
    couple = await _own_couple(session, therapist, public_id)
    if couple is None:
        return None
    assert couple.id is not None
    # Conditional, like consuming an invite: of two concurrent archives only one acts.
    result = await session.exec(
        update(Couple)
        .where(col(Couple.id) == couple.id, col(Couple.archived_at).is_(None))
        .values(archived_at=now)
        .execution_options(synchronize_session=False)
    )
    if int(result.rowcount) != 1:
        await session.refresh(couple)
        return Archived(
            view=await view_of(session=session, couple=couple, now=now),
            former_partners=[],
            already_archived=True,
        )
    set_committed_value(couple, "archived_at", now)
    # Revoke before reading the partners: a join that already consumed its invite holds
    # that row, so this waits for it and the partner it created is retired below.
    await invites.revoke_unused(session=session, couple_id=couple.id, now=now)
    former = sorted(await _current_partners(session, [couple.id]), key=lambda partner: partner.slot)
    for partner in former:
        partner.is_current = False
        partner.left_at = now
        session.add(partner)
    await session.flush()
    return Archived(view=_view(couple, [], now), former_partners=former)
