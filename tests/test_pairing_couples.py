"""Couples as therapists see them: create, list, show, re-invite, archive; derived status."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import col, func, select

from bot.clock import ManualClock
from bot.db.engine import Database
from bot.db.models import Couple, Invite, Partner, Therapist
from bot.services import couples, invites, membership, therapists
from bot.services.couples import CoupleStatus, CoupleView, InvalidLabelError
from bot.services.invites import InviteProblem, IssuedInvite, Joined

TTL = timedelta(days=7)
DR_RUIZ, DR_LEE = 1000, 2000
ANA, LUIS = 11, 12
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # the clock fixture's start


async def therapist(database: Database, telegram_id: int = DR_RUIZ) -> Therapist:
    async with database.session() as session:
        return await therapists.grant(session=session, telegram_id=telegram_id, name="Dr.")


async def create(
    database: Database, clock: ManualClock, owner: Therapist, label: str = "A & L"
) -> tuple[CoupleView, list[IssuedInvite]]:
    async with database.session() as session:
        return await couples.create(
            session=session, therapist=owner, label=label, now=clock.now(), ttl=TTL
        )


async def join(database: Database, clock: ManualClock, code: str, telegram_id: int) -> Joined:
    async with database.session() as session:
        joined = await invites.accept(
            session=session,
            code=code,
            telegram_id=telegram_id,
            first_name=f"P{telegram_id}",
            language="en",
            now=clock.now(),
        )
    assert isinstance(joined, Joined)
    return joined


async def get(
    database: Database, owner: Therapist, public_id: str, now: datetime = NOW
) -> CoupleView | None:
    async with database.session() as session:
        return await couples.get_for(session=session, therapist=owner, public_id=public_id, now=now)


async def full_couple(
    database: Database, clock: ManualClock, owner: Therapist, label: str = "A & L"
) -> CoupleView:
    view, issued = await create(database, clock, owner, label)
    await join(database, clock, issued[0].code, ANA)
    await join(database, clock, issued[1].code, LUIS)
    return view


async def counts(database: Database) -> list[int]:
    """How many couples, partners and invites exist."""
    async with database.session() as session:
        return [
            (await session.exec(select(func.count()).select_from(model))).one()
            for model in (Couple, Partner, Invite)
        ]


# --- create ------------------------------------------------------------------------


async def test_create_gives_a_short_id_and_one_link_per_slot(
    database: Database, clock: ManualClock
) -> None:
    owner = await therapist(database)
    view, issued = await create(database, clock, owner, label="  Ana & Luis <3  ")
    assert view.couple.label == "Ana & Luis <3"
    assert re.fullmatch(r"[abcdefghjkmnpqrstuvwxyz23456789]{6}", view.couple.public_id)
    assert view.couple.therapist_id == owner.id and view.couple.created_at == clock.now()
    assert view.status is CoupleStatus.WAITING
    assert view.partners == [] and view.open_slots == [1, 2]
    assert [invite.slot for invite in issued] == [1, 2]
    assert issued[0].code != issued[1].code
    assert all(invite.expires_at == clock.now() + TTL for invite in issued)


@pytest.mark.parametrize("label", ["", "   ", "x" * 65])
async def test_a_label_must_be_1_to_64_characters(
    database: Database, clock: ManualClock, label: str
) -> None:
    owner = await therapist(database)
    with pytest.raises(InvalidLabelError):
        await create(database, clock, owner, label=label)
    assert await counts(database) == [0, 0, 0]


async def test_a_64_character_label_is_fine(database: Database, clock: ManualClock) -> None:
    owner = await therapist(database)
    view, _ = await create(database, clock, owner, label="é" * 64)
    assert view.couple.label == "é" * 64


async def test_a_public_id_collision_is_retried(
    database: Database, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    owner = await therapist(database)
    first, _ = await create(database, clock, owner)
    ids: Iterator[str] = iter([first.couple.public_id, first.couple.public_id, "zzzzzz"])
    monkeypatch.setattr(couples, "new_public_id", lambda: next(ids))
    second, _ = await create(database, clock, owner)
    assert second.couple.public_id == "zzzzzz"


# --- list and get ------------------------------------------------------------------


async def test_list_is_newest_first_archived_last_and_only_mine(
    database: Database, clock: ManualClock
) -> None:
    owner, other = await therapist(database), await therapist(database, DR_LEE)
    old, _ = await create(database, clock, owner, "old")
    clock.advance(timedelta(hours=1))
    middle = await full_couple(database, clock, owner, "middle")
    clock.advance(timedelta(hours=1))
    new, _ = await create(database, clock, owner, "new")
    await create(database, clock, other, "not mine")
    async with database.session() as session:
        await couples.archive(
            session=session, therapist=owner, public_id=new.couple.public_id, now=clock.now()
        )
        views = await couples.list_for(session=session, therapist=owner, now=clock.now())
    assert [view.couple.label for view in views] == ["middle", "old", "new"]
    assert [view.status for view in views] == [
        CoupleStatus.ACTIVE,
        CoupleStatus.WAITING,
        CoupleStatus.ARCHIVED,
    ]
    assert [partner.telegram_id for partner in views[0].partners] == [ANA, LUIS]
    assert views[0].couple.id == middle.couple.id and views[1].couple.id == old.couple.id


async def test_list_is_empty_for_a_new_therapist(database: Database) -> None:
    owner = await therapist(database)
    async with database.session() as session:
        assert await couples.list_for(session=session, therapist=owner, now=NOW) == []


async def test_another_therapists_couple_looks_like_no_couple(
    database: Database, clock: ManualClock
) -> None:
    owner, other = await therapist(database), await therapist(database, DR_LEE)
    view, _ = await create(database, clock, owner)
    public_id = view.couple.public_id
    assert await get(database, other, public_id) is None
    assert await get(database, owner, "nosuch") is None
    async with database.session() as session:
        assert (
            await couples.reinvite(
                session=session, therapist=other, public_id=public_id, now=clock.now(), ttl=TTL
            )
            is None
        )
        assert (
            await couples.archive(
                session=session, therapist=other, public_id=public_id, now=clock.now()
            )
            is None
        )
    mine = await get(database, owner, f" {public_id.upper()} ")
    assert mine is not None and mine.couple.id == view.couple.id
    assert mine.status is CoupleStatus.WAITING  # the other therapist changed nothing


async def test_status_is_derived_from_the_partners(database: Database, clock: ManualClock) -> None:
    owner = await therapist(database)
    view, issued = await create(database, clock, owner)
    public_id = view.couple.public_id
    await join(database, clock, issued[1].code, LUIS)
    half = await get(database, owner, public_id)
    assert half is not None
    assert half.status is CoupleStatus.WAITING and half.open_slots == [1]
    await join(database, clock, issued[0].code, ANA)
    whole = await get(database, owner, public_id)
    assert whole is not None
    assert whole.status is CoupleStatus.ACTIVE and whole.open_slots == []
    assert [(p.slot, p.telegram_id) for p in whole.partners] == [(1, ANA), (2, LUIS)]
    async with database.session() as session:
        await membership.leave(session=session, telegram_id=ANA, now=clock.now())
    after = await get(database, owner, public_id)
    assert after is not None
    assert after.status is CoupleStatus.WAITING and after.open_slots == [1]


async def test_a_paused_partner_pauses_the_couple_until_the_pause_ends(
    database: Database, clock: ManualClock
) -> None:
    owner = await therapist(database)
    view = await full_couple(database, clock, owner)
    active = await get(database, owner, view.couple.public_id)
    assert active is not None and active.status is CoupleStatus.ACTIVE
    async with database.session() as session:
        luis = await membership.current_partner(session=session, telegram_id=LUIS)
        assert luis is not None
        luis.paused_at, luis.paused_until = clock.now(), clock.now() + timedelta(days=2)
        session.add(luis)

    paused = await get(database, owner, view.couple.public_id)
    assert paused is not None and paused.status is CoupleStatus.PAUSED
    later = await get(database, owner, view.couple.public_id, clock.now() + timedelta(days=2))
    assert later is not None and later.status is CoupleStatus.ACTIVE


# --- reinvite ----------------------------------------------------------------------


async def reinvite(
    database: Database, clock: ManualClock, owner: Therapist, public_id: str
) -> list[IssuedInvite] | None:
    async with database.session() as session:
        return await couples.reinvite(
            session=session, therapist=owner, public_id=public_id, now=clock.now(), ttl=TTL
        )


async def test_reinvite_replaces_the_open_links_of_empty_slots(
    database: Database, clock: ManualClock
) -> None:
    owner = await therapist(database)
    view, old = await create(database, clock, owner)
    await join(database, clock, old[0].code, ANA)
    clock.advance(timedelta(days=6))
    fresh = await reinvite(database, clock, owner, view.couple.public_id)
    assert fresh is not None
    assert [invite.slot for invite in fresh] == [2]
    assert fresh[0].expires_at == clock.now() + TTL
    async with database.session() as session:
        old_slot_2 = await invites.preview(
            session=session, code=old[1].code, telegram_id=LUIS, now=clock.now()
        )
    assert old_slot_2 is InviteProblem.REVOKED
    clock.advance(timedelta(days=3))  # past the old links' expiry, within the new one's
    joined = await join(database, clock, fresh[0].code, LUIS)
    assert joined.couple_complete


async def test_reinvite_of_a_full_couple_gives_nothing(
    database: Database, clock: ManualClock
) -> None:
    owner = await therapist(database)
    view = await full_couple(database, clock, owner)
    assert await reinvite(database, clock, owner, view.couple.public_id) == []


async def test_reinvite_of_an_archived_couple_gives_no_links(
    database: Database, clock: ManualClock
) -> None:
    owner = await therapist(database)
    view, _ = await create(database, clock, owner)
    async with database.session() as session:
        await couples.archive(
            session=session, therapist=owner, public_id=view.couple.public_id, now=clock.now()
        )
    _, _, invite_count = await counts(database)
    assert await reinvite(database, clock, owner, view.couple.public_id) == []
    assert (await counts(database))[2] == invite_count
    archived = await get(database, owner, view.couple.public_id)
    assert archived is not None and archived.status is CoupleStatus.ARCHIVED


# --- archive -----------------------------------------------------------------------


async def test_archive_ends_the_couple_and_deletes_nothing(
    database: Database, clock: ManualClock
) -> None:
    owner = await therapist(database)
    view, issued = await create(database, clock, owner)
    await join(database, clock, issued[0].code, ANA)
    spare = await reinvite(database, clock, owner, view.couple.public_id)
    assert spare is not None
    before = await counts(database)
    clock.advance(timedelta(days=1))
    async with database.session() as session:
        done = await couples.archive(
            session=session, therapist=owner, public_id=view.couple.public_id, now=clock.now()
        )
    assert done is not None and not done.already_archived
    assert [partner.telegram_id for partner in done.former_partners] == [ANA]
    assert done.view.status is CoupleStatus.ARCHIVED
    assert done.view.partners == [] and done.view.open_slots == []
    assert done.view.couple.archived_at == clock.now()
    assert await counts(database) == before

    async with database.session() as session:
        rows = list((await session.exec(select(Partner))).all())
        open_invites = (
            await session.exec(
                select(Invite).where(
                    col(Invite.used_at).is_(None), col(Invite.revoked_at).is_(None)
                )
            )
        ).all()
        assert await membership.current_partner(session=session, telegram_id=ANA) is None
    assert [(row.is_current, row.left_at) for row in rows] == [(False, clock.now())]
    assert open_invites == []

    # Ana is free to join another couple.
    _, other = await create(database, clock, owner, "next")
    await join(database, clock, other[0].code, ANA)


async def test_archiving_twice_changes_nothing_the_second_time(
    database: Database, clock: ManualClock
) -> None:
    owner = await therapist(database)
    view = await full_couple(database, clock, owner)
    async with database.session() as session:
        first = await couples.archive(
            session=session, therapist=owner, public_id=view.couple.public_id, now=clock.now()
        )
    archived_at = clock.now()
    clock.advance(timedelta(hours=1))
    async with database.session() as session:
        second = await couples.archive(
            session=session, therapist=owner, public_id=view.couple.public_id, now=clock.now()
        )
    assert first is not None and len(first.former_partners) == 2
    assert second is not None and second.already_archived
    assert second.former_partners == []
    assert second.view.couple.archived_at == archived_at


async def test_a_partner_who_left_is_not_told_again_at_archive(
    database: Database, clock: ManualClock
) -> None:
    owner = await therapist(database)
    view = await full_couple(database, clock, owner)
    async with database.session() as session:
        await membership.leave(session=session, telegram_id=LUIS, now=clock.now())
    async with database.session() as session:
        done = await couples.archive(
            session=session, therapist=owner, public_id=view.couple.public_id, now=clock.now()
        )
    assert done is not None
    assert [partner.telegram_id for partner in done.former_partners] == [ANA]
