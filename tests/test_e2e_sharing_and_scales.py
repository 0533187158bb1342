"""Issue 16 end to end, in English and Spanish: turning therapist sharing on asks about
earlier answers, and /report, /brief, /progress and /export show scale answers, how much
was written and what was kept private, through the real bot and the fake Bot API.

Answers are written as rows (how they are captured is tested with the answer flows).
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import date, timedelta

import pytest
from sqlmodel import select

from bot.clock import ManualClock
from bot.context import TwofoldApp
from bot.db.models import Assignment, Couple, Delivery, Partner, Response
from bot.i18n import translator
from tests import flows
from tests.fakebotapi import FakeTelegram, FakeUser

LANGUAGES = {"en": "English", "es": "Español"}
PAST_QUESTION = (
    "Your therapist will be able to read what you write from now on. Should they also "
    "read the answers you wrote earlier, while they were private?"
)
REPORT_HEAD = "<b>Report: {label}</b> ({id})\nThe last {weeks} week(s), since {date}."
HISTORY = (
    "The history of <b>{label}</b>: one row per exercise sent ({n}). Written answers "
    "appear only where the partner agreed to share them with you; the answer column "
    "says where one was kept private. The JSON file also lists the flags."
)


async def answer(
    app: TwofoldApp,
    telegram_id: int,
    slug: str,
    day: int,
    *,
    value: int | None = None,
    text: str | None = None,
) -> None:
    """A done delivery of `slug` with its answer, on day `day` of the couple's assignment."""
    services = flows.services(app)
    now = services.clock.now()
    async with services.database.session() as session:
        partner = (
            await session.exec(
                select(Partner).where(Partner.telegram_id == telegram_id, Partner.is_current)
            )
        ).one()
        assignment = (
            await session.exec(select(Assignment).where(Assignment.couple_id == partner.couple_id))
        ).first()
        assert assignment is not None and assignment.id is not None and partner.id is not None
        delivery = Delivery(
            assignment_id=assignment.id, partner_id=partner.id, day=100 + day, item=0,
            exercise_slug=slug, local_date=now.date(), scheduled_at=now, due_at=now,
            status="done", sent_at=now, completed_at=now,
        )  # fmt: skip
        session.add(delivery)
        await session.flush()
        assert delivery.id is not None
        session.add(
            Response(
                delivery_id=delivery.id, partner_id=partner.id, value=value,
                text_ct=services.crypto.encrypt(text) if text is not None else None,
                answered_at=now, updated_at=now,
            )
        )  # fmt: skip


async def couple_of(
    tg: FakeTelegram, bot: TwofoldApp, language: str, *, share: bool
) -> tuple[FakeUser, FakeUser, FakeUser, str]:
    await flows.grant_therapist(bot, 2001)
    marta, ana, ben = tg.user(2001, "Marta"), tg.user(1001, "Ana"), tg.user(1002, "Ben")
    if language != "en":
        await marta.send(f"/language {language}")
        await marta.wait_for(None)
    public_id, code_a, code_b = await flows.new_couple(marta, "Ana & Ben")
    choose = LANGUAGES[language]
    await flows.onboard(ana, code_a, share=share, choose_language=choose)
    await flows.onboard(ben, code_b, share=False, choose_language=choose)
    await flows.assign(bot, public_id, "weekly-check-in", date(2026, 11, 30))
    return marta, ana, ben, public_id


async def report_text(marta: FakeUser, public_id: str, language: str) -> str:
    _ = translator(language)
    await marta.send(f"/report {public_id}")
    first = await marta.wait_for(re.escape(_(REPORT_HEAD)[3:10]))
    texts = [first.text or ""]
    # The report is one message here, then the chart.
    await marta.wait_for(re.escape(_("The last four weeks, day by day.")))
    return "\n".join(texts)


