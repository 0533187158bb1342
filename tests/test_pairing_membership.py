"""Membership: who is paired with whom, leaving, and changing preferences."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from sqlmodel import select

from bot.clock import ManualClock
from bot.db.engine import Database
from bot.db.models import Partner, Therapist
from bot.services import couples, invites, membership, therapists
from bot.services.couples import CoupleStatus, CoupleView
from bot.services.invites import Joined
from bot.services.preferences import PreferenceError

TTL = timedelta(days=7)
DR_RUIZ = 1000
ANA, LUIS, EVA = 11, 12, 13


async def setup_couple(
    database: Database, clock: ManualClock, *, both: bool = True
) -> tuple[Therapist, CoupleView]:
    async with database.session() as session:
        owner = await therapists.grant(session=session, telegram_id=DR_RUIZ, name="Dr. Ruiz")
        view, issued = await couples.create(
            session=session, therapist=owner, label="A & L", now=clock.now(), ttl=TTL
        )
    for invite, telegram_id in zip(issued, (ANA, LUIS) if both else (ANA,), strict=False):
        async with database.session() as session:
            joined = await invites.accept(
                session=session,
                code=invite.code,
                telegram_id=telegram_id,
                first_name=f"P{telegram_id}",
                language="en",
                now=clock.now(),
            )
        assert isinstance(joined, Joined)
    return owner, view


async def partner_of(database: Database, telegram_id: int) -> Partner | None:
    async with database.session() as session:
        return await membership.current_partner(session=session, telegram_id=telegram_id)


async def test_current_and_other_partner(database: Database, clock: ManualClock) -> None:
    await setup_couple(database, clock)
    assert await partner_of(database, EVA) is None
    ana = await partner_of(database, ANA)
    assert ana is not None and ana.slot == 1
    async with database.session() as session:
        other = await membership.other_partner(session=session, partner=ana)
    assert other is not None and other.telegram_id == LUIS


async def test_no_other_partner_while_waiting(database: Database, clock: ManualClock) -> None:
    await setup_couple(database, clock, both=False)
    ana = await partner_of(database, ANA)
    assert ana is not None
    async with database.session() as session:
        assert await membership.other_partner(session=session, partner=ana) is None


async def test_leaving_tells_who_to_notify_and_keeps_the_row(
    database: Database, clock: ManualClock
) -> None:
    owner, view = await setup_couple(database, clock)
    clock.advance(timedelta(days=3))
    async with database.session() as session:
        outcome = await membership.leave(session=session, telegram_id=LUIS, now=clock.now())
    assert outcome is not None
    assert outcome.couple.id == view.couple.id
    assert outcome.therapist.telegram_id == owner.telegram_id
    assert outcome.former.telegram_id == LUIS
    assert not outcome.former.is_current and outcome.former.left_at == clock.now()
    assert outcome.other is not None and outcome.other.telegram_id == ANA
    # No reason is asked for, stored or returned.
    assert {field.name for field in dataclasses.fields(outcome)} == {
        "couple",
        "therapist",
        "former",
        "other",
    }
    assert await partner_of(database, LUIS) is None
    async with database.session() as session:
        rows = list((await session.exec(select(Partner).where(Partner.telegram_id == LUIS))).all())
        left = await couples.view_of(session=session, couple=view.couple, now=clock.now())
    assert [(row.is_current, row.left_at) for row in rows] == [(False, clock.now())]
    assert left.status is CoupleStatus.WAITING and left.open_slots == [2]


async def test_leaving_alone_has_nobody_else_to_tell(
    database: Database, clock: ManualClock
) -> None:
    await setup_couple(database, clock, both=False)
    async with database.session() as session:
        outcome = await membership.leave(session=session, telegram_id=ANA, now=clock.now())
    assert outcome is not None and outcome.other is None


async def test_leaving_without_a_couple_does_nothing(
    database: Database, clock: ManualClock
) -> None:
    await setup_couple(database, clock)
    async with database.session() as session:
        assert await membership.leave(session=session, telegram_id=EVA, now=clock.now()) is None
        assert await membership.leave(session=session, telegram_id=ANA, now=clock.now())
        assert await membership.leave(session=session, telegram_id=ANA, now=clock.now()) is None


# --- preferences -------------------------------------------------------------------


async def test_only_the_given_preferences_change_canonicalised_and_stored(
    database: Database, clock: ManualClock
) -> None:
    await setup_couple(database, clock)
    ana = await partner_of(database, ANA)
    assert ana is not None
    async with database.session() as session:
        await membership.update_preferences(
            session=session,
            partner=ana,
            timezone="europe/berlin",
            delivery_time="8:30 pm",
            share_with_therapist=True,
        )
    stored = await partner_of(database, ANA)
    assert stored is not None
    assert (stored.timezone, stored.delivery_time, stored.share_with_therapist) == (
        "Europe/Berlin",
        "20:30",
        True,
    )
    assert (stored.display_name, stored.language, stored.setup_done) == ("P11", "en", False)

    async with database.session() as session:
        await membership.update_preferences(
            session=session,
            partner=stored,
            display_name=" <i>Ana</i> 💛 ",
            language="Español",
            setup_done=True,
        )
    again = await partner_of(database, ANA)
    assert again is not None
    assert (again.display_name, again.language, again.setup_done) == ("<i>Ana</i> 💛", "es", True)
    assert (again.timezone, again.delivery_time) == ("Europe/Berlin", "20:30")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("timezone", "Mars/Olympus"),
        ("delivery_time", "25:00"),
        ("language", "fr"),
        ("display_name", "   "),
    ],
)
async def test_an_invalid_preference_changes_nothing(
    database: Database, clock: ManualClock, field: str, value: str
) -> None:
    await setup_couple(database, clock)
    ana = await partner_of(database, ANA)
    assert ana is not None
    before = ana.model_dump()
    # A valid change next to the invalid one must not be applied either, even though
    # the handler catches the error and the transaction commits.
    changes: dict[str, str] = {"delivery_time": "07:00", field: value}
    async with database.session() as session:
        with pytest.raises(PreferenceError) as raised:
            await membership.update_preferences(session=session, partner=ana, **changes)  # type: ignore[arg-type]
    assert raised.value.field == field.removeprefix("delivery_")
    stored = await partner_of(database, ANA)
    assert stored is not None and stored.model_dump() == before


async def test_therapist_timezone_and_language(database: Database, clock: ManualClock) -> None:
    owner, _ = await setup_couple(database, clock)
    async with database.session() as session:
        await membership.update_therapist(session=session, therapist=owner, language="es-MX")
    async with database.session() as session:
        stored = await therapists.get(session=session, telegram_id=DR_RUIZ)
        assert stored is not None
        assert (stored.timezone, stored.language) == ("UTC", "es")
        await membership.update_therapist(
            session=session, therapist=stored, timezone="america/mexico_city"
        )
    async with database.session() as session:
        stored = await therapists.get(session=session, telegram_id=DR_RUIZ)
    assert stored is not None
    assert (stored.timezone, stored.language) == ("America/Mexico_City", "es")
    async with database.session() as session:
        with pytest.raises(PreferenceError):
            await membership.update_therapist(session=session, therapist=stored, timezone="+02:00")
    async with database.session() as session:
        stored = await therapists.get(session=session, telegram_id=DR_RUIZ)
    assert stored is not None and stored.timezone == "America/Mexico_City"
