"""/privacy, /mydata and /deleteme end to end, against the fake Bot API."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlmodel import select

from bot.clock import ManualClock
from bot.context import TwofoldApp
from bot.db.models import ConversationState, Delivery, Partner, Response, SafetyPlan
from bot.i18n import translator
from tests import e2e, flows
from tests.fakebotapi import FakeTelegram, FakeUser

DAY1 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # 10:00 in Berlin
TITLE = "<b>Your privacy in Twofold</b>"


async def couple_that_answered(
    tg: FakeTelegram, bot: TwofoldApp, clock: ManualClock
) -> tuple[FakeUser, FakeUser, FakeUser, str]:
    """Ana and Ben, both answered day 1 of a shared exercise; Ana has a safety plan."""
    await flows.grant_therapist(bot, 2001, "Dr. Marta Ruiz")
    marta, ana, ben = tg.user(2001, "Marta"), tg.user(1001, "Ana"), tg.user(1002, "Ben")
    public_id, code_a, code_b = await flows.new_couple(marta, "Ana & Ben")
    await flows.onboard(ana, code_a, time="10:00", share=True)
    await flows.onboard(ben, code_b, time="10:00", share=True)
    await flows.assign(bot, public_id, "love-maps-week", date(2026, 11, 24))
    clock.set(DAY1)
    await flows.services(bot).dispatcher.tick()
    await ana.wait_for(r"Day 1")
    await ben.wait_for(r"Day 1")
    await ana.send("Ana writes: the garden makes me calm")
    await ana.wait_for(r"Saved your answer")
    await ben.send("Ben writes: I want a week by the sea")
    await ben.wait_for(r"Saved your answer")
    # Updates from different people run concurrently: wait for the reveal itself.
    await ana.wait_for(r"Here is Ben's answer")
    async with flows.services(bot).database.session() as session:
        session.add(
            SafetyPlan(
                telegram_id=1001,
                text_ct=flows.services(bot).crypto.encrypt("Ana's plan: call Ines"),
                updated_at=DAY1,
            )
        )
    return marta, ana, ben, public_id


async def test_privacy_explains_itself_to_every_role(
    tg: FakeTelegram, tmp_path: Path, database_url: str, clock: ManualClock
) -> None:
    settings = e2e.settings_for(tg, database_url, tmp_path, retention_days=180)
    async with e2e.running_bot(settings, clock) as bot:
        await flows.grant_therapist(bot, 2001)
        for person in (tg.user(2001, "Marta"), tg.user(3001, "Stranger", language_code="es")):
            _ = translator(person.user.get("language_code"))
            await person.send("/privacy")
            text = (await person.wait_for(re.escape(_(TITLE)[3:-4]))).text
            assert "/mydata" in text and "/deleteme" in text
            assert "180" in text
            await person.send("/help")
            help_text = (await person.wait_for(r"/privacy")).text
            assert "/mydata" in help_text and "/deleteme" in help_text
        english = tg.user(3002, "Eve")
        await english.send("/privacy")
        text = (await english.wait_for(r"Your privacy")).text
        for promise in (
            "not end-to-end encrypted",
            "only after you have both answered",
            "only if you said yes",
            "stored encrypted",
            "not an emergency service",
        ):
            assert promise in text


async def test_mydata_sends_my_answers_and_none_of_my_partners(
    tg: FakeTelegram, bot: TwofoldApp, clock: ManualClock
) -> None:
    _marta, ana, _ben, public_id = await couple_that_answered(tg, bot, clock)

    await ana.send("/mydata")
    sent = await ana.wait_for(r"everything Twofold stores about you")

    assert sent.document is not None and sent.document.filename == "twofold-my-data.json"
    document = json.loads(sent.document.data)
    raw = sent.document.data.decode()
    (membership,) = document["memberships"]
    assert membership["couple"]["public_id"] == public_id
    assert membership["couple"]["partner_display_name"] == "Ben"
    assert membership["deliveries"][0]["response"]["text"] == "Ana writes: the garden makes me calm"
    assert document["safety_plan"]["text"] == "Ana's plan: call Ines"
    assert "week by the sea" not in raw, "the partner's answer is never in my copy"
    assert "Ben writes" in "\n".join(m.text or "" for m in ana.messages), "(it was revealed)"


async def test_deleteme_erases_my_content_and_the_therapist_keeps_the_facts(
    tg: FakeTelegram, bot: TwofoldApp, clock: ManualClock
) -> None:
    marta, ana, ben, _ = await couple_that_answered(tg, bot, clock)

    await ana.send("/deleteme")
    ask = await ana.wait_for(r"Erase your data\?")
    said = ("every answer and reflection", "safety plan", "Former partner", "What stays",
            "only told that exercises are on hold", "Telegram keeps its own copy")  # fmt: skip
    assert all(part in ask.text for part in said), ask.text
    erase_data = next(data for row in ask.buttons for label, data in row if label == "Erase")
    assert erase_data is not None and erase_data != "erase:yes", "an opaque token"

    # Ben forges Ana's confirmation on a message of his own: nothing happens.
    forged = await ben.press_data(ben.last, erase_data)
    assert await ben.wait_for_answer(forged) == "This is no longer available."
    assert (await stored_text(bot, 1001)) == ["Ana writes: the garden makes me calm"]

    await ana.press(ask, "Erase")
    await ana.wait_for(r"Done\. What you wrote in Twofold", edited=True)
    told = await ben.wait_for(r"on hold")
    assert told.text == "Your exercises are on hold for now. Your therapist will be in touch."
    assert "Ana left" in (await marta.wait_for(r"left")).text

    assert await stored_text(bot, 1001) == [None]
    assert await stored_text(bot, 1002) == ["Ben writes: I want a week by the sea"]
    async with flows.services(bot).database.session() as session:
        ana_row = (await session.exec(select(Partner).where(Partner.telegram_id == 1001))).one()
        deliveries = (
            await session.exec(select(Delivery).where(Delivery.partner_id == ana_row.id))
        ).all()
        assert await session.get(SafetyPlan, 1001) is None
        assert await session.get(ConversationState, 1001) is None
    assert (ana_row.display_name, ana_row.is_current) == ("Former partner", False)
    day1 = next(d for d in deliveries if d.day == 1)
    assert day1.status == "done" and day1.completed_at is not None, "completion facts stay"

    # Pressing again, later, opens nothing; /mydata now shows what remains.
    again = await ana.press_data(ana.last, erase_data)
    await ana.wait_for_answer(again)
    await ana.send("/mydata")
    remains = json.loads((await ana.wait_for(r"everything Twofold")).document.data)  # type: ignore[union-attr]
    assert remains["memberships"][0]["deliveries"][0]["response"]["text"] is None
    assert remains["safety_plan"] is None


async def test_deleteme_can_be_declined_and_expires(
    tg: FakeTelegram, bot: TwofoldApp, clock: ManualClock
) -> None:
    _marta, ana, _ben, _ = await couple_that_answered(tg, bot, clock)

    await ana.send("/deleteme")
    ask = await ana.press(await ana.wait_for(r"Erase your data\?"), "Keep my data")
    await ana.wait_for_answer(ask)
    await ana.wait_for(r"Good, nothing changed", edited=True)

    await ana.send("/deleteme")
    old = await ana.wait_for(r"Erase your data\?")
    clock.advance(timedelta(hours=1, minutes=1))
    late = await ana.press(old, "Erase")
    assert await ana.wait_for_answer(late) == "This is no longer available."
    assert await stored_text(bot, 1001) == ["Ana writes: the garden makes me calm"]


async def test_a_therapist_is_told_the_operator_manages_their_account(
    tg: FakeTelegram, bot: TwofoldApp, clock: ManualClock
) -> None:
    marta, _ana, _ben, public_id = await couple_that_answered(tg, bot, clock)

    await marta.send("/deleteme")
    ask = await marta.wait_for(r"managed by the person who runs this Twofold server")
    await marta.press(ask, "Erase")
    await marta.wait_for(r"what was only yours here is erased", edited=True)

    assert await stored_text(bot, 1001) == ["Ana writes: the garden makes me calm"]
    await marta.send(f"/couple {public_id}")
    assert "Ana" in (await marta.wait_for(r"Partner 1")).text


async def stored_text(bot: TwofoldApp, telegram_id: int) -> list[str | None]:
    box = flows.services(bot).crypto
    async with flows.services(bot).database.session() as session:
        rows = (
            await session.exec(
                select(Response)
                .join(Partner, Partner.id == Response.partner_id)  # type: ignore[arg-type]
                .where(Partner.telegram_id == telegram_id)
            )
        ).all()
    return [box.decrypt(r.text_ct) if r.text_ct else None for r in rows]