@pytest.mark.parametrize(("language", "earlier"), [("en", False), ("es", True)])
async def test_turning_sharing_on_asks_whether_earlier_answers_are_included(
    tg: FakeTelegram, bot: TwofoldApp, clock: ManualClock, language: str, earlier: bool
) -> None:
    _ = translator(language)
    marta, ana, _ben, public_id = await couple_of(tg, bot, language, share=False)
    await answer(bot, 1001, "gratitude-three-things", 1, text="EARLY words, while private")
    clock.advance(timedelta(hours=2))

    await ana.send("/settings")
    menu = await ana.wait_for(re.escape(_("Your settings:")))
    await ana.press(menu, _("Reflections visible to your therapist"))
    await ana.press(await ana.wait_for(re.escape(_(flows.SHARE_PROMPT)[:20])), _("Yes, share"))
    question = await ana.wait_for(re.escape(_(PAST_QUESTION)[:20]))
    buttons = [b["text"] for row in (question.reply_markup or {})["inline_keyboard"] for b in row]
    assert buttons == [_("From now on"), _("Include my earlier answers")]
    await ana.press(question, _("Include my earlier answers") if earlier else _("From now on"))
    await ana.wait_for(re.escape(_(
        "Saved. Your therapist may read your written reflections, including earlier ones."
        if earlier else
        "Saved. Your therapist may read what you write from now on; your earlier answers "
        "stay private."
    )[:40]))  # fmt: skip
    # A stale tap on the question changes nothing.
    stale = await ana.press_data(question, "setup:sharepast:all")
    assert await ana.wait_for_answer(stale) == _("This is no longer available.")

    clock.advance(timedelta(hours=1))
    await answer(bot, 1001, "gratitude-three-things", 2, text="LATER words, shared")
    text = await report_text(marta, public_id, language)
    assert "LATER words, shared" in text
    assert ("EARLY words, while private" in text) is earlier
    written = _("written answers: {n}").format(n=2)
    shared = _("{n} shared with you").format(n=2 if earlier else 1)
    assert f"Ana: {written} ({shared}" in text, text
    if not earlier:
        assert _("{n} kept private").format(n=1) in text

    await marta.send(f"/export {public_id}")
    document = await marta.wait_for(re.escape(_(HISTORY)[:8]))
    assert document.document is not None
    rows = list(csv.DictReader(io.StringIO(document.document.data.decode("utf-8-sig"))))
    answers = [r["answer"] for r in rows if r["partner"] == "Ana" and r["status"] == "done"]
    assert answers == (["written", "written"] if earlier else ["private", "written"])
    assert (b"EARLY words" in document.document.data) is earlier


@pytest.mark.parametrize("language", ["en", "es"])
async def test_scale_answers_in_report_brief_progress_and_export(
    tg: FakeTelegram, bot: TwofoldApp, clock: ManualClock, language: str
) -> None:
    _ = translator(language)
    marta, ana, ben, public_id = await couple_of(tg, bot, language, share=True)
    for day, value in enumerate((2, 4), start=1):
        await answer(bot, 1001, "weekly-connection-scale", day, value=value)
        await answer(bot, 1002, "weekly-connection-scale", day, value=3)
        clock.advance(timedelta(days=1))
    await answer(bot, 1001, "flooding-check", 3, value=5)  # private: stays with Ana
    await answer(bot, 1002, "gratitude-three-things", 4, text="BEN-PRIVATE words")
    title = flows.services(bot).library.exercise("weekly-connection-scale")
    flooding = flows.services(bot).library.exercise("flooding-check")
    assert title is not None and flooding is not None
    weekly = title.title_in(language)

    text = await report_text(marta, public_id, language)
    assert _("Scale and choice answers") in text
    up = _("up from {before}").format(before=2)
    latest = _("latest {value}/5")
    assert f"Ana, {weekly}: {latest.format(value=4)}, {up}" in text, text
    same = _("the same as the time before")
    assert f"Ben, {weekly}: {latest.format(value=3)}, {same}" in text, text
    assert flooding.title_in(language) not in text.split(_("Scale and choice answers"))[1]
    assert "BEN-PRIVATE" not in text
    kept = _("{n} kept private").format(n=1)
    assert f"Ben: {_('written answers: {n}').format(n=1)} ({kept})" in text

    await marta.send(f"/brief {public_id}")
    page = await marta.wait_for(re.escape(_("Before the session: {label}")[:12]))
    assert f"Ana, {weekly}: {latest.format(value=4)}, {up}" in (page.text or "")
    assert _("What was written") in (page.text or "")

    await ana.send("/progress")
    mine = await ana.wait_for(re.escape(_("<b>Your progress together</b>")[3:15]))
    assert _("<b>Your answers</b>")[3:-4] in (mine.text or "")
    assert f"{weekly}: {latest.format(value=4)}, {up}" in (mine.text or "")
    assert f"{flooding.title_in(language)}: {latest.format(value=5)}" in (mine.text or "")
    await ben.send("/progress")
    his = await ben.wait_for(re.escape(_("<b>Your progress together</b>")[3:15]))
    assert f"{weekly}: {latest.format(value=3)}, {same}" in (his.text or "")
    assert flooding.title_in(language) not in (his.text or "")  # never the partner's values
    assert _("You have written {n} answer(s) so far.").format(n=1) in (his.text or "")

    await marta.send(f"/export {public_id}")
    await marta.wait_for(re.escape(_(HISTORY)[:8]))
    data = await marta.wait_for(None)
    assert data.document is not None
    document = json.loads(data.document.data)
    records = document["deliveries"]
    assert {r["set"] for r in records} == {"weekly-check-in"}
    values = [(r["partner"], r["exercise"], r["value"]) for r in records if r["status"] == "done"]
    assert ("Ana", "flooding-check", None) in values
    assert ("Ana", "weekly-connection-scale", 4) in values
    assert document["flags"] == []
    assert b"BEN-PRIVATE" not in data.document.data
    async with flows.services(bot).database.session() as session:
        couple = (await session.exec(select(Couple).where(Couple.public_id == public_id))).one()
        query = select(Assignment).where(Assignment.couple_id == couple.id)
        assignment = (await session.exec(query)).one()
    assert {r["assignment"] for r in records} == {assignment.id}


