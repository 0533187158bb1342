"""Your data, as services: /mydata's document, /deleteme's erasure, the retention purge."""

from __future__ import annotations

import json
from datetime import timedelta

from cryptography.fernet import Fernet
from sqlmodel import select

from bot.clock import ManualClock
from bot.db.engine import Database
from bot.db.models import CheckIn, ConversationState, Delivery, Flag, Partner, Response, SafetyPlan
from bot.services import audit, erasure, mydata, retention
from bot.services.crypto import Box
from tests import privacy_seed
from tests.delivery_world import library

BOX = Box([Fernet.generate_key()])


async def _world(database: Database, clock: ManualClock) -> privacy_seed.Seeded:
    async with database.session() as session:
        seeded = await privacy_seed.couple(session, now=clock.now())
        await privacy_seed.answers(
            session,
            seeded,
            BOX,
            [(0, "Ana: I worry about money"), (1, "Ben: I miss our walks")],
            now=clock.now(),
        )
        await privacy_seed.extras(session, seeded.partners[0], BOX, plan="Ana's plan: call Sam",
                                  now=clock.now())  # fmt: skip
        await privacy_seed.extras(session, seeded.partners[1], BOX, plan="Ben's plan: walk",
                                  now=clock.now())  # fmt: skip
    return seeded


async def _document(database: Database, clock: ManualClock, telegram_id: int) -> dict:  # type: ignore[type-arg]
    async with database.session() as session:
        document = await mydata.collect(
            session=session, telegram_id=telegram_id, box=BOX, library=library(), now=clock.now()
        )
    json.dumps(document)  # everything in it is JSON
    return document


async def test_mydata_lists_who_read_my_data_and_when(
    database: Database, clock: ManualClock
) -> None:
    seeded = await _world(database, clock)
    async with database.session() as session:
        for action, detail in [("report", "1 answer"), ("brief", "pdf"), ("export", None)]:
            clock.advance(timedelta(hours=1))
            await audit.record_therapist_look(
                session=session, therapist_telegram_id=seeded.therapist.telegram_id,
                action=action, public_id=seeded.couple.public_id, detail=detail, now=clock.now(),
            )  # fmt: skip
        await audit.record_therapist_look(
            session=session, therapist_telegram_id=seeded.therapist.telegram_id,
            action="report", public_id="other1", detail="x", now=clock.now(),
        )  # fmt: skip
    (membership,) = (await _document(database, clock, 1001))["memberships"]
    assert [(r["what"], r["by"]) for r in membership["read_by"]] == [
        ("report", "Dr. Marta Ruiz"),
        ("brief", "Dr. Marta Ruiz"),
    ], "found looks at this couple only (not a probe that found nothing, not other couples)"


async def test_mydata_holds_everything_about_me_and_nothing_of_my_partner(
    database: Database, clock: ManualClock
) -> None:
    await _world(database, clock)

    document = await _document(database, clock, 1001)
    text = json.dumps(document, ensure_ascii=False)

    (membership,) = document["memberships"]
    assert membership["display_name"] == "Ana" and membership["timezone"] == "Europe/Berlin"
    assert membership["consented_at"] == clock.now().isoformat()
    assert "label" not in membership["couple"], "the therapist's private label stays theirs"
    assert "Ana & Ben" not in text
    assert membership["couple"]["therapist_name"] == "Dr. Marta Ruiz"
    assert membership["couple"]["partner_display_name"] == "Ben"
    (delivery,) = membership["deliveries"]
    assert delivery["response"]["text"] == "Ana: I worry about money"
    assert delivery["exercise_title"] == "What's on my mind this week"
    assert membership["flags"] == [{"created_at": clock.now().isoformat(), "seen_at": None}]
    assert document["safety_plan"]["text"] == "Ana's plan: call Sam"
    assert document["conversation_state"]["flow"] == "setup"
    assert "Ben: I miss our walks" not in text, "never the partner's answers"
    assert "Ben's plan" not in text, "never the partner's safety plan"


async def test_mydata_of_a_therapist_and_of_a_stranger(
    database: Database, clock: ManualClock
) -> None:
    seeded = await _world(database, clock)

    therapist = await _document(database, clock, 2001)
    stranger = await _document(database, clock, 4242)

    assert therapist["therapist"]["name"] == "Dr. Marta Ruiz"
    assert [c["public_id"] for c in therapist["therapist"]["couples"]] == [seeded.couple.public_id]
    assert therapist["memberships"] == []
    assert "worry" not in json.dumps(therapist), "a therapist's copy holds no partner text"
    assert stranger["therapist"] is None and stranger["memberships"] == []
    assert stranger["safety_plan"] is None


