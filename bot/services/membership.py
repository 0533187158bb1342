"""A partner's membership: who they are paired with, leaving, and their preferences.

Leaving never asks for, records or returns a reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Final

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db.models import Couple, Partner, Therapist
from bot.services import planning, preferences


class _Unset(Enum):
    UNSET = "unset"


UNSET: Final = _Unset.UNSET
"""Default of the `update_*` keywords: that field is left as it is."""


@dataclass(frozen=True)
class LeaveOutcome:
    couple: Couple
    therapist: Therapist  # told privately who left
    former: Partner  # the person who left (no longer current)
    other: Partner | None  # told only that exercises are on hold


async def current_partner(*, session: AsyncSession, telegram_id: int) -> Partner | None:
    query = select(Partner).where(
        Partner.telegram_id == telegram_id, col(Partner.is_current).is_(True)
    )
    return (await session.exec(query.execution_options(populate_existing=True))).first()


async def other_partner(*, session: AsyncSession, partner: Partner) -> Partner | None:
    """The current partner in the other slot of `partner`'s couple, if any."""
    query = select(Partner).where(
        Partner.couple_id == partner.couple_id,
        Partner.slot != partner.slot,
        col(Partner.is_current).is_(True),
    )
    return (await session.exec(query.execution_options(populate_existing=True))).first()


async def leave(*, session: AsyncSession, telegram_id: int, now: datetime) -> LeaveOutcome | None:
    """End `telegram_id`'s current membership (the row stays); None if they have none."""
    partner = await current_partner(session=session, telegram_id=telegram_id)
    if partner is None:
        return None
    couple = await session.get(Couple, partner.couple_id)
    assert couple is not None
    therapist = await session.get(Therapist, couple.therapist_id)
    assert therapist is not None
    other = await other_partner(session=session, partner=partner)
    partner.is_current = False
    partner.left_at = now
    session.add(partner)
    await session.flush()
    return LeaveOutcome(couple=couple, therapist=therapist, former=partner, other=other)


async def update_preferences(
    *,
    session: AsyncSession,
    partner: Partner,
    display_name: str | _Unset = UNSET,
    timezone: str | _Unset = UNSET,
    delivery_time: str | _Unset = UNSET,
    language: str | _Unset = UNSET,
    share_with_therapist: bool | _Unset = UNSET,
    share_with_partner: bool | _Unset = UNSET,
    neutral_notifications: bool | _Unset = UNSET,
    setup_done: bool | _Unset = UNSET,
) -> Partner:
    """Change only the given fields.

    Values are run through the `preferences` parsers again (canonical values pass
    unchanged), so nothing unvalidated is stored; a bad one raises PreferenceError
    before anything changes. A new delivery time or time zone moves the partner's
    still-planned deliveries in the same transaction.
    """
    changes: dict[str, object] = {}
    if display_name is not UNSET:
        changes["display_name"] = preferences.parse_display_name(display_name)
    if timezone is not UNSET:
        changes["timezone"] = preferences.parse_timezone(timezone)
    if delivery_time is not UNSET:
        changes["delivery_time"] = preferences.parse_time(delivery_time)
    if language is not UNSET:
        changes["language"] = preferences.parse_language(language)
    if share_with_therapist is not UNSET:
        changes["share_with_therapist"] = bool(share_with_therapist)
    if share_with_partner is not UNSET:
        changes["share_with_partner"] = bool(share_with_partner)
    if neutral_notifications is not UNSET:
        changes["neutral_notifications"] = bool(neutral_notifications)
    if setup_done is not UNSET:
        changes["setup_done"] = bool(setup_done)
    moved = any(
        getattr(partner, name) != changes[name]
        for name in ("delivery_time", "timezone")
        if name in changes
    )
    for name, value in changes.items():
        setattr(partner, name, value)
    session.add(partner)
    if moved:
        await planning.replan_partner(session=session, partner=partner)
    await session.flush()
    return partner


async def update_therapist(
    *,
    session: AsyncSession,
    therapist: Therapist,
    timezone: str | _Unset = UNSET,
    language: str | _Unset = UNSET,
) -> Therapist:
    """The therapist's own time zone and language; same validation as partners'."""
    if timezone is not UNSET:
        timezone = preferences.parse_timezone(timezone)
    if language is not UNSET:
        language = preferences.parse_language(language)
    if timezone is not UNSET:
        therapist.timezone = timezone
    if language is not UNSET:
        therapist.language = language
    session.add(therapist)
    await session.flush()
    return therapist
