"""/deleteme: erase what a person wrote and set, keep only the therapist's completion facts.

Erased: the text of every answer (and the choice made on scale or multiple-choice
answers), the text of /tell messages to and from the therapist, the safety plan, the
display name (replaced), the settings (back to the defaults), the open guided step.
A current membership ends exactly as /leave ends it.
Kept, because the therapist's record must stay whole: which exercises were received,
done or skipped and when, helpfulness ratings, and the dates of safety alerts.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import col, delete, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db import defaults
from bot.db.models import CheckIn, Partner, Response, SafetyPlan
from bot.services import conversations, membership, outbox, tells
from bot.services.membership import LeaveOutcome

FORMER_NAME = "Former partner"
CONFIRM_FOR = timedelta(hours=1)

# What an erased membership keeps: the defaults (bot/db/defaults.py), and no sharing at
# all, not even with the partner (the default for a new partner is to share with them).
_RESET = {
    "display_name": FORMER_NAME,
    "timezone": defaults.TIMEZONE,
    "delivery_time": defaults.DELIVERY_TIME,
    "language": defaults.LANGUAGE,
    "quiet_start": defaults.QUIET_START,
    "quiet_end": defaults.QUIET_END,
    "share_with_therapist": False,
    "therapist_sharing_since": None,
    "share_with_partner": False,
    "neutral_notifications": False,
}


@dataclass(frozen=True, slots=True)
class Erased:
    answers: int  # answers whose text or choice was erased
    safety_plan: bool
    memberships: int  # partner rows renamed and reset
    left: LeaveOutcome | None  # the membership this ended, for the /leave notices
    former_name: str | None  # the name before erasure, for the therapist's notice


async def erase(*, session: AsyncSession, telegram_id: int, now: datetime) -> Erased:
    """Erase `telegram_id`'s content in one transaction; safe to run twice."""
    left = await membership.leave(session=session, telegram_id=telegram_id, now=now)
    former_name = left.former.display_name if left else None
    partners = (await session.exec(select(Partner).where(Partner.telegram_id == telegram_id))).all()
    ids = [p.id for p in partners]
    erased = await session.exec(
        update(Response)
        .where(col(Response.partner_id).in_(ids))
        .where(
            col(Response.text_ct).is_not(None)
            | col(Response.value).is_not(None)
            | col(Response.message_id).is_not(None)
        )
        .values(text_ct=None, value=None, message_id=None, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    await tells.erase_for(session=session, partner_ids=[i for i in ids if i is not None])
    for partner in partners:
        for name, value in _RESET.items():
            setattr(partner, name, value)
        session.add(partner)
    had_plan = await _erase_own(session, telegram_id)
    return Erased(
        answers=int(erased.rowcount),
        safety_plan=had_plan,
        memberships=len(partners),
        left=left,
        former_name=former_name,
    )


async def erase_own_only(*, session: AsyncSession, telegram_id: int) -> bool:
    """For a therapist: only their safety plan, check-ins and open step; True if a plan existed."""
    return await _erase_own(session, telegram_id)


async def _erase_own(session: AsyncSession, telegram_id: int) -> bool:
    """What is keyed by the person alone: safety plan, check-ins, open step, notices."""
    plan = await session.exec(
        delete(SafetyPlan)
        .where(col(SafetyPlan.telegram_id) == telegram_id)
        .execution_options(synchronize_session=False)
    )
    await session.exec(
        delete(CheckIn)
        .where(col(CheckIn.telegram_id) == telegram_id)
        .execution_options(synchronize_session=False)
    )
    await conversations.end(session=session, telegram_id=telegram_id)
    await outbox.erase_for(session=session, telegram_id=telegram_id)
    await session.flush()
    return int(plan.rowcount) > 0


# -- the confirmation button ------------------------------------------------------------
# The button carries an opaque token bound to the person who asked and to the time:
# a forwarded, forged or hour-old button opens nothing. Stateless, so it works across
# restarts and instances, and asking does not disturb a guided step in progress.


def _mac(secret: bytes, telegram_id: int, issued: int) -> str:
    key = hashlib.sha256(b"twofold/erase-confirmation/" + secret).digest()
    return hmac.new(key, f"{telegram_id}:{issued}".encode(), hashlib.sha256).hexdigest()[:20]


def confirmation_token(*, secret: bytes, telegram_id: int, now: datetime) -> str:
    issued = int(now.timestamp())
    return f"{issued}.{_mac(secret, telegram_id, issued)}"


def confirmation_valid(*, secret: bytes, telegram_id: int, token: str, now: datetime) -> bool:
    raw_issued, _, mac = token.partition(".")
    if not raw_issued.isdigit():
        return False
    issued = int(raw_issued)
    age = now.timestamp() - issued
    fresh = 0 <= age <= CONFIRM_FOR.total_seconds()
    return fresh and hmac.compare_digest(mac, _mac(secret, telegram_id, issued))
