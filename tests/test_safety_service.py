"""Safety services on a real database: the plan, crisis flags, the private line.

Crisis resources: tests/test_crisis_resources.py.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text
from sqlmodel import select

from bot.db.engine import Database
from bot.db.models import Couple, Flag, FlagKind, Partner, Therapist
from bot.services import membership, safety, therapists
from bot.services.crypto import Box
from tests.conftest import START

BOX = Box([Fernet.generate_key()])
PLAN = "Warning signs: I stop answering my sister. What helps: a walk with Luna."


async def partner_in_couple(database: Database) -> Partner:
    async with database.session() as session:
        therapist = Therapist(telegram_id=2001, name="Marta")
        session.add(therapist)
        await session.flush()
        couple = Couple(public_id="k7m2qx", therapist_id=therapist.id, label="A & B")  # type: ignore[arg-type]
        session.add(couple)
        await session.flush()
        partner = Partner(couple_id=couple.id, slot=1, telegram_id=1001, display_name="Ana")  # type: ignore[arg-type]
        session.add(partner)
        await session.flush()
        return partner


async def test_a_plan_is_written_read_replaced_and_deleted_encrypted(database: Database) -> None:
    async with database.session() as session:
        assert await safety.get_plan(session=session, crypto=BOX, telegram_id=1001) is None
        await safety.save_plan(session=session, crypto=BOX, telegram_id=1001, text=PLAN, now=START)
    async with database.session() as session:
        assert await safety.get_plan(session=session, crypto=BOX, telegram_id=1001) == PLAN
        raw = (await session.exec(text("SELECT text_ct FROM safety_plans"))).one()[0]  # type: ignore[call-overload]
        assert b"Luna" not in bytes(raw) and b"Warning" not in bytes(raw)
        await safety.save_plan(
            session=session, crypto=BOX, telegram_id=1001, text="  Call Sam.  ", now=START
        )
    async with database.session() as session:
        assert await safety.get_plan(session=session, crypto=BOX, telegram_id=1001) == "Call Sam."
        assert await safety.get_plan(session=session, crypto=BOX, telegram_id=1002) is None
        assert await safety.delete_plan(session=session, telegram_id=1001)
    async with database.session() as session:
        assert await safety.get_plan(session=session, crypto=BOX, telegram_id=1001) is None
        assert not await safety.delete_plan(session=session, telegram_id=1001)


@pytest.mark.parametrize("plan", ["", "   ", "x" * (safety.MAX_PLAN_LENGTH + 1)])
async def test_an_empty_or_oversized_plan_is_refused(database: Database, plan: str) -> None:
    async with database.session() as session:
        with pytest.raises(safety.TextLengthError):
            await safety.save_plan(
                session=session, crypto=BOX, telegram_id=1001, text=plan, now=START
            )


async def test_every_crisis_is_flagged_but_the_therapist_is_told_at_most_hourly(
    database: Database,
) -> None:
    partner = await partner_in_couple(database)
    recorded = []
    for minutes in (0, 10, 59, 61, 200):
        async with database.session() as session:
            recorded.append(
                await safety.record_crisis(
                    session=session, partner=partner, now=START + timedelta(minutes=minutes)
                )
            )
    assert [r.notify for r in recorded] == [True, False, False, False, True]
    async with database.session() as session:
        flags = (await session.exec(select(Flag))).all()
        couple, therapist = await safety.couple_of(session=session, partner=partner)
    assert sorted(r.flag_id for r in recorded) == sorted(f.id or 0 for f in flags)
    assert len(flags) == 5 and {f.kind for f in flags} == {"crisis"}
    assert {f.partner_id for f in flags} == {partner.id}
    assert therapist is not None and therapist.telegram_id == 2001 and couple.label == "A & B"


async def test_each_kind_of_flag_is_throttled_on_its_own(database: Database) -> None:
    partner = await partner_in_couple(database)
    notified = {}
    for minutes, kind in ((0, FlagKind.CRISIS), (5, FlagKind.HELP_NOW), (6, FlagKind.HELP_NOW),
                          (7, FlagKind.CHECK_IN), (8, FlagKind.CRISIS)):  # fmt: skip
        async with database.session() as session:
            recorded = await safety.record_crisis(
                session=session, partner=partner, now=START + timedelta(minutes=minutes), kind=kind
            )
        notified[(minutes, kind.value)] = recorded.notify
    assert notified == {
        (0, "crisis"): True,
        (5, "help_now"): True,  # a different signal than the crisis words: told
        (6, "help_now"): False,
        (7, "check_in"): True,
        (8, "crisis"): False,
    }
    async with database.session() as session:
        kinds = sorted(f.kind for f in (await session.exec(select(Flag))).all())
    assert kinds == ["check_in", "crisis", "crisis", "help_now", "help_now"]


async def test_the_private_line_stays_open_30_days_after_leaving(database: Database) -> None:
    partner = await partner_in_couple(database)
    left = START + timedelta(days=3)
    async with database.session() as session:
        await membership.leave(session=session, telegram_id=1001, now=left)

    async def line_at(moment: datetime) -> safety.PrivateLine | None:
        async with database.session() as session:
            return await safety.private_line(session=session, telegram_id=1001, now=moment)

    before = await line_at(left - timedelta(days=1))
    day_29 = await line_at(left + timedelta(days=29, hours=23))
    day_30 = await line_at(left + timedelta(days=30))
    assert before is not None and before.former and before.therapist is not None
    assert day_29 is not None and day_29.therapist is not None and not day_29.expired
    assert day_29.partner.id == partner.id
    assert day_30 is not None and day_30.therapist is None and day_30.expired
    async with database.session() as session:
        assert await safety.private_line(session=session, telegram_id=4242, now=left) is None


async def test_only_the_therapist_a_line_reaches_may_reply(database: Database) -> None:
    partner = await partner_in_couple(database)
    assert partner.id is not None
    async with database.session() as session:
        other = Therapist(telegram_id=2002, name="Olga")
        session.add(other)
        await session.flush()
        marta = (await session.exec(select(Therapist).where(Therapist.telegram_id == 2001))).one()

    async def reply_line(therapist: Therapist, partner_id: int) -> safety.PrivateLine | None:
        async with database.session() as session:
            return await safety.reply_line(
                session=session, therapist=therapist, partner_id=partner_id, now=START
            )

    assert (await reply_line(marta, partner.id)) is not None
    assert await reply_line(other, partner.id) is None
    assert await reply_line(marta, partner.id + 1000) is None
    async with database.session() as session:
        await therapists.revoke(session=session, telegram_id=2001)
    async with database.session() as session:
        line = await safety.private_line(session=session, telegram_id=1001, now=START)
    assert line is not None and line.therapist is None and not line.expired
    assert await reply_line(marta, partner.id) is None
