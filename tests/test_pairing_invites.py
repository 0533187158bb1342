"""Invite links: codes, the read-only preview, accepting, every refusal, and races."""

from __future__ import annotations

import asyncio
import hashlib
import re
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import col, func, select

from bot.clock import ManualClock
from bot.db.engine import Database
from bot.db.models import Invite, Partner, Therapist
from bot.services import couples, invites, membership, therapists
from bot.services.invites import InvitePreview, InviteProblem, IssuedInvite, Joined
from tests import dbtemplates

TTL = timedelta(days=7)
DR_RUIZ, DR_LEE = 1000, 2000
ANA, LUIS, EVA = 11, 12, 13


async def therapist(database: Database, telegram_id: int = DR_RUIZ) -> Therapist:
    async with database.session() as session:
        return await therapists.grant(session=session, telegram_id=telegram_id, name="Dr. Ruiz")


async def new_couple(
    database: Database, clock: ManualClock, owner: Therapist, label: str = "A & L"
) -> tuple[couples.CoupleView, dict[int, str]]:
    async with database.session() as session:
        view, issued = await couples.create(
            session=session, therapist=owner, label=label, now=clock.now(), ttl=TTL
        )
    return view, {invite.slot: invite.code for invite in issued}


async def accept(
    database: Database, clock: ManualClock, code: str, telegram_id: int, first_name: str = "Ana"
) -> Joined | InviteProblem:
    async with database.session() as session:
        return await invites.accept(
            session=session,
            code=code,
            telegram_id=telegram_id,
            first_name=first_name,
            language="es",
            now=clock.now(),
        )


async def preview(
    database: Database, clock: ManualClock, code: str, telegram_id: int
) -> InvitePreview | InviteProblem:
    async with database.session() as session:
        return await invites.preview(
            session=session, code=code, telegram_id=telegram_id, now=clock.now()
        )


async def partner_count(database: Database) -> int:
    async with database.session() as session:
        return (await session.exec(select(func.count()).select_from(Partner))).one()


async def invite_rows(database: Database) -> list[Invite]:
    async with database.session() as session:
        return list((await session.exec(select(Invite).order_by(col(Invite.id)))).all())


async def assert_refused(
    database: Database, clock: ManualClock, code: str, telegram_id: int, problem: InviteProblem
) -> None:
    """Both the consent screen and Accept give `problem`, and Accept stores nothing."""
    before = (await partner_count(database), [i.model_dump() for i in await invite_rows(database)])
    assert await preview(database, clock, code, telegram_id) == problem
    assert await accept(database, clock, code, telegram_id) == problem
    after = (await partner_count(database), [i.model_dump() for i in await invite_rows(database)])
    assert after == before


# --- codes -------------------------------------------------------------------------


def test_codes_are_long_random_deep_link_safe_and_distinct() -> None:
    codes = {invites.new_code() for _ in range(200)}
    assert len(codes) == 200
    for code in codes:
        assert re.fullmatch(r"[A-Za-z0-9_-]{32}", code)
        assert invites.looks_like_code(code)


def test_hash_is_sha256_hex() -> None:
    assert invites.hash_code("abc") == hashlib.sha256(b"abc").hexdigest()
    assert len(invites.hash_code(invites.new_code())) == 64


@pytest.mark.parametrize(
    "text",
    ["", "hello", "a" * 21, "a" * 65, "a" * 31 + "!", "a" * 31 + " ", "ä" * 32, "a+b/" * 8],
)
def test_looks_like_code_rejects_what_telegram_could_not_send(text: str) -> None:
    assert not invites.looks_like_code(text)


async def test_only_the_hash_is_stored_and_links_expire_after_ttl(
    database: Database, clock: ManualClock
) -> None:
    owner = await therapist(database)
    _, codes = await new_couple(database, clock, owner)
    rows = await invite_rows(database)
    assert sorted(row.slot for row in rows) == [1, 2]
    for row in rows:
        assert row.code_hash == invites.hash_code(codes[row.slot])
        assert codes[row.slot] not in repr(row.model_dump())
        assert row.expires_at == clock.now() + TTL
        assert row.used_at is None and row.revoked_at is None


async def test_issue_refuses_a_slot_that_does_not_exist(
    database: Database, clock: ManualClock
) -> None:
    owner = await therapist(database)
    view, _ = await new_couple(database, clock, owner)
    async with database.session() as session:
        with pytest.raises(ValueError, match="slot"):
            await invites.issue(
                session=session, couple=view.couple, slot=3, now=clock.now(), ttl=TTL
            )


# --- preview and accept ------------------------------------------------------------


