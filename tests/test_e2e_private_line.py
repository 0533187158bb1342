"""The private line end to end: the therapist's reply to /tell, /tell after leaving, /flags.

docs/safety.md ("A private line to the therapist", "Open flags").
"""

from __future__ import annotations

import re
from datetime import timedelta

from sqlmodel import select

from bot.clock import ManualClock
from bot.context import TwofoldApp
from bot.db.models import ConversationState, Flag, FlagKind, Partner
from bot.services import safety, therapists
from tests import flows
from tests.fakebotapi import FakeTelegram, FakeUser, SentMessage

GONE = "This is no longer available."
NO_THERAPIST = "There is no therapist to reach with /tell"


async def couple(tg: FakeTelegram, app: TwofoldApp) -> tuple[FakeUser, FakeUser, FakeUser, str]:
    """Marta (therapist) with Ana and Ben, both set up; and the couple's id."""
    await flows.grant_therapist(app, 2001, "Marta")
    marta = tg.user(2001, "Marta")
    ana = tg.user(1001, "Ana", language_code="en")
    ben = tg.user(1002, "Ben", language_code="en")
    public_id, code_ana, code_ben = await flows.new_couple(marta, "A & B")
    await flows.onboard(ana, code_ana, name="Ana")
    await flows.onboard(ben, code_ben, name="Ben")
    await marta.wait_for(r"is complete")
    return marta, ana, ben, public_id


async def settled(user: FakeUser) -> SentMessage:
    """Wait until every update `user` sent before has been handled (updates run in order)."""
    await user.send("/help")
    return await user.wait_for(r"Here is what you can do")


async def partner_id(app: TwofoldApp, telegram_id: int) -> int:
    async with flows.services(app).database.session() as session:
        query = select(Partner).where(Partner.telegram_id == telegram_id)
        partner = (await session.exec(query)).first()
    assert partner is not None and partner.id is not None
    return partner.id


async def raise_flag(app: TwofoldApp, telegram_id: int, kind: FlagKind) -> int:
    """A flag as the safety screen records it (which words raise one: test_crisis.py)."""
    svc = flows.services(app)
    async with svc.database.session() as session:
        query = select(Partner).where(Partner.telegram_id == telegram_id, Partner.is_current)
        partner = (await session.exec(query)).one()
        recorded = await safety.record_crisis(
            session=session, partner=partner, now=svc.clock.now(), kind=kind
        )
    return recorded.flag_id


async def open_flags(app: TwofoldApp) -> list[Flag]:
    async with flows.services(app).database.session() as session:
        rows = (await session.exec(select(Flag).where(Flag.seen_at == None))).all()  # noqa: E711
    return list(rows)


async def test_the_therapist_replies_to_a_tell_and_only_that_partner_gets_it(
    tg: FakeTelegram, bot: TwofoldApp
) -> None:
    marta, ana, ben, _id = await couple(tg, bot)
    ben_before = len(ben.messages)

    await ana.send("/tell Can we talk about Sunday before the session?")
    notice = await marta.wait_for(r"Private message from Ana")
    assert [b.label for row in notice.button_rows() for b in row] == ["Reply"]
    await ana.wait_for(r"Sent\. Only your therapist")

    pressed = await marta.press(notice, "Reply")
    assert await marta.wait_for_answer(pressed) is None
    await marta.wait_for(r"Write your reply to Ana")
    words = "Of course. <Let's> start with Sunday & then the rest."
    await marta.send(words)
    await marta.wait_for(r"Sent to Ana\. Only they can read it")

    answer = await ana.wait_for(r"Private message from your therapist, Marta")
    assert words in answer.text, "passed on exactly as written (escaped)"
    assert "/tell" in answer.text and "not your partner" in answer.text
    async with flows.services(bot).database.session() as session:
        states = (await session.exec(select(ConversationState))).all()
    assert states == [], "the step is closed and nothing of the text is kept"

    # Ana answers with /tell, and the line goes on.
    await ana.send("/tell Thank you")
    again = await marta.wait_for(r"Private message from Ana")
    assert "Thank you" in again.text and again.button_rows()
    await settled(ana)
    assert len(ben.messages) == ben_before, "the other partner receives nothing"
    assert not any(words in m.text for m in ben.messages)


