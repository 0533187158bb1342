"""Safety end to end: crisis replies, "I need help now", /safetyplan and /tell (docs/safety.md)."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import text
from sqlmodel import select

from bot.clock import ManualClock
from bot.context import TwofoldApp
from bot.db.models import Flag, Partner
from bot.i18n import translator
from tests import e2e, flows
from tests.fakebotapi import FakeTelegram, FakeUser

es = translator("es")
NOT_AN_EMERGENCY = "not monitored in real time and is not an emergency service"
FLAG = r"Private safety flag"


async def couple(tg: FakeTelegram, app: TwofoldApp) -> tuple[FakeUser, FakeUser, FakeUser]:
    """Marta (therapist), Ana (English) and Ben (Spanish), both set up."""
    await flows.grant_therapist(app, 2001, "Marta")
    marta = tg.user(2001, "Marta")
    ana = tg.user(1001, "Ana", language_code="en")
    ben = tg.user(1002, "Ben")
    _, code_ana, code_ben = await flows.new_couple(marta, "A & B")
    await flows.onboard(ana, code_ana, name="Ana")
    await flows.onboard(ben, code_ben, name="Ben")
    await marta.wait_for(r"is complete")
    await ben.send("/language")
    await ben.press(await ben.wait_for(r"Which language"), "Español")
    await ben.wait_for(re.escape(es("Saved. I'll write to you in {value} from now on.")[:12]))
    return marta, ana, ben


async def settled(user: FakeUser) -> None:
    """Wait until every update `user` sent before has been handled (updates run in order)."""
    await user.send("/help")
    await user.wait_for(r"Here is what you can do|Esto es lo que puedes hacer")


async def test_crisis_text_gets_a_private_reply_a_therapist_flag_and_nothing_to_the_partner(
    tg: FakeTelegram, bot: TwofoldApp
) -> None:
    marta, ana, ben = await couple(tg, bot)
    ben_before = len(ben.messages)

    words = "honestly im going to take all my pills tonight"
    await ana.send(words)

    answer = await ana.wait_for(r"really hard")
    assert NOT_AN_EMERGENCY in answer.text
    # Ana is in Europe/Berlin: the German helplines, and a way on from elsewhere.
    assert "TelefonSeelsorge: 0800 111 0 111" in answer.text and "116 016" in answer.text
    assert "findahelpline.com" in answer.text and "988" not in answer.text
    assert "Your partner is not told anything" in answer.text
    assert "/safetyplan" in answer.text  # no plan yet: offered
    assert [b.label for row in answer.button_rows() for b in row] == ["I need help now"]
    flag = await marta.wait_for(FLAG)
    assert "Ana" in flag.text and "A & B" in flag.text
    assert "pills" not in flag.text and words not in flag.text

    await settled(ana)
    assert len(ben.messages) == ben_before, "nothing at all reaches the other partner"
    assert not any(words in m.text for m in marta.messages + ben.messages)
    assert not any(re.search("I'm not waiting", m.text) for m in ana.messages[-3:])
    async with flows.services(bot).database.session() as session:
        flags = (await session.exec(select(Flag))).all()
        ana_row = (await session.exec(select(Partner).where(Partner.telegram_id == 1001))).one()
    assert [(f.partner_id, f.kind) for f in flags] == [(ana_row.id, "crisis")]

    # "I'm fine" does not take the resources away: they stay one tap off.
    await ana.send("I'm fine, really")
    await ana.press(answer, "I need help now")
    again = await ana.wait_for(r"You can reach someone right now")
    assert "TelefonSeelsorge" in again.text and NOT_AN_EMERGENCY in again.text
    assert len(ben.messages) == ben_before


async def test_crisis_text_is_still_handled_by_the_open_step(
    tg: FakeTelegram, bot: TwofoldApp
) -> None:
    _marta, ana, _ben = await couple(tg, bot)
    await ana.send("/name")
    await ana.wait_for(r"What name should")
    await ana.send("Ana, scared of him")

    await ana.wait_for(r"Are you safe right now")  # possible risk: a private check-in
    await settled(ana)
    async with flows.services(bot).database.session() as session:
        ana_row = (await session.exec(select(Partner).where(Partner.telegram_id == 1001))).one()
    assert ana_row.display_name == "Ana, scared of him", "the step took the text as usual"


async def test_a_spanish_partner_gets_spanish_resources(tg: FakeTelegram, bot: TwofoldApp) -> None:
    marta, ana, ben = await couple(tg, bot)
    ana_before = len(ana.messages)

    await ben.send("ya no quiero vivir, esta noche me tomo todas las pastillas")

    answer = await ben.wait_for(re.escape(es("<b>You can reach someone right now:</b>")[3:20]))
    assert "TelefonSeelsorge" in answer.text and "violencia contra las mujeres" in answer.text
    assert "no es un servicio de emergencias" in answer.text
    assert [b.label for row in answer.button_rows() for b in row] == [es("I need help now")]
    flag = await marta.wait_for(FLAG)  # in the therapist's language
    assert "Ben" in flag.text and "vivir" not in flag.text
    await settled(ben)
    assert len(ana.messages) == ana_before


async def test_help_now_shows_the_safety_plan_first_then_the_helplines(
    tg: FakeTelegram, bot: TwofoldApp
) -> None:
    marta, ana, _ben = await couple(tg, bot)
    await ana.send("/safetyplan")
    await ana.press(await ana.wait_for(r"A safety plan is"), "Write my plan")
    await ana.wait_for(r"Write your safety plan in one message")
    plan = "Warning signs: I think about killing myself. Call my sister Luna <3."
    await ana.send(plan)
    await ana.wait_for(r"Your safety plan is saved")
    await settled(ana)
    # Writing a plan that names warning signs is not a crisis: no reply, no flag.
    assert not any(FLAG in m.text for m in marta.messages)
    assert not any("really hard" in m.text for m in ana.messages)

    await ana.send("/help")
    help_message = await ana.wait_for(r"Here is what you can do")
    await ana.press(help_message, "I need help now")
    first = await ana.wait_for(r"Your safety plan")
    second = await ana.wait_for(r"You can reach someone right now")
    assert plan in first.text, "shown exactly as written (escaped)"
    assert "TelefonSeelsorge" in second.text and NOT_AN_EMERGENCY in second.text
    assert first.message_id < second.message_id
    # "I need help now" reaches the therapist too, and the screen says so.
    assert "Your therapist gets a private note" in second.text
    flag = await marta.wait_for(FLAG)
    assert "I need help now" in flag.text and "Luna" not in flag.text


async def test_strangers_and_therapists_also_have_help_now(
    tg: FakeTelegram, bot: TwofoldApp
) -> None:
    await flows.grant_therapist(bot, 2001, "Marta")
    for user in (tg.user(3001, "Eve"), tg.user(2001, "Marta")):
        await user.send("/help")
        await user.press(await user.wait_for(r"Here is what you can do"), "I need help now")
        helplines = await user.wait_for(r"You can reach someone right now")
        assert "findahelpline.com" in helplines.text and NOT_AN_EMERGENCY in helplines.text

    eve = tg.user(3001, "Eve")
    await eve.send("my boyfriend choked me last night")
    answer = await eve.wait_for(r"really hard")
    assert "therapist" not in answer.text, "a stranger has no therapist to flag"


async def test_safety_plan_view_replace_delete_and_no_plaintext_in_the_database(
    tg: FakeTelegram, bot: TwofoldApp
) -> None:
    marta, ana, ben = await couple(tg, bot)
    for plan in ("First plan: breathe", "Second plan: call Luna"):
        await ana.send("/safetyplan")
        shown = await ana.wait_for(r"A safety plan is|Your safety plan")
        await ana.press(shown, re.compile("Write my plan|Write a new one"))
        await ana.wait_for(r"Write your safety plan")
        await ana.send(plan)
        await ana.wait_for(r"Your safety plan is saved")

    await ana.send("/safetyplan")
    view = await ana.wait_for(r"Your safety plan")
    assert "Second plan: call Luna" in view.text and "First plan" not in view.text
    async with flows.services(bot).database.session() as session:
        rows = (await session.exec(text("SELECT text_ct FROM safety_plans"))).all()  # type: ignore[call-overload]
    assert len(rows) == 1 and b"Luna" not in bytes(rows[0][0])
    assert not any("Luna" in m.text for m in ben.messages + marta.messages)

    await ana.press(view, "Delete it")
    confirm = await ana.wait_for(r"Delete your safety plan", edited=True)
    await ana.press(confirm, "Delete")
    await ana.wait_for(r"Your safety plan is deleted", edited=True)
    await ana.send("/safetyplan")
    await ana.wait_for(r"A safety plan is")
    async with flows.services(bot).database.session() as session:
        assert (await session.exec(text("SELECT count(*) FROM safety_plans"))).one()[0] == 0  # type: ignore[call-overload]


async def test_tell_reaches_only_the_therapist(tg: FakeTelegram, bot: TwofoldApp) -> None:
    marta, ana, ben = await couple(tg, bot)
    ben_before = len(ben.messages)

    await ana.send("/tell Something happened on Sunday <b>I</b> want to talk about")
    private = await marta.wait_for(r"Private message from Ana")
    assert "Something happened on Sunday <b>I</b> want to talk about" in private.text
    await ana.wait_for(r"Sent\. Only your therapist can read it")

    await ana.send("/tell")
    await ana.wait_for(r"What would you like to tell your therapist")
    await ana.send("Second thing, in its own message")
    second = await marta.wait_for(r"Private message from Ana")
    assert "Second thing, in its own message" in second.text
    await ana.wait_for(r"Sent\.")

    await settled(ana)
    assert len(ben.messages) == ben_before

    for user, expected in ((tg.user(3001, "Eve"), "works once you have joined"),
                           (marta, "lets partners write to you privately")):  # fmt: skip
        await user.send("/tell hello")
        await user.wait_for(expected)


async def test_a_deployment_shows_its_own_resources(
    tg: FakeTelegram, database_url: str, clock: ManualClock, tmp_path: Path
) -> None:
    path = tmp_path / "clinic.yaml"
    path.write_text(
        "en: ['Clinic on-call line: +49 30 1234 (24 h)']\nes: ['Guardia: +49 30 1234']\n"
    )
    settings = e2e.settings_for(tg, database_url, tmp_path, crisis_resources_file=path)
    async with e2e.running_bot(settings, clock):
        eve = tg.user(3001, "Eve")
        await eve.send("I want to kill myself")
        answer = await eve.wait_for(r"really hard")
        assert "Clinic on-call line: +49 30 1234 (24 h)" in answer.text
        assert "988" not in answer.text and NOT_AN_EMERGENCY in answer.text


async def test_crisis_words_edited_into_a_message_are_screened_too(
    tg: FakeTelegram, bot: TwofoldApp
) -> None:
    marta, ana, ben = await couple(tg, bot)
    ben_before = len(ben.messages)
    sent = await ana.send("an ordinary note")
    await ana.wait_for(r"No exercise is waiting for a written answer")
    await ana.edit(sent, "honestly i just took all my sleeping pills")
    assert NOT_AN_EMERGENCY in (await ana.wait_for(r"really hard")).text
    await marta.wait_for(FLAG)
    await settled(ben)
    assert len(ben.messages) == ben_before + 1  # only the /help reply


async def test_a_partner_in_madrid_gets_spains_lines_024_and_016(
    tg: FakeTelegram, bot: TwofoldApp
) -> None:
    marta = tg.user(2001, "Marta")
    await flows.grant_therapist(bot, 2001, "Marta")
    lucia = tg.user(1005, "Lucía", language_code="es")
    _, code, _other = await flows.new_couple(marta, "L & P")
    await flows.onboard(
        lucia,
        code,
        language="es",
        name="Lucía",
        timezone="Europe/Madrid",
        choose_language="Español",
    )
    await lucia.send("esta noche me tomo todas las pastillas")
    answer = await lucia.wait_for(re.escape(es("<b>You can reach someone right now:</b>")[3:20]))
    assert "024" in answer.text and "016" in answer.text
    assert "no es un servicio de emergencias" in answer.text
