"""A partner's own controls: pausing, quiet hours, and what today holds for them.

While any current partner of a couple has a pause in force, the couple's exercises are
on hold (the dispatcher holds them). The other partner is only ever told that exercises
are on hold or back on: never who paused, or why.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db.models import Delivery, Partner
from bot.services import membership, preferences
from bot.services.couples import partner_paused
from bot.services.localtime import local_today, parse_hhmm
from bot.services.preferences import PreferenceError

MAX_PAUSE_DAYS = 60
NO_QUIET = ("00:00", "00:00")  # equal start and end: no quiet hours
_DAYS = re.compile(r"(?P<days>[0-9]{1,4})\s*(?:d|days?|d[ií]as?)?", re.IGNORECASE)
_RANGE_SEPARATOR = re.compile(r"\s*[-–—]\s*")
_OFF_WORDS = frozenset({"off", "none", "no", "apagar", "desactivar", "ninguna"})


class PauseLengthError(ValueError):
    """Not a whole number of days from 1 to MAX_PAUSE_DAYS."""


@dataclass(frozen=True)
class Paused:
    partner: Partner
    until: datetime | None  # None: until /resume
    tell: Partner | None  # the other partner, when the couple just went on hold


@dataclass(frozen=True)
class Resumed:
    partner: Partner
    was_paused: bool  # False: there was no pause in force (nothing to resume)
    still_on_hold: bool  # the other partner's pause still holds the couple's exercises
    tell: Partner | None  # the other partner, when the couple's exercises are back on


def parse_days(text: str) -> int | None:
    """`/pause` alone -> None (until /resume); `7`, `7 days`, `7 días` -> 7."""
    text = text.strip()
    if not text:
        return None
    match = _DAYS.fullmatch(text)
    if match is None or not 1 <= int(match["days"]) <= MAX_PAUSE_DAYS:
        raise PauseLengthError(text)
    return int(match["days"])


async def pause(
    *, session: AsyncSession, partner: Partner, days: int | None, now: datetime
) -> Paused:
    """Pause `partner` for `days` days, or until /resume when None.

    Pausing again while paused changes when the pause ends; nobody is told twice.
    """
    if days is not None and not 1 <= days <= MAX_PAUSE_DAYS:
        raise PauseLengthError(str(days))
    other = await membership.other_partner(session=session, partner=partner)
    couple_was_on_hold = partner_paused(partner, now) or (
        other is not None and partner_paused(other, now)
    )
    if not partner_paused(partner, now):
        partner.paused_at = now
    partner.paused_until = None if days is None else now + timedelta(days=days)
    session.add(partner)
    await session.flush()
    tell = None if couple_was_on_hold else other
    return Paused(partner=partner, until=partner.paused_until, tell=tell)


async def resume(*, session: AsyncSession, partner: Partner, now: datetime) -> Resumed:
    """End `partner`'s pause; the other partner hears of it only if nothing else holds."""
    was_paused = partner_paused(partner, now)
    partner.paused_at = partner.paused_until = None
    session.add(partner)
    await session.flush()
    other = await membership.other_partner(session=session, partner=partner)
    still_on_hold = other is not None and partner_paused(other, now)
    tell = other if was_paused and not still_on_hold else None
    return Resumed(partner=partner, was_paused=was_paused, still_on_hold=still_on_hold, tell=tell)


def parse_quiet(text: str) -> tuple[str, str]:
    """`21:30-07:30` (any time `preferences.parse_time` reads, each side) or `off`."""
    cleaned = " ".join(text.split())
    if cleaned.lower() in _OFF_WORDS:
        return NO_QUIET
    sides = _RANGE_SEPARATOR.split(cleaned)
    if len(sides) != 2:
        raise PreferenceError("quiet", "format")
    start, end = (preferences.parse_time(side) for side in sides)
    return NO_QUIET if start == end else (start, end)


def has_quiet_hours(partner: Partner) -> bool:
    return partner.quiet_start != partner.quiet_end


def delivery_in_quiet_hours(partner: Partner) -> bool:
    """Whether the partner's delivery time falls inside their quiet hours."""
    start, end = parse_hhmm(partner.quiet_start), parse_hhmm(partner.quiet_end)
    at = parse_hhmm(partner.delivery_time)
    if start == end:
        return False
    return start <= at < end if start < end else at >= start or at < end


async def set_quiet_hours(
    *, session: AsyncSession, partner: Partner, start: str, end: str
) -> Partner:
    """Store quiet hours (canonical HH:MM); equal start and end means none."""
    start, end = preferences.parse_time(start), preferences.parse_time(end)
    partner.quiet_start, partner.quiet_end = (start, end) if start != end else NO_QUIET
    session.add(partner)
    await session.flush()
    return partner


async def today(*, session: AsyncSession, partner: Partner, now: datetime) -> list[Delivery]:
    """The partner's deliveries of their local today, in the order they arrive.

    Cancelled ones are left out: they will never come.
    """
    query = (
        select(Delivery)
        .where(
            Delivery.partner_id == partner.id,
            Delivery.local_date == local_today(now, partner.timezone),
            col(Delivery.status) != "cancelled",
        )
        .order_by(col(Delivery.scheduled_at), col(Delivery.assignment_id), col(Delivery.item))
        .execution_options(populate_existing=True)
    )
    return list((await session.exec(query)).all())
