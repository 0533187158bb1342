"""The notice outbox: kept before the first try, retried with backoff, never dropped."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import event
from sqlmodel import select
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup

from bot.clock import ManualClock
from bot.db.engine import Database
from bot.db.models import Notice, NoticeKind
from bot.delivery.notices import SWEEP_EVERY, NoticeOutcome, NoticeSender
from bot.services import erasure, outbox
from bot.services.crypto import Box
from bot.services.pacing import Pacer
from tests import e2e, flows
from tests.e2e import TOKEN
from tests.fakebotapi import FakeTelegram

NOW = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
THERAPIST = 2001
TEXT = "Ana can't be reached: she may have blocked the bot."


@pytest.fixture
async def bot(tg: FakeTelegram) -> AsyncIterator[Bot]:
    async with Bot(TOKEN, base_url=tg.base_url, base_file_url=tg.base_file_url) as bot:
        yield bot


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(NOW)


@pytest.fixture
def notices(database: Database, clock: ManualClock) -> NoticeSender:
    box = Box([Fernet.generate_key()])
    return NoticeSender(database=database, crypto=box, clock=clock, pacer=Pacer(1000))


async def kept(database: Database) -> list[Notice]:
    async with database.session() as session:
        return list((await session.exec(select(Notice))).all())


async def test_a_502_keeps_the_notice_and_a_later_tick_delivers_it_with_its_button(
    tg: FakeTelegram, bot: Bot, database: Database, clock: ManualClock, notices: NoticeSender
) -> None:
    marta = tg.user(THERAPIST, "Marta")
    button = InlineKeyboardMarkup([[InlineKeyboardButton("Mark as seen", callback_data="fs:1")]])
    tg.fail_next("sendMessage", 502, chat_id=THERAPIST)

    outcome = await notices.deliver(bot, THERAPIST, TEXT, button, kind=NoticeKind.UNREACHABLE)

    assert outcome is NoticeOutcome.QUEUED and marta.messages == []
    [row] = await kept(database)
    assert b"Ana" not in row.text_ct and row.kind == "unreachable"  # encrypted at rest
    assert await notices.drain(bot) == 0  # not before its backoff
    clock.advance(outbox.backoff(1))
    assert await notices.drain(bot) == 1
    assert marta.last is not None and marta.last.text == TEXT
    assert marta.last.reply_markup is not None  # the button came back from the outbox
    assert await kept(database) == []


async def test_repeated_failures_back_off_and_the_notice_still_arrives(
    tg: FakeTelegram, bot: Bot, database: Database, clock: ManualClock, notices: NoticeSender
) -> None:
    marta = tg.user(THERAPIST, "Marta")
    tg.fail_next("sendMessage", 502, chat_id=THERAPIST, times=4)
    await notices.deliver(bot, THERAPIST, TEXT, kind=NoticeKind.JOINED)
    waits = []
    while not marta.messages:
        [row] = await kept(database)
        waits.append(row.due_at - clock.now())
        clock.set(row.due_at)
        await notices.drain(bot)
    assert waits == [timedelta(seconds=s) for s in (30, 60, 120, 240)]
    assert [m.text for m in marta.messages] == [TEXT]


async def test_a_sender_that_died_after_keeping_a_notice_leaves_it_to_the_next_tick(
    tg: FakeTelegram, bot: Bot, database: Database, clock: ManualClock, notices: NoticeSender
) -> None:
    marta = tg.user(THERAPIST, "Marta")
    async with database.session() as session:  # kept and claimed, then the process died
        await outbox.add(
            session=session, crypto=notices._crypto, telegram_id=THERAPIST,
            kind=NoticeKind.LEFT, text=TEXT, markup=None, now=clock.now(),
        )  # fmt: skip
    assert await notices.drain(bot) == 0  # its claim still holds
    clock.advance(outbox.LEASE + timedelta(seconds=1))
    assert await notices.drain(bot) == 1
    assert [m.text for m in marta.messages] == [TEXT] and await kept(database) == []


async def test_a_blocked_recipient_is_not_retried_for_ever(
    tg: FakeTelegram, bot: Bot, database: Database, notices: NoticeSender
) -> None:
    tg.user(THERAPIST, "Marta")
    tg.block(THERAPIST)
    outcome = await notices.deliver(bot, THERAPIST, TEXT, kind=NoticeKind.FLAG)
    assert outcome is NoticeOutcome.UNREACHABLE and await kept(database) == []


async def test_erasure_deletes_what_waits_for_the_person(
    tg: FakeTelegram, bot: Bot, database: Database, notices: NoticeSender
) -> None:
    tg.user(THERAPIST, "Marta")
    tg.fail_next("sendMessage", 502, chat_id=THERAPIST)
    await notices.deliver(bot, THERAPIST, TEXT, kind=NoticeKind.TELL)
    async with database.session() as session:
        await erasure.erase_own_only(session=session, telegram_id=THERAPIST)
    assert await kept(database) == []


async def test_a_502_while_telling_the_therapist_a_partner_joined_is_retried_end_to_end(
    tg: FakeTelegram, clock: ManualClock, database_url: str, tmp_path: Path
) -> None:
    async with e2e.running_bot(e2e.settings_for(tg, database_url, tmp_path), clock) as app:
        await flows.grant_therapist(app, THERAPIST, "Dr. Marta Ruiz")
        marta = tg.user(THERAPIST, "Marta")
        ana = tg.user(1001, "Ana", language_code="en")
        _public_id, code_ana, _code_ben = await flows.new_couple(marta, "Ana & Ben")
        tg.fail_next("sendMessage", 502, chat_id=THERAPIST)
        await flows.onboard(ana, code_ana, name="Ana")
        await tg.wait_until(lambda: tg.errors, message="the injected 502")
        assert not any("joined" in m.text for m in marta.messages)

        clock.advance(outbox.backoff(1))
        await flows.services(app).dispatcher.tick()  # the JobQueue's next dispatcher run

        assert "Ana joined" in (await marta.wait_for(r"joined")).text


async def test_an_idle_tick_costs_no_transaction_between_sweeps(
    bot: Bot, database: Database, clock: ManualClock, notices: NoticeSender
) -> None:
    begun: list[object] = []
    count = begun.append  # one bound method, so the same one is removed
    event.listen(database.engine.sync_engine, "begin", count)
    try:
        await notices.drain(bot)  # the first looks for what others left
        assert len(begun) == 1
        clock.advance(timedelta(seconds=30))
        await notices.drain(bot)  # nothing of this process due, no sweep yet
        assert len(begun) == 1
        clock.advance(SWEEP_EVERY)
        await notices.drain(bot)
        assert len(begun) == 2
    finally:
        event.remove(database.engine.sync_engine, "begin", count)


async def test_erasure_also_drops_waiting_notices_that_quote_the_person(
    tg: FakeTelegram, bot: Bot, database: Database, notices: NoticeSender
) -> None:
    ana, ben = 1001, 1002
    tg.user(ben, "Ben")
    tg.fail_next("sendMessage", 502, chat_id=ben)
    reveal = "You have both answered. Here is Ana's answer: I worry about my sister."
    await notices.deliver(bot, ben, reveal, kind=NoticeKind.PARTNER, about=ana)
    await notices.deliver(bot, ben, "Your exercises are back on.", kind=NoticeKind.PAUSE)
    assert len(await kept(database)) == 1  # the reveal waits for its retry
    async with database.session() as session:  # Ana erases what she wrote
        await erasure.erase_own_only(session=session, telegram_id=ana)
    assert await kept(database) == []  # Ben will not receive her words after all