async def test_preview_stores_nothing_and_declining_keeps_the_link_valid(
    database: Database, clock: ManualClock
) -> None:
    owner = await therapist(database)
    view, codes = await new_couple(database, clock, owner, label="Ana & Luis")
    shown = await preview(database, clock, codes[1], ANA)
    assert shown == InvitePreview(
        couple_id=view.couple.id or 0,
        couple_label="Ana & Luis",
        slot=1,
        therapist_name="Dr. Ruiz",
        therapist_telegram_id=DR_RUIZ,
        expires_at=clock.now() + TTL,
    )
    assert await partner_count(database) == 0
    assert all(row.used_at is None for row in await invite_rows(database))
    # Declined: nothing happened, so the same link still works later.
    clock.advance(timedelta(days=1))
    assert isinstance(await accept(database, clock, codes[1], ANA), Joined)


async def test_accept_joins_and_reports_who_to_tell(database: Database, clock: ManualClock) -> None:
    owner = await therapist(database)
    view, codes = await new_couple(database, clock, owner)
    async with database.session() as session:
        await membership.update_therapist(
            session=session, therapist=owner, timezone="Europe/Madrid"
        )

    first = await accept(database, clock, codes[1], ANA, first_name=" Ana <b>🌻</b> ")
    assert isinstance(first, Joined)
    assert first.partner.slot == 1 and first.partner.telegram_id == ANA
    assert first.partner.display_name == "Ana <b>🌻</b>"
    assert first.partner.language == "es"
    assert first.partner.timezone == "Europe/Madrid"
    assert first.partner.is_current and first.partner.consented_at == clock.now()
    assert first.couple.id == view.couple.id and first.therapist.telegram_id == DR_RUIZ
    assert first.other is None and not first.couple_complete

    clock.advance(timedelta(hours=2))
    second = await accept(database, clock, codes[2], LUIS, first_name="L" * 80)
    assert isinstance(second, Joined)
    assert second.partner.display_name == "L" * 64
    assert second.other is not None and second.other.telegram_id == ANA
    assert second.couple_complete

    rows = {row.slot: row for row in await invite_rows(database)}
    assert rows[1].used_by == ANA and rows[1].used_at == clock.now() - timedelta(hours=2)
    assert rows[2].used_by == LUIS and rows[2].used_at == clock.now()


async def test_a_blank_first_name_still_gives_a_name(
    database: Database, clock: ManualClock
) -> None:
    owner = await therapist(database)
    _, codes = await new_couple(database, clock, owner)
    joined = await accept(database, clock, codes[2], ANA, first_name="   ")
    assert isinstance(joined, Joined)
    assert joined.partner.display_name == "Partner 2"


# --- every refusal -----------------------------------------------------------------


async def test_unknown_and_malformed_codes(database: Database, clock: ManualClock) -> None:
    owner = await therapist(database)
    await new_couple(database, clock, owner)
    await assert_refused(database, clock, invites.new_code(), ANA, InviteProblem.UNKNOWN)
    await assert_refused(database, clock, "not a code", ANA, InviteProblem.UNKNOWN)


async def test_expired(database: Database, clock: ManualClock) -> None:
    owner = await therapist(database)
    _, codes = await new_couple(database, clock, owner)
    clock.advance(TTL - timedelta(seconds=1))
    assert isinstance(await preview(database, clock, codes[1], ANA), InvitePreview)
    clock.advance(timedelta(seconds=1))  # exactly at expires_at: no longer valid
    await assert_refused(database, clock, codes[1], ANA, InviteProblem.EXPIRED)


async def test_revoked_by_a_fresh_invite(database: Database, clock: ManualClock) -> None:
    owner = await therapist(database)
    view, old = await new_couple(database, clock, owner)
    async with database.session() as session:
        fresh = await couples.reinvite(
            session=session,
            therapist=owner,
            public_id=view.couple.public_id,
            now=clock.now(),
            ttl=TTL,
        )
    assert fresh is not None
    await assert_refused(database, clock, old[1], ANA, InviteProblem.REVOKED)
    assert isinstance(await accept(database, clock, fresh[0].code, ANA), Joined)


async def test_used(database: Database, clock: ManualClock) -> None:
    owner = await therapist(database)
    _, codes = await new_couple(database, clock, owner)
    assert isinstance(await accept(database, clock, codes[1], ANA), Joined)
    await assert_refused(database, clock, codes[1], EVA, InviteProblem.USED)


async def test_archived(database: Database, clock: ManualClock) -> None:
    owner = await therapist(database)
    view, codes = await new_couple(database, clock, owner)
    async with database.session() as session:
        await couples.archive(
            session=session, therapist=owner, public_id=view.couple.public_id, now=clock.now()
        )
    await assert_refused(database, clock, codes[1], ANA, InviteProblem.ARCHIVED)