async def test_a_forged_reply_press_changes_nothing(tg: FakeTelegram, bot: TwofoldApp) -> None:
    marta, ana, ben, _id = await couple(tg, bot)
    await flows.grant_therapist(bot, 2002, "Olga")
    olga = tg.user(2002, "Olga")
    ana_id = await partner_id(bot, 1001)
    await ana.send("/tell something only for Marta")
    notice = await marta.wait_for(r"Private message from Ana")
    assert notice.button("Reply").callback_data == f"tr:{ana_id}"
    await ana.wait_for(r"Sent\.")
    ana_before = len(ana.messages)

    own = await settled(olga)
    for user, message in ((olga, own), (ben, await settled(ben))):
        pressed = await user.press_data(message, f"tr:{ana_id}")
        assert await user.wait_for_answer(pressed) == GONE
    for data in ("tr:999999", "tr:abc", "tr:"):
        assert await olga.wait_for_answer(await olga.press_data(own, data)) == GONE
    async with flows.services(bot).database.session() as session:
        assert (await session.exec(select(ConversationState))).all() == []

    await olga.send("Ana, this is Olga")  # no reply step open: goes nowhere
    await olga.wait_for(r"not waiting for a message")
    await settled(ana)
    assert len(ana.messages) == ana_before + 1  # only the /help reply
    assert not any("Olga" in m.text for m in ana.messages)


async def test_a_partner_who_left_can_tell_for_30_days_and_be_answered(
    tg: FakeTelegram, bot: TwofoldApp, clock: ManualClock
) -> None:
    marta, ana, ben, _id = await couple(tg, bot)
    await ana.send("/leave")
    await ana.press(await ana.wait_for(r"Leave your couple"), "Leave")
    await ana.wait_for(r"You have left", edited=True)
    await marta.wait_for(r"Ana left")
    ben_before = len(ben.messages)

    clock.advance(timedelta(days=29, hours=23))
    await ana.send("/tell")
    await ana.wait_for(r"What would you like to tell your therapist")
    await ana.send("I moved out. I'm at my sister's now.")
    notice = await marta.wait_for(r"Private message from Ana, who left")
    assert "at my sister's" in notice.text and "A & B" in notice.text
    sent = await ana.wait_for(r"Sent\. Only your former therapist can read it")
    assert re.search(r"until \d+ \w+", sent.text)

    await marta.press(notice, "Reply")
    await marta.wait_for(r"Write your reply to Ana")
    await marta.send("Thank you for telling me. Let's talk by phone tomorrow.")
    await marta.wait_for(r"Sent to Ana")
    answer = await ana.wait_for(r"Private message from your therapist")
    assert "by phone tomorrow" in answer.text

    clock.advance(timedelta(hours=1))  # 30 days after leaving: the line is closed
    await ana.send("/tell are you there?")
    closed = await ana.wait_for(NO_THERAPIST)
    assert "more than 30 days ago" in closed.text
    resources = closed if "988" in closed.text else await ana.wait_for(r"988")
    assert "findahelpline.com" in resources.text
    pressed = await marta.press(notice, "Reply")
    assert await marta.wait_for_answer(pressed) == GONE
    await settled(ana)
    assert not any("are you there" in m.text for m in marta.messages)
    assert len(ben.messages) == ben_before


async def test_a_reply_started_in_time_is_not_sent_after_the_line_closed(
    tg: FakeTelegram, bot: TwofoldApp, clock: ManualClock
) -> None:
    marta, ana, _ben, _id = await couple(tg, bot)
    await ana.send("/tell one last thing")
    notice = await marta.wait_for(r"Private message from Ana")
    await ana.send("/leave")
    await ana.press(await ana.wait_for(r"Leave your couple"), "Leave")
    await ana.wait_for(r"You have left", edited=True)
    await marta.press(notice, "Reply")
    await marta.wait_for(r"Write your reply to Ana")
    ana_before = len(ana.messages)

    clock.advance(timedelta(days=31))
    await marta.send("A late reply")
    await marta.wait_for(r"Your reply was not sent")
    await settled(ana)
    assert len(ana.messages) == ana_before + 1  # only the /help reply


