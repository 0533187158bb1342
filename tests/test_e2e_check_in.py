"""The safety check-in end to end: possible risk gets a private "are you safe right now?"."""

from __future__ import annotations

import re

from sqlmodel import select

from bot.context import TwofoldApp
from bot.db.models import CheckIn, Flag
from tests import flows
from tests.fakebotapi import FakeTelegram
from tests.test_e2e_safety import FLAG, NOT_AN_EMERGENCY, couple, es, settled

QUESTION = r"Are you safe right now"
PASSIVE = "honestly some days i wish i could just go to sleep and not wake up"


async def flags_and_check_ins(bot: TwofoldApp) -> tuple[list[Flag], list[CheckIn]]:
    async with flows.services(bot).database.session() as session:
        flags = list((await session.exec(select(Flag))).all())
        check_ins = list((await session.exec(select(CheckIn))).all())
    return flags, check_ins


async def test_im_safe_thanks_them_keeps_help_one_tap_away_and_flags_nobody(
    tg: FakeTelegram, bot: TwofoldApp
) -> None:
    marta, ana, ben = await couple(tg, bot)
    ben_before = len(ben.messages)
    await ana.send(PASSIVE)
    question = await ana.wait_for(QUESTION)
    labels = [b.label for row in question.button_rows() for b in row]
    assert labels == ["I'm safe", "Not sure", "I need help"]
    await settled(ana)
    assert not any("not waiting for a message" in m.text for m in ana.messages)

    await ana.press(question, "I'm safe")
    thanks = await ana.wait_for(r"Thank you for telling me")
    assert [b.label for row in thanks.button_rows() for b in row] == ["I need help now"]
    await settled(ana)
    flags, check_ins = await flags_and_check_ins(bot)
    assert flags == [] and [c.answer for c in check_ins] == ["safe"]
    assert not any(FLAG in m.text for m in marta.messages)
    assert len(ben.messages) == ben_before, "the other partner hears nothing"
    assert not any(PASSIVE in m.text for m in marta.messages + ben.messages)


async def test_not_sure_gives_the_crisis_reply_and_flags_from_a_check_in(
    tg: FakeTelegram, bot: TwofoldApp
) -> None:
    marta, ana, ben = await couple(tg, bot)
    ben_before = len(ben.messages)
    await ana.send("i'm scared of what he'll do when he gets home tonight")
    await ana.press(await ana.wait_for(QUESTION), "Not sure")
    help_text = await ana.wait_for(r"You can reach someone right now")
    assert NOT_AN_EMERGENCY in help_text.text
    flag = await marta.wait_for(FLAG)
    assert "check-in" in flag.text and "scared" not in flag.text
    await settled(ana)
    flags, _ = await flags_and_check_ins(bot)
    assert [f.kind for f in flags] == ["check_in"]
    assert len(ben.messages) == ben_before


async def test_i_need_help_in_spanish_flags_the_therapist(
    tg: FakeTelegram, bot: TwofoldApp
) -> None:
    marta, ana, ben = await couple(tg, bot)
    ana_before = len(ana.messages)
    await ben.send("siento que soy una carga para todos")
    asked = es("Some of what you wrote makes me want to check in with you. Are you safe right now?")
    question = await ben.wait_for(re.escape(asked[:30]))
    await ben.press(question, es("I need help"))
    await ben.wait_for(re.escape(es("<b>You can reach someone right now:</b>")[3:20]))
    await marta.wait_for(FLAG)
    await settled(ben)
    assert len(ana.messages) == ana_before


async def test_an_unanswered_check_in_is_not_asked_again_for_the_same_message(
    tg: FakeTelegram, bot: TwofoldApp
) -> None:
    _marta, ana, _ben = await couple(tg, bot)
    sent = await ana.send(PASSIVE)
    await ana.wait_for(QUESTION)
    await ana.edit(sent, PASSIVE + " again")
    await ana.wait_for(r"I'm here if you need support")
    await settled(ana)
    _, check_ins = await flags_and_check_ins(bot)
    assert len(check_ins) == 1 and check_ins[0].answer is None


async def test_a_forged_check_in_button_changes_nothing(tg: FakeTelegram, bot: TwofoldApp) -> None:
    marta, ana, ben = await couple(tg, bot)
    await ana.send(PASSIVE)
    question = await ana.wait_for(QUESTION)
    # Ben forges Ana's "Not sure" on a message in his own chat.
    forged = question.button_rows()[1][0].callback_data
    assert forged is not None
    query = await ben.press_data(ben.messages[-1], forged)
    assert (await ben.wait_for_answer(query)) == es("This is no longer available.")
    await settled(ben)
    flags, check_ins = await flags_and_check_ins(bot)
    assert flags == [] and check_ins[0].answer is None
    assert not any(FLAG in m.text for m in marta.messages)