async def test_slot_already_filled(database: Database, clock: ManualClock) -> None:
    owner = await therapist(database)
    view, codes = await new_couple(database, clock, owner)
    async with database.session() as session:
        spare: IssuedInvite = await invites.issue(
            session=session, couple=view.couple, slot=1, now=clock.now(), ttl=TTL
        )
    assert isinstance(await accept(database, clock, codes[1], ANA), Joined)
    await assert_refused(database, clock, spare.code, EVA, InviteProblem.FULL)


async def test_already_in_another_couple(database: Database, clock: ManualClock) -> None:
    owner = await therapist(database)
    _, first = await new_couple(database, clock, owner, label="one")
    _, second = await new_couple(database, clock, owner, label="two")
    assert isinstance(await accept(database, clock, first[1], ANA), Joined)
    await assert_refused(database, clock, second[1], ANA, InviteProblem.ALREADY_PARTNER)


async def test_already_in_this_couple(database: Database, clock: ManualClock) -> None:
    owner = await therapist(database)
    _, codes = await new_couple(database, clock, owner)
    assert isinstance(await accept(database, clock, codes[1], ANA), Joined)
    # The other slot's link, and re-opening their own (used) link.
    await assert_refused(database, clock, codes[2], ANA, InviteProblem.ALREADY_IN_THIS_COUPLE)
    await assert_refused(database, clock, codes[1], ANA, InviteProblem.ALREADY_IN_THIS_COUPLE)


async def test_a_therapist_cannot_join(database: Database, clock: ManualClock) -> None:
    owner = await therapist(database)
    await therapist(database, DR_LEE)
    _, codes = await new_couple(database, clock, owner)
    await assert_refused(database, clock, codes[1], DR_RUIZ, InviteProblem.THERAPIST)
    await assert_refused(database, clock, codes[1], DR_LEE, InviteProblem.THERAPIST)


async def test_inviter_no_longer_a_therapist(database: Database, clock: ManualClock) -> None:
    owner = await therapist(database)
    _, codes = await new_couple(database, clock, owner)
    async with database.session() as session:
        assert await therapists.revoke(session=session, telegram_id=DR_RUIZ)
    await assert_refused(database, clock, codes[1], ANA, InviteProblem.INVITER_INACTIVE)


async def test_after_leaving_a_person_can_join_another_couple(
    database: Database, clock: ManualClock
) -> None:
    owner = await therapist(database)
    _, first = await new_couple(database, clock, owner, label="one")
    _, second = await new_couple(database, clock, owner, label="two")
    assert isinstance(await accept(database, clock, first[1], ANA), Joined)
    async with database.session() as session:
        assert await membership.leave(session=session, telegram_id=ANA, now=clock.now())
    joined = await accept(database, clock, second[2], ANA)
    assert isinstance(joined, Joined) and joined.couple.label == "two"


# --- races -------------------------------------------------------------------------


async def test_two_people_racing_for_one_link_exactly_one_wins(
    database: Database, clock: ManualClock
) -> None:
    owner = await therapist(database)
    _, codes = await new_couple(database, clock, owner)
    results = await asyncio.gather(
        accept(database, clock, codes[1], ANA), accept(database, clock, codes[1], EVA)
    )
    winners = [result for result in results if isinstance(result, Joined)]
    assert len(winners) == 1
    assert [result for result in results if not isinstance(result, Joined)] == [InviteProblem.USED]
    rows = {row.slot: row for row in await invite_rows(database)}
    assert rows[1].used_by == winners[0].partner.telegram_id
    assert await partner_count(database) == 1


async def test_many_racers_one_winner(database: Database, clock: ManualClock) -> None:
    owner = await therapist(database)
    _, codes = await new_couple(database, clock, owner)
    results = await asyncio.gather(*(accept(database, clock, codes[2], 100 + n) for n in range(6)))
    assert sum(isinstance(result, Joined) for result in results) == 1
    losers = [result for result in results if not isinstance(result, Joined)]
    assert losers == [InviteProblem.USED] * 5
    assert await partner_count(database) == 1


async def test_consuming_is_one_conditional_update(database: Database, clock: ManualClock) -> None:
    """The UPDATE alone refuses a used, revoked or expired invite, whatever was read before."""
    owner = await therapist(database)
    view, codes = await new_couple(database, clock, owner)

    async def consume(code: str, telegram_id: int) -> bool:
        async with database.session() as session:
            return await invites._consume(
                session, invites.hash_code(code), telegram_id, clock.now()
            )

    async with database.session() as first:
        assert await invites._consume(first, invites.hash_code(codes[1]), ANA, clock.now())
        # Started while the first is uncommitted: it waits for it (row lock on PostgreSQL,
        # BEGIN IMMEDIATE on SQLite), then must not match the now-used row.
        second = asyncio.create_task(consume(codes[1], EVA))
    assert await second is False
    assert {row.slot: row.used_by for row in await invite_rows(database)}[1] == ANA

    async with database.session() as session:
        assert view.couple.id is not None
        await invites.revoke_unused(session=session, couple_id=view.couple.id, now=clock.now())
    assert await consume(codes[2], EVA) is False
    async with database.session() as session:
        fresh = await invites.issue(
            session=session, couple=view.couple, slot=2, now=clock.now(), ttl=TTL
        )
    clock.advance(TTL)
    assert await consume(fresh.code, EVA) is False
    clock.advance(-timedelta(seconds=1))
    assert await consume(fresh.code, EVA) is True