async def test_erasure_removes_my_content_and_keeps_completion_facts(
    database: Database, clock: ManualClock
) -> None:
    seeded = await _world(database, clock)
    clock.advance(timedelta(days=1))

    async with database.session() as session:
        erased = await erasure.erase(session=session, telegram_id=1001, now=clock.now())

    assert erased.answers == 1 and erased.safety_plan and erased.memberships == 1
    assert erased.former_name == "Ana"
    assert erased.left is not None and erased.left.other is not None
    assert erased.left.other.telegram_id == 1002
    async with database.session() as session:
        ana = await session.get(Partner, seeded.partners[0].id)
        answers = {r.partner_id: r for r in (await session.exec(select(Response))).all()}
        deliveries = (await session.exec(select(Delivery))).all()
        plans = {p.telegram_id for p in (await session.exec(select(SafetyPlan))).all()}
        states = {s.telegram_id for s in (await session.exec(select(ConversationState))).all()}
        flags = (await session.exec(select(Flag))).all()
    assert ana is not None
    assert (ana.display_name, ana.is_current, ana.left_at) == ("Former partner", False, clock.now())
    assert (ana.timezone, ana.share_with_therapist) == ("UTC", False)
    mine, bens = answers[ana.id], answers[seeded.partners[1].id]
    assert mine.text_ct is None and mine.value is None
    assert mine.rating == 4, "ratings are completion facts"
    assert [d.status for d in deliveries] == ["done", "done"], "completion facts stay"
    assert BOX.decrypt(bens.text_ct or b"") == "Ben: I miss our walks", "the partner's stays"
    assert plans == {1002} and states == {1002}
    assert len(flags) == 2, "safety alerts stay on the therapist's record (dates only)"

    document = await _document(database, clock, 1001)
    assert document["memberships"][0]["deliveries"][0]["response"]["text"] is None
    assert document["safety_plan"] is None

    async with database.session() as session:
        again = await erasure.erase(session=session, telegram_id=1001, now=clock.now())
    assert (again.answers, again.safety_plan, again.left) == (0, False, None)


async def test_a_therapist_erases_only_what_is_theirs(
    database: Database, clock: ManualClock
) -> None:
    seeded = await _world(database, clock)
    async with database.session() as session:
        session.add(
            SafetyPlan(telegram_id=2001, text_ct=BOX.encrypt("mine"), updated_at=clock.now())
        )

        session.add(CheckIn(telegram_id=2001, message_id=5, asked_at=clock.now(), answer="safe"))
    before = await _document(database, clock, 2001)
    assert [c["answer"] for c in before["safety_check_ins"]] == ["safe"], "listed in /mydata"

    async with database.session() as session:
        assert await erasure.erase_own_only(session=session, telegram_id=2001)

    document = await _document(database, clock, 2001)
    assert document["safety_plan"] is None
    assert document["safety_check_ins"] == [], "erased with the plan"
    assert document["therapist"]["couples"][0]["public_id"] == seeded.couple.public_id
    partner_doc = await _document(database, clock, 1001)
    assert partner_doc["memberships"][0]["deliveries"][0]["response"]["text"]


def test_the_confirmation_token_is_bound_to_the_person_and_the_hour(clock: ManualClock) -> None:
    secret = b"k" * 32
    token = erasure.confirmation_token(secret=secret, telegram_id=1001, now=clock.now())

    def valid(telegram_id: int, value: str, after: timedelta) -> bool:
        return erasure.confirmation_valid(
            secret=secret, telegram_id=telegram_id, token=value, now=clock.now() + after
        )

    assert valid(1001, token, timedelta(minutes=59))
    assert not valid(1002, token, timedelta(0)), "another person's button"
    assert not valid(1001, token, timedelta(hours=1, seconds=1)), "too old"
    assert not valid(1001, token, timedelta(seconds=-1)), "from the future"
    assert not valid(1001, token[:-1] + ("0" if token[-1] != "0" else "1"), timedelta(0))
    assert not valid(1001, "yes", timedelta(0))
    assert not erasure.confirmation_valid(
        secret=b"other", telegram_id=1001, token=token, now=clock.now()
    )


async def test_retention_purges_only_text_older_than_the_period(
    database: Database, clock: ManualClock
) -> None:
    seeded = await _world(database, clock)
    clock.advance(timedelta(days=20))
    async with database.session() as session:
        fresh = await session.get(Response, seeded.responses[1].id)
        assert fresh is not None
        fresh.text_ct, fresh.updated_at = BOX.encrypt("Ben, rewritten"), clock.now()
        session.add(fresh)

    clock.advance(timedelta(days=10, seconds=1))
    async with database.session() as session:
        purged = await retention.purge(session=session, now=clock.now(), days=30)

    assert purged == 1
    async with database.session() as session:
        rows = {r.id: r for r in (await session.exec(select(Response))).all()}
        plans = (await session.exec(select(SafetyPlan))).all()
    old, kept = rows[seeded.responses[0].id], rows[seeded.responses[1].id]
    assert old.text_ct is None and old.rating == 4 and old.answered_at is not None
    assert BOX.decrypt(kept.text_ct or b"") == "Ben, rewritten"
    assert len(plans) == 2, "safety plans are not purged"

    async with database.session() as session:
        assert await retention.purge(session=session, now=clock.now(), days=30) == 0
