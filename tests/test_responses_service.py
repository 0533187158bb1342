"""Answers at the service level, on a real database: placement, edits, the one reveal."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

import pytest
from cryptography.fernet import Fernet
from sqlmodel import col, select

from bot.clock import ManualClock
from bot.db.engine import Database
from bot.db.models import Delivery, Partner, Response
from bot.library import Library, load_library
from bot.services import pairs, planning, responses
from bot.services.crypto import Box
from bot.services.pairs import PairEvent
from bot.services.responses import Fit
from tests.test_assignments import ANA, LUIS, World, make_world

BOX = Box([Fernet.generate_key()])
START = date(2026, 11, 24)


@pytest.fixture(scope="module")
def library() -> Library:
    return load_library().library


async def sent_day(world: World, day: int) -> list[Delivery]:
    """Mark both partners' deliveries of `day` as sent now, as the dispatcher would."""
    async with world.database.session() as session:
        rows = (await session.exec(select(Delivery).where(col(Delivery.day) == day))).all()
        for index, delivery in enumerate(rows):
            delivery.status, delivery.sent_at = "sent", world.clock.now()
            delivery.telegram_message_id = 100 * day + index
            session.add(delivery)
            await planning.plan_next(session=session, delivery=delivery, library=world.library)
    return list(rows)


async def partner(world: World, telegram_id: int) -> Partner:
    return await world.partner(telegram_id)


async def place(world: World, telegram_id: int, reply_to: int | None = None) -> responses.Placement:
    async with world.database.session() as session:
        return await responses.place_text(
            session=session, library=world.library, partner=await partner(world, telegram_id),
            reply_to=reply_to, now=world.clock.now(),
        )  # fmt: skip


async def answer(world: World, delivery: Delivery, text: str) -> responses.Recorded:
    async with world.database.session() as session:
        fresh = await session.get(Delivery, delivery.id)
        assert fresh is not None
        return await responses.record_text(
            session=session, crypto=BOX, delivery=fresh, text=text, message_id=None,
            now=world.clock.now(),
        )  # fmt: skip


async def test_text_is_placed_on_the_open_exercise_and_settles_with_the_next_one(
    database: Database, clock: ManualClock, library: Library
) -> None:
    world = await make_world(database, clock, library, zones=("Europe/Berlin",) * 2)
    await world.assign("love-maps-week", START)
    assert (await place(world, ANA)).fit is Fit.NONE  # nothing sent yet

    day1 = await sent_day(world, 1)
    placement = await place(world, ANA)
    assert placement.fit is Fit.ANSWER
    recorded = await answer(world, placement.delivery, "secret words")
    assert recorded.first and recorded.completed
    assert (await place(world, ANA)).fit is Fit.OFFER_EDIT

    mine = next(d for d in day1 if d.id == placement.delivery.id)
    assert (await place(world, ANA, reply_to=mine.telegram_message_id)).fit is Fit.EDIT
    clock.advance(timedelta(days=1))
    await sent_day(world, 2)
    assert (await place(world, ANA, reply_to=mine.telegram_message_id)).fit is Fit.LOCKED
    assert (await place(world, ANA)).fit is Fit.ANSWER  # today's question

    async with database.session() as session:
        stored = (await session.exec(select(Response))).one()
    assert stored.text_ct is not None and b"secret" not in stored.text_ct
    assert BOX.decrypt(stored.text_ct) == "secret words"


async def test_both_answering_at_once_reveals_exactly_once(
    database: Database, clock: ManualClock, library: Library
) -> None:
    world = await make_world(database, clock, library, zones=("Europe/Berlin",) * 2)
    await world.assign("love-maps-week", START)
    day1 = await sent_day(world, 1)
    exercise = library.exercise("love-maps-inner-world")
    assert exercise is not None and exercise.mode == "shared"
    for delivery in day1:
        await answer(world, delivery, f"answer of {delivery.partner_id}")

    async def after(delivery: Delivery) -> pairs.PairOutcome:
        async with database.session() as session:
            return await pairs.after_answer(
                session=session, crypto=BOX, exercise=exercise, delivery=delivery, first=True,
                now=clock.now(),
            )  # fmt: skip

    outcomes = await asyncio.gather(*(after(d) for d in day1))
    assert sorted(o.event for o in outcomes) == [PairEvent.ALONE, PairEvent.REVEAL]
    reveal = next(o for o in outcomes if o.event is PairEvent.REVEAL)
    assert reveal.other is not None and reveal.other.text is not None
    assert reveal.other.text.startswith("answer of")


async def test_no_text_crosses_over_without_mutual_consent(
    database: Database, clock: ManualClock, library: Library
) -> None:
    world = await make_world(database, clock, library, zones=("Europe/Berlin",) * 2)
    await world.assign("love-maps-week", START)
    async with database.session() as session:
        luis = await session.get(Partner, (await partner(world, LUIS)).id)
        assert luis is not None
        luis.share_with_partner = False
        session.add(luis)
    day1 = await sent_day(world, 1)
    exercise = library.exercise("love-maps-inner-world")
    assert exercise is not None
    for delivery in day1:
        await answer(world, delivery, "private")
    async with database.session() as session:
        outcome = await pairs.after_answer(
            session=session, crypto=BOX, exercise=exercise, delivery=day1[0], first=True,
            now=clock.now(),
        )  # fmt: skip
    assert outcome.event is PairEvent.REVEAL
    assert outcome.me is not None and outcome.other is not None
    assert outcome.me.text is None and outcome.other.text is None
    assert not outcome.me.visible and not outcome.other.visible