async def test_a_join_lost_to_a_unique_index_leaves_the_invite_unused(
    database: Database, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pre-check said yes, but the slot filled before the insert (any backend)."""
    owner = await therapist(database)
    view, codes = await new_couple(database, clock, owner)
    async with database.session() as session:
        spare = await invites.issue(
            session=session, couple=view.couple, slot=1, now=clock.now(), ttl=TTL
        )
        stale = await invites._check(session, spare.code, EVA, clock.now())
    assert not isinstance(stale, InviteProblem)
    assert isinstance(await accept(database, clock, codes[1], ANA), Joined)

    original, calls = invites._check, []

    async def stale_first(*args: Any) -> Any:
        calls.append(args)
        return stale if len(calls) == 1 else await original(*args)

    monkeypatch.setattr(invites, "_check", stale_first)
    assert await accept(database, clock, spare.code, EVA) is InviteProblem.FULL
    assert len(calls) == 2  # the insert failed and the reason was read again
    monkeypatch.undo()
    rows = {row.code_hash: row for row in await invite_rows(database)}
    assert rows[invites.hash_code(spare.code)].used_at is None
    assert await partner_count(database) == 1


def _after_every_precheck(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hold each racer after its (passing) pre-check until both passed it.

    This forces the worst interleaving, so only the conditional UPDATE and the partial
    unique indexes stand between the racers. PostgreSQL only: SQLite's BEGIN IMMEDIATE
    lets the second transaction start only after the first committed.
    """
    original = invites._check
    barrier = asyncio.Barrier(2)
    held: set[asyncio.Task[Any] | None] = set()

    async def held_check(*args: Any) -> Any:
        result = await original(*args)
        task = asyncio.current_task()
        if task not in held:
            held.add(task)
            await asyncio.wait_for(barrier.wait(), timeout=10)
        return result

    monkeypatch.setattr(invites, "_check", held_check)


# Forcing both racers past their checks at once needs concurrent writers: PostgreSQL.
# On SQLite, BEGIN IMMEDIATE runs writers one after another, so the interleaving these
# tests force cannot happen (and would deadlock the barrier). They are defined only when
# PostgreSQL is configured, which CI always does, so nothing is reported as skipped.
ON_POSTGRES = pytest.mark.parametrize("database_url", ["postgres"], indirect=True)

if dbtemplates.postgres_admin_url():

    @ON_POSTGRES
    async def test_stale_prechecks_still_let_only_one_consume(
        database: Database, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        owner = await therapist(database)
        _, codes = await new_couple(database, clock, owner)
        _after_every_precheck(monkeypatch)
        results = await asyncio.gather(
            accept(database, clock, codes[1], ANA), accept(database, clock, codes[1], EVA)
        )
        assert sorted(isinstance(result, Joined) for result in results) == [False, True]
        assert InviteProblem.USED in results
        assert await partner_count(database) == 1

    @ON_POSTGRES
    async def test_one_person_racing_into_two_couples_joins_one(
        database: Database, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        owner = await therapist(database)
        _, first = await new_couple(database, clock, owner, label="one")
        _, second = await new_couple(database, clock, owner, label="two")
        _after_every_precheck(monkeypatch)
        results = await asyncio.gather(
            accept(database, clock, first[1], ANA), accept(database, clock, second[1], ANA)
        )
        assert sorted(isinstance(result, Joined) for result in results) == [False, True]
        assert InviteProblem.ALREADY_PARTNER in results
        # The loser's invite was not consumed: it can still go to someone else.
        assert sum(row.used_at is not None for row in await invite_rows(database)) == 1

    @ON_POSTGRES
    async def test_two_links_for_one_slot_racing_fill_it_once(
        database: Database, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        owner = await therapist(database)
        view, codes = await new_couple(database, clock, owner)
        async with database.session() as session:
            spare = await invites.issue(
                session=session, couple=view.couple, slot=1, now=clock.now(), ttl=TTL
            )
        _after_every_precheck(monkeypatch)
        results = await asyncio.gather(
            accept(database, clock, codes[1], ANA), accept(database, clock, spare.code, EVA)
        )
        assert sorted(isinstance(result, Joined) for result in results) == [False, True]
        assert InviteProblem.FULL in results
        assert await partner_count(database) == 1
