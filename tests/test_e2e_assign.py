"""Assigning sets and the controls around them, end to end against the fake Bot API.

The clock stays at Monday 2026-11-23 09:00 UTC: 04:00 in New York (Ana, 19:15 delivery:
still ahead today) and 18:00 in Tokyo (Ben, 08:00 delivery: passed, so his day 1 is
tomorrow). Nothing here becomes due, so the dispatcher never sends an exercise.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import pytest
from sqlmodel import col, select

from bot.context import TwofoldApp
from bot.db.models import Assignment, Delivery, Partner
from bot.i18n import translator
from bot.services import conversations
from tests import flows
from tests.fakebotapi import FakeTelegram, FakeUser, SentMessage

es = translator("es")
STALE = "This is no longer available."
ASSIGNED = "Your therapist assigned you a new set of exercises: <b>{title}</b> ({frequency})."


@pytest.fixture
def app(bot: TwofoldApp) -> TwofoldApp:
    return bot


async def couple(app: TwofoldApp, tg: FakeTelegram) -> tuple[FakeUser, FakeUser, FakeUser, str]:
    """Dr. Ruiz; Ana (English, New York, 19:15); Ben, shown as Benedict (Spanish, Tokyo, 08:00)."""
    await flows.grant_therapist(app, 2001, "Dr. Marta Ruiz")
    marta, ana, ben = tg.user(2001, "Marta"), tg.user(1001, "Ana"), tg.user(1002, "Ben")
    public_id, code_a, code_b = await flows.new_couple(marta, "Ana & Ben")
    await flows.onboard(ana, code_a, name="Ana", timezone="America/New_York", time="19:15")
    await flows.onboard(ben, code_b, name="Benedict", timezone="Asia/Tokyo", time="08:00")
    await ben.send("/language es")
    await ben.wait_for(re.escape("Español"))
    await marta.wait_for(r"is complete")
    return marta, ana, ben, public_id


async def rows(app: TwofoldApp, model: type[Assignment] | type[Delivery]) -> Sequence[object]:
    async with flows.services(app).database.session() as session:
        return (await session.exec(select(model).order_by(col(model.id)))).all()


async def assignments(app: TwofoldApp) -> list[Assignment]:
    return [row for row in await rows(app, Assignment) if isinstance(row, Assignment)]


async def deliveries(app: TwofoldApp) -> list[Delivery]:
    return [row for row in await rows(app, Delivery) if isinstance(row, Delivery)]


def spanish(message: str, length: int = 0) -> str:
    """A pattern for the Spanish translation of `message` (its first `length` characters)."""
    translated = es(message)
    assert translated != message, f"no Spanish for {message!r}"
    return re.escape(translated[:length] if length else translated)


async def test_one_line_assign_tells_both_partners_in_their_languages(
    tg: FakeTelegram, app: TwofoldApp
) -> None:
    marta, ana, ben, public_id = await couple(app, tg)

    await marta.send(f"/assign {public_id.upper()} gratitude-week")
    done = await marta.wait_for(r"Assigned <b>|Assigned Gratitude")
    assert "Gratitude week" in done.text and "Ana &amp; Ben" not in done.text
    assert "Ana & Ben" in done.text and "daily for 7 days" in done.text
    assert "Monday, November 23, 2026" in done.text

    to_ana = await ana.wait_for(r"assigned you a new set")
    assert "Gratitude week" in to_ana.text and "daily for 7 days" in to_ana.text
    assert "Seven days of noticing" in to_ana.text  # the set's description
    assert "Your first exercise arrives today at 19:15." in to_ana.text
    to_ben = await ben.wait_for(spanish(ASSIGNED, 30))
    assert "Semana de gratitud" in to_ben.text and "todos los días" in to_ben.text
    assert es("Your first exercise arrives tomorrow at {time}.").format(time="08:00") in to_ben.text

    (stored,) = await assignments(app)
    assert (stored.set_slug, stored.status, str(stored.start_date)) == (
        "gratitude-week",
        "active",
        "2026-11-23",
    )
    planned = await deliveries(app)
    assert [(str(d.local_date), d.status) for d in planned] == [
        ("2026-11-23", "planned"),
        ("2026-11-24", "planned"),
    ]


async def test_one_line_assign_explains_what_is_wrong_and_stores_nothing(
    tg: FakeTelegram, app: TwofoldApp
) -> None:
    marta, ana, ben, public_id = await couple(app, tg)
    for command, answer in [
        (f"/assign {public_id} no-such-set", r"don't know a set called no-such-set.*/library"),
        (f"/assign {public_id} gratitude-week 30/11/2026", r"couldn't read the date 30/11/2026"),
        (f"/assign {public_id} gratitude-week 2026-11-22", r"is in the past"),
        (f"/assign {public_id} gratitude-week 2028-01-01", r"more than a year away"),
        (f"/assign {public_id} gratitude-week 2026-12-01 extra", r"Use /assign ID SET"),
    ]:
        await marta.send(command)
        await marta.wait_for(answer)

    waiting_id, _code, _ = await flows.new_couple(marta, "Still <waiting>")
    await marta.send(f"/assign {waiting_id} gratitude-week")
    await marta.wait_for(r"needs both partners")
    await marta.send(f"/archive {public_id}")
    await marta.press(await marta.wait_for(r"Archive <b>|Archive Ana"), "Archive")
    await marta.wait_for(r"is archived", edited=True)
    for partner in (ana, ben):  # told neutrally: no label, no reason
        notice = await partner.wait_for(r"closed this program|cerrado este programa")
        assert "Ana &amp; Ben" not in notice.text and "Ana & Ben" not in notice.text
    await marta.send(f"/assign {public_id} gratitude-week")
    await marta.wait_for(r"archived, so no new sets")
    assert await assignments(app) == []


async def test_guided_assign_with_buttons_and_typed_answers(
    tg: FakeTelegram, app: TwofoldApp
) -> None:
    marta, ana, ben, public_id = await couple(app, tg)

    await marta.send("/assign")
    which = await marta.wait_for(r"Which couple\?")
    await marta.send(public_id)  # typed instead of tapped
    sets = await marta.wait_for(r"Which set for <b>Ana|Which set for Ana")
    await marta.press(sets, "Weekly check-in")
    when = await marta.wait_for(r"When should it start\?")
    assert [button.label for row in when.button_rows() for button in row] == [
        "Today",
        "Tomorrow",
        "Next Monday",
    ]
    await marta.send("30/11")
    await marta.wait_for(r"couldn't read the date")
    await marta.send("2026-12-02")
    await marta.wait_for(r"Assigned .*Weekly check-in.*Wednesday, December 2, 2026")
    notice = await ana.wait_for(r"assigned you a new set")
    assert "Your first exercise arrives on Wednesday, December 2, 2026 at 19:15." in notice.text
    spanish_notice = await ben.wait_for("Revisión semanal")
    assert "miércoles, 2 de diciembre de 2026" in spanish_notice.text

    stale = await marta.press(which, "Ana & Ben")  # the flow is over
    assert await marta.wait_for_answer(stale) == STALE

    await marta.send("/assign")
    await marta.press(await marta.wait_for(r"Which couple\?"), "Ana & Ben")
    await marta.press(await marta.wait_for(r"Which set for"), "Gratitude week")
    await marta.press(await marta.wait_for(r"When should it start\?"), "Next Monday")
    await marta.wait_for(r"Assigned .*Gratitude week.*Monday, November 30, 2026")
    await ana.wait_for(r"arrives on Monday, November 30, 2026 at 19:15")

    stored = await assignments(app)
    assert [(a.set_slug, str(a.start_date)) for a in stored] == [
        ("weekly-check-in", "2026-12-02"),
        ("gratitude-week", "2026-11-30"),
    ]
    async with flows.services(app).database.session() as session:
        assert await conversations.current(session=session, telegram_id=2001) is None


def button_labels(message: SentMessage) -> list[str]:
    return [button.label for row in message.button_rows() for button in row]


async def test_assignments_list_with_pause_resume_cancel_and_a_stale_button(
    tg: FakeTelegram, app: TwofoldApp
) -> None:
    marta, _ana, _ben, public_id = await couple(app, tg)
    await marta.send(f"/assignments {public_id}")
    await marta.wait_for(r"No sets have been assigned")
    await marta.send(f"/assign {public_id} gratitude-week")
    await marta.wait_for(r"Assigned")
    await marta.send(f"/assign {public_id} weekly-check-in 2026-11-25")
    await marta.wait_for(r"Assigned .*Weekly")

    await marta.send(f"/assignments {public_id}")
    listing = await marta.wait_for(r"Sets of")
    assert re.search(r"1\. .*Weekly check-in.* — in progress\n\s+starts 2026-11-25", listing.text)
    assert re.search(r"2\. .*Gratitude week.* — in progress", listing.text)
    assert button_labels(listing) == ["1. Pause", "1. Cancel", "2. Pause", "2. Cancel"]
    weekly, gratitude = (await assignments(app))[1], (await assignments(app))[0]

    await marta.press(listing, "2. Pause")
    paused = await marta.wait_for(r"Gratitude week.* — paused", edited=True)
    assert button_labels(paused) == ["1. Pause", "1. Cancel", "2. Resume", "2. Cancel"]
    assert (await assignments(app))[0].status == "paused"
    # The old message still shows "Pause": a tap on it changes nothing.
    stale = await marta.press_data(listing, f"asgs:pause:{gratitude.id}")
    assert await marta.wait_for_answer(stale) == STALE

    await marta.press(paused, "2. Resume")
    resumed = await marta.wait_for(r"Gratitude week.* — in progress", edited=True)
    assert (await assignments(app))[0].status == "active"

    await marta.press(resumed, "1. Cancel")
    confirm = await marta.wait_for(r"Cancel <b>Weekly|Cancel Weekly", edited=True)
    await marta.press(confirm, "Keep it")
    kept = await marta.wait_for(r"Sets of", edited=True)
    assert (await assignments(app))[1].status == "active"
    await marta.press(kept, "1. Cancel")
    await marta.press(await marta.wait_for(r"Cancel .*Weekly", edited=True), "Yes, cancel it")
    after = await marta.wait_for(r"Weekly check-in.* — cancelled", edited=True)
    assert button_labels(after) == ["2. Pause", "2. Cancel"]
    assert (await assignments(app))[1].status == "cancelled"
    statuses = {(d.assignment_id, d.status) for d in await deliveries(app)}
    assert statuses == {(weekly.id, "cancelled"), (gratitude.id, "planned")}

    again = await marta.press_data(confirm, f"asgs:confirm:{weekly.id}")
    assert await marta.wait_for_answer(again) == STALE


async def test_partners_and_other_therapists_cannot_assign(
    tg: FakeTelegram, app: TwofoldApp
) -> None:
    marta, ana, _ben, public_id = await couple(app, tg)
    await flows.grant_therapist(app, 2002)
    olga = tg.user(2002, "Olga")
    for command in (f"/assign {public_id} gratitude-week", f"/assignments {public_id}"):
        await ana.send(command)
        await ana.wait_for(r"isn't available to you")

    answers = []
    for public in (public_id, "zzzzzz"):
        await olga.send(f"/assign {public} gratitude-week")
        answers.append((await olga.wait_for(r"can't find")).text.replace(public, "ID"))
        await olga.send(f"/assignments {public}")
        answers.append((await olga.wait_for(r"can't find")).text.replace(public, "ID"))
    assert answers[0] == answers[2] and answers[1] == answers[3]

    await marta.send(f"/assign {public_id} gratitude-week")
    await marta.wait_for(r"Assigned")
    (mine,) = await assignments(app)
    await olga.send("/help")  # a chat message to press against
    help_message = await olga.wait_for(r"what you can do")
    forged = await olga.press_data(help_message, f"asgs:confirm:{mine.id}")
    assert await olga.wait_for_answer(forged) == STALE
    assert (await assignments(app))[0].status == "active"


async def partner_row(app: TwofoldApp, telegram_id: int) -> Partner:
    async with flows.services(app).database.session() as session:
        query = select(Partner).where(
            Partner.telegram_id == telegram_id, col(Partner.is_current).is_(True)
        )
        found = (await session.exec(query)).first()
    assert found is not None
    return found


async def test_pause_tells_the_other_partner_only_that_exercises_are_on_hold(
    tg: FakeTelegram, app: TwofoldApp
) -> None:
    marta, ana, ben, _public_id = await couple(app, tg)
    told_marta = len(marta.messages)

    await ana.send("/pause 61")
    await ana.wait_for(r"number of days from 1 to 60")
    await ben.send("/pause")
    confirmed = await ben.wait_for(spanish("Your exercises are paused until you send /resume."))
    assert es("Your partner will only know that exercises are on hold, not who paused or why.") in (
        confirmed.text
    )
    notice = await ana.wait_for(r"on hold")
    assert notice.text == "Your exercises are on hold for now."
    assert "Benedict" not in notice.text and "Ben" not in notice.text
    assert (await partner_row(app, 1002)).paused_at is not None

    await ana.send("/pause 3")  # already on hold: Ben is not told anything
    until = await ana.wait_for(r"paused until Thursday, November 26, 2026 at 04:00")
    assert "/resume" in until.text
    await ana.send("/resume")
    await ana.wait_for(r"still on hold")
    await ben.send("/resume")
    await ben.wait_for(spanish("Welcome back! Your exercises are back on."))
    back = await ana.wait_for(r"back on")
    assert back.text == "Your exercises are back on."
    await ben.send("/resume")
    await ben.wait_for(
        spanish(
            "You haven't paused, so there is nothing to resume. Send /pause if you need a break."
        )
    )

    assert [m.text for m in ben.messages if "hold" in m.text or "pausa" in m.text].count(
        es("Your exercises are on hold for now.")
    ) == 0, "Ben paused first: the couple was never put on hold by Ana"
    assert len(marta.messages) == told_marta, "the therapist is not messaged about pauses"
    stored = await partner_row(app, 1002)
    assert (stored.paused_at, stored.paused_until) == (None, None)
    await marta.send("/pause")
    await marta.wait_for(r"isn't available to you")


async def test_quiet_hours_show_set_and_turn_off(tg: FakeTelegram, app: TwofoldApp) -> None:
    _marta, ana, _ben, _public_id = await couple(app, tg)
    await ana.send("/quiet")
    shown = await ana.wait_for(r"Quiet hours: 22:00–07:00, your time \(America/New_York\)")
    assert "/quiet off" in shown.text
    await ana.send("/quiet late-ish")
    await ana.wait_for(r"couldn't read late-ish")
    await ana.send("/quiet 9:30pm-19:30")
    saved = await ana.wait_for(r"Quiet hours: 21:30–19:30")
    assert "Your delivery time, 19:15, falls inside them" in saved.text
    stored = await partner_row(app, 1001)
    assert (stored.quiet_start, stored.quiet_end) == ("21:30", "19:30")
    await ana.send("/quiet off")
    await ana.wait_for(r"no quiet hours")
    stored = await partner_row(app, 1001)
    assert (stored.quiet_start, stored.quiet_end) == ("00:00", "00:00")


async def test_today_shows_what_is_open_or_still_coming_in_the_partners_day(
    tg: FakeTelegram, app: TwofoldApp
) -> None:
    marta, ana, ben, public_id = await couple(app, tg)
    await ana.send("/today")
    await ana.wait_for(r"Nothing is planned for you today")

    await marta.send(f"/assign {public_id} weekly-check-in")
    await marta.wait_for(r"Assigned")
    await ana.send("/today")
    listing = await ana.wait_for(r"Today, Monday, November 23, 2026:")
    library = flows.services(app).library
    titles = [library.exercise(slug) for slug in ("state-of-the-union", "weekly-connection-scale")]
    lines = [f"• {t.title_in('en')} — arrives at 19:15" for t in titles if t is not None]
    assert listing.text.splitlines()[1:] == lines

    first = next(d for d in await deliveries(app) if d.exercise_slug == "state-of-the-union")
    async with flows.services(app).database.session() as session:
        row = await session.get(Delivery, first.id)
        assert row is not None
        row.status = "done"
        session.add(row)
    await ana.send("/today")
    assert re.search(r"— done\n", (await ana.wait_for(r"Today, ")).text)

    await ben.send("/today")  # 18:00 in Tokyo: his first exercises come tomorrow
    await ben.wait_for(spanish("Nothing is planned for you today. Enjoy your day!"))
    await ben.send("/pause")
    await ana.wait_for(r"on hold")
    await ana.send("/today")
    held = await ana.wait_for(r"Today, ")
    assert held.text.endswith("Your exercises are on hold for now.")
    await marta.send("/today")
    await marta.wait_for(r"isn't available to you")
