"""Exercises a couple does as two: shared answers revealed together, joint confirmations.

A shared or together exercise is two deliveries, one per partner, of the same
assignment, day and item. Each partner's answer is revealed to the other only when
both have answered, and only as far as `bot.services.visibility` allows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db.models import Delivery, Partner, Response
from bot.library import Exercise
from bot.services.crypto import Box
from bot.services.responses import answer_of
from bot.services.visibility import partner_may_see


class PairEvent(StrEnum):
    ALONE = "alone"  # not a two-person exercise, or the partner has no delivery of it
    WAITING = "waiting"  # this partner answered first
    REVEAL = "reveal"  # both answered just now: show each the other's answer
    UPDATED = "updated"  # both had answered and one changed theirs
    CONFIRMED = "confirmed"  # a together exercise: both confirmed


@dataclass(frozen=True, slots=True)
class Side:
    partner: Partner
    delivery: Delivery
    response: Response | None
    visible: bool  # the other partner may see this answer
    text: str | None  # decrypted, only when visible


@dataclass(frozen=True, slots=True)
class PairOutcome:
    event: PairEvent
    me: Side | None = None
    other: Side | None = None


async def sibling(*, session: AsyncSession, delivery: Delivery) -> Delivery | None:
    """The other partner's delivery of the same exercise occurrence."""
    query = select(Delivery).where(
        col(Delivery.assignment_id) == delivery.assignment_id,
        col(Delivery.day) == delivery.day,
        col(Delivery.item) == delivery.item,
        col(Delivery.partner_id) != delivery.partner_id,
    )
    return (await session.exec(query)).first()


def _answered(exercise: Exercise, delivery: Delivery, response: Response | None) -> bool:
    if exercise.response == "done":
        return delivery.status == "done"
    if response is None:
        return False
    if exercise.response in ("text", "letter"):
        return response.text_ct is not None
    return response.value is not None


def _side(
    crypto: Box, exercise: Exercise, author: Partner, reader: Partner, delivery: Delivery,
    response: Response | None,
) -> Side:  # fmt: skip
    visible = partner_may_see(exercise=exercise, author=author, reader=reader)
    text = None
    if visible and response is not None and response.text_ct is not None:
        text = crypto.decrypt(response.text_ct)
    return Side(author, delivery, response, visible, text)


async def after_answer(
    *,
    session: AsyncSession,
    crypto: Box,
    exercise: Exercise,
    delivery: Delivery,
    first: bool,
    now: datetime,
) -> PairOutcome:
    """What the couple should hear after `delivery`'s partner answered (or changed it)."""
    if exercise.mode not in ("shared", "together"):
        return PairOutcome(PairEvent.ALONE)
    other_delivery = await sibling(session=session, delivery=delivery)
    me = await session.get(Partner, delivery.partner_id)
    if other_delivery is None or me is None:
        return PairOutcome(PairEvent.ALONE)
    other = await session.get(Partner, other_delivery.partner_id)
    if other is None or not other.is_current:
        return PairOutcome(PairEvent.ALONE)
    mine = await answer_of(session=session, delivery_id=delivery.id or 0)
    theirs = await answer_of(session=session, delivery_id=other_delivery.id or 0)
    me_side = _side(crypto, exercise, me, other, delivery, mine)
    other_side = _side(crypto, exercise, other, me, other_delivery, theirs)
    if not _answered(exercise, other_delivery, theirs):
        # Said once, on the first answer; changing it before the partner answers is private.
        event = PairEvent.WAITING if first else PairEvent.ALONE
        return PairOutcome(event, me_side, other_side)
    if mine is not None and mine.revealed_at is not None:
        # Revealed already: by the partner's answer a moment ago if this one is new (they
        # announced it), else this is a change to share (together confirmations don't change).
        edited = not first and exercise.mode == "shared"
        return PairOutcome(PairEvent.UPDATED if edited else PairEvent.ALONE, me_side, other_side)
    if not await _claim_reveal(session=session, responses=[mine, theirs], now=now):
        return PairOutcome(PairEvent.ALONE)  # the partner's answer, a moment ago, did it
    event = PairEvent.CONFIRMED if exercise.mode == "together" else PairEvent.REVEAL
    return PairOutcome(event, me_side, other_side)


async def _claim_reveal(
    *, session: AsyncSession, responses: list[Response | None], now: datetime
) -> bool:
    """Mark both answers revealed; False if someone else already did.

    When both partners answer at the same moment, each request sees both answers;
    this conditional update lets exactly one of them announce it.
    """
    ids = [r.id for r in responses if r is not None and r.id is not None]
    if len(ids) != 2:
        return False
    statement = (
        update(Response)
        .where(col(Response.id).in_(ids), col(Response.revealed_at).is_(None))
        .values(revealed_at=now)
        .returning(col(Response.id))
    )
    claimed = (await session.exec(statement)).all()
    return len(claimed) == 2