REPLY_PROMPT = (
    "Write your reply to {name} (<b>{label}</b>) in one message. Only {name} will see it, "
    "never their partner. It is kept in your /export of the couple."
)


@pytest.mark.parametrize("language", ["en", "es"])
async def test_tell_and_the_reply_are_in_the_therapists_export_only(
    tg: FakeTelegram, bot: TwofoldApp, language: str
) -> None:
    _ = translator(language)
    marta, ana, ben, public_id = await couple_of(tg, bot, language, share=False)
    await ana.send("/tell Can we talk about Sunday <first>?")
    notice = await marta.wait_for("Sunday")
    await ana.wait_for(re.escape(_("Sent. Only your therapist can read it.")[:10]))
    await marta.press(notice, _("Reply"))
    prompt = await marta.wait_for(re.escape(_(REPLY_PROMPT)[:10]))
    assert "/export" in (prompt.text or "")
    await marta.send("Of course & gladly.")
    await ana.wait_for("gladly")

    await marta.send(f"/export {public_id}")
    await marta.wait_for(re.escape(_(HISTORY)[:8]))
    data = await marta.wait_for(None)
    assert data.document is not None
    messages = json.loads(data.document.data)["tell_messages"]
    assert [(m["partner"], m["direction"], m["text"]) for m in messages] == [
        ("Ana", "to_therapist", "Can we talk about Sunday <first>?"),
        ("Ana", "to_partner", "Of course & gladly."),
    ]
    assert not any("Sunday" in (m.text or "") or "gladly" in (m.text or "") for m in ben.messages)


async def test_the_sharing_question_can_be_answered_by_typing(
    tg: FakeTelegram, bot: TwofoldApp, clock: ManualClock
) -> None:
    _ = translator("es")
    _marta, ana, _ben, _id = await couple_of(tg, bot, "es", share=False)
    await ana.send("/settings")
    await ana.press(
        await ana.wait_for(re.escape(_("Your settings:"))),
        _("Reflections visible to your therapist"),
    )
    await ana.wait_for(re.escape(_(flows.SHARE_PROMPT)[:20]))
    await ana.send("sí")
    await ana.wait_for(re.escape(_(PAST_QUESTION)[:20]))
    await ana.send("quizás")  # neither button: asked again, nothing changes
    await ana.wait_for(re.escape(_(PAST_QUESTION)[:20]))
    await ana.send("desde ahora")
    await ana.wait_for(
        re.escape(
            _(
                "Saved. Your therapist may read what you write from now on; your earlier "
                "answers stay private."
            )[:30]
        )
    )
    async with flows.services(bot).database.session() as session:
        row = (await session.exec(select(Partner).where(Partner.telegram_id == 1001))).one()
    assert row.share_with_therapist and row.therapist_sharing_since == clock.now()
    await ana.send("/settings")
    menu = await ana.wait_for(re.escape(_("Your settings:")))
    since = _("{yes}, from {date} on").format(yes=_("yes"), date="23 nov 2026")
    assert f"{_('Reflections visible to your therapist')}: {since}" in (menu.text or ""), menu.text