async def test_after_the_therapist_is_removed_tell_says_so_and_shows_resources(
    tg: FakeTelegram, bot: TwofoldApp
) -> None:
    marta, ana, _ben, _id = await couple(tg, bot)
    await ana.send("/tell hello")
    notice = await marta.wait_for(r"Private message from Ana")
    async with flows.services(bot).database.session() as session:
        assert await therapists.revoke(session=session, telegram_id=2001)

    await ana.send("/tell are you there?")
    said = await ana.wait_for(NO_THERAPIST)
    assert "no longer uses Twofold" in said.text
    resources = said if "TelefonSeelsorge" in said.text else await ana.wait_for(r"TelefonSeelsorge")
    assert "not monitored in real time" in resources.text
    assert [b.label for row in resources.button_rows() for b in row] == ["I need help now"]
    await ana.send("/tell")  # no step opens either
    await ana.wait_for(NO_THERAPIST)
    pressed = await marta.press(notice, "Reply")  # no longer a therapist: nothing opens
    assert await marta.wait_for_answer(pressed) == GONE
    await settled(ana)
    assert not any("are you there" in m.text for m in marta.messages)


async def test_flags_lists_open_flags_and_mark_as_seen_closes_them(
    tg: FakeTelegram, bot: TwofoldApp
) -> None:
    marta, _ana, ben, public_id = await couple(tg, bot)
    await flows.grant_therapist(bot, 2002, "Olga")
    olga = tg.user(2002, "Olga")
    ben_before = len(ben.messages)
    await marta.send(f"/flags {public_id}")
    await marta.wait_for(r"has no open flags")

    await raise_flag(bot, 1001, FlagKind.CRISIS)
    [flag] = await open_flags(bot)

    await olga.send(f"/flags {public_id}")  # another therapist's couple: not found
    await olga.wait_for(r"I can't find a couple with the id")
    olga_help = await settled(olga)
    forged = await olga.press_data(olga_help, f"fs:{flag.id}")
    assert await olga.wait_for_answer(forged) == GONE
    assert [f.id for f in await open_flags(bot)] == [flag.id]

    await marta.send(f"/flags #{public_id.upper()}")
    head = await marta.wait_for(r"Open flags: A & B")
    assert "UTC" in head.text and not head.button_rows(), "one flag: no Mark all"
    line = await marta.wait_for(r"Ana: crisis language")
    assert re.search(r"\d{4}, \d\d:\d\d", line.text)
    assert "live" not in line.text, "the words are never shown"
    pressed = await marta.press(line, "Mark as seen")
    assert await marta.wait_for_answer(pressed) == "Marked as seen."
    assert await open_flags(bot) == []
    await marta.send(f"/flags {public_id}")
    await marta.wait_for(r"has no open flags")
    await settled(ben)
    assert len(ben.messages) == ben_before + 1  # only the /help reply


async def test_mark_all_as_seen_leaves_a_newer_flag_open(tg: FakeTelegram, bot: TwofoldApp) -> None:
    marta, _ana, _ben, public_id = await couple(tg, bot)
    await raise_flag(bot, 1001, FlagKind.CRISIS)
    await raise_flag(bot, 1001, FlagKind.HELP_NOW)

    await marta.send(f"/flags {public_id}")
    head = await marta.wait_for(r"Open flags")
    await marta.wait_for(r"Ana: crisis language")
    await marta.wait_for(r'Ana: pressed "I need help now"')
    await raise_flag(bot, 1002, FlagKind.CHECK_IN)  # raised after the list was sent

    pressed = await marta.press(head, "Mark all as seen")
    assert await marta.wait_for_answer(pressed) == "Marked as seen: 2."
    still_open = await open_flags(bot)
    assert [f.partner_id for f in still_open] == [await partner_id(bot, 1002)]
