"""Safety: the private safety plan, crisis flags, the private line.

Nothing here ever reaches the other partner: a crisis flag names only the partner
who wrote and goes to their therapist; a safety plan is read only by its author
(encrypted at rest, `SafetyPlan.text_ct`); a /tell message goes to the therapist
and is kept, encrypted, only for that therapist's /export. See docs/safety.md.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db.models import Couple, Flag, FlagKind, Partner, SafetyPlan, Therapist
from bot.library.telegram_html import utf16_length
from bot.services.crypto import Box

logger = logging.getLogger(__name__)

# Counted as Telegram counts, in UTF-16 code units (an emoji is two), so that a plan or a
# /tell and its heading fit in one message.
MAX_PLAN_LENGTH = 3000
MAX_TELL_LENGTH = 3500
CRISIS = FlagKind.CRISIS
# A therapist hears about a flag at most once in this window per partner and kind, so a
# person writing several distressed messages in a row does not become a stream of alerts.
# Every flag is still recorded.
NOTIFY_EVERY = timedelta(hours=1)
# After leaving a couple (or its archiving) a person can still /tell their former
# therapist, and be answered, for this long.
TELL_AFTER_LEAVING = timedelta(days=30)


# -- the safety plan ----------------------------------------------------------------


class TextLengthError(ValueError):
    """Empty, or too long for one Telegram message."""


async def get_plan(*, session: AsyncSession, crypto: Box, telegram_id: int) -> str | None:
    plan = await session.get(SafetyPlan, telegram_id)
    return None if plan is None else crypto.decrypt(plan.text_ct)


async def save_plan(
    *, session: AsyncSession, crypto: Box, telegram_id: int, text: str, now: datetime
) -> None:
    """Write or replace this person's plan, encrypted."""
    text = text.strip()
    if not text or utf16_length(text) > MAX_PLAN_LENGTH:
        raise TextLengthError(text)
    plan = await session.get(SafetyPlan, telegram_id)
    if plan is None:
        plan = SafetyPlan(telegram_id=telegram_id, text_ct=crypto.encrypt(text), updated_at=now)
    else:
        plan.text_ct, plan.updated_at = crypto.encrypt(text), now
    session.add(plan)
    await session.flush()


async def delete_plan(*, session: AsyncSession, telegram_id: int) -> bool:
    plan = await session.get(SafetyPlan, telegram_id)
    if plan is None:
        return False
    await session.delete(plan)
    return True


# -- the therapist's side: crisis flags and /tell --------------------------------------


async def couple_of(*, session: AsyncSession, partner: Partner) -> tuple[Couple, Therapist | None]:
    """The partner's couple and its therapist (None if the role was removed)."""
    couple = await session.get(Couple, partner.couple_id)
    assert couple is not None
    therapist = await session.get(Therapist, couple.therapist_id)
    return couple, therapist if therapist is not None and therapist.active else None


@dataclass(frozen=True, slots=True)
class RecordedFlag:
    flag_id: int
    notify: bool  # tell the therapist now (not told about this partner and kind lately)


async def record_crisis(
    *, session: AsyncSession, partner: Partner, now: datetime, kind: FlagKind = FlagKind.CRISIS
) -> RecordedFlag:
    """Record a flag (no text); whether the therapist should be told now, and its id."""
    assert partner.id is not None
    recent = await session.exec(
        select(Flag.id).where(
            Flag.partner_id == partner.id,
            Flag.kind == kind.value,
            col(Flag.created_at) > now - NOTIFY_EVERY,
        )
    )
    notify = recent.first() is None
    flag = Flag(partner_id=partner.id, kind=kind.value, created_at=now)
    session.add(flag)
    await session.flush()
    assert flag.id is not None
    return RecordedFlag(flag_id=flag.id, notify=notify)


@dataclass(frozen=True, slots=True)
class PrivateLine:
    """Where /tell from one person leads: their couple's therapist, or their former one."""

    partner: Partner  # the current membership, or the latest former one
    couple: Couple
    therapist: Therapist | None  # None: nobody to reach (role removed, or too long ago)
    expired: bool = False  # left more than TELL_AFTER_LEAVING ago

    @property
    def former(self) -> bool:
        return not self.partner.is_current


async def private_line(
    *, session: AsyncSession, telegram_id: int, now: datetime
) -> PrivateLine | None:
    """The line for `telegram_id`; None if they were never in a couple.

    A current membership wins; otherwise the most recently left one, open for
    TELL_AFTER_LEAVING after leaving.
    """
    query = (
        select(Partner)
        .where(Partner.telegram_id == telegram_id)
        .order_by(
            col(Partner.is_current).desc(),
            col(Partner.left_at).desc().nulls_last(),
            col(Partner.id).desc(),
        )
        .execution_options(populate_existing=True)
    )
    partner = (await session.exec(query)).first()
    if partner is None:
        return None
    couple, therapist = await couple_of(session=session, partner=partner)
    expired = not partner.is_current and (
        partner.left_at is None or partner.left_at <= now - TELL_AFTER_LEAVING
    )
    return PrivateLine(partner, couple, None if expired else therapist, expired)


async def reply_line(
    *, session: AsyncSession, therapist: Therapist, partner_id: int, now: datetime
) -> PrivateLine | None:
    """The line to the person of membership `partner_id`, if its /tell reaches `therapist`.

    So a therapist can answer exactly the people who can write to them: their couples'
    partners, and former partners within TELL_AFTER_LEAVING. Anything else is None.
    """
    row = await session.get(Partner, partner_id)
    if row is None:
        return None
    line = await private_line(session=session, telegram_id=row.telegram_id, now=now)
    if line is None or line.therapist is None or line.therapist.id != therapist.id:
        return None
    return line


def check_tell(text: str) -> str:
    text = text.strip()
    if not text or utf16_length(text) > MAX_TELL_LENGTH:
        raise TextLengthError(text)
    return text
