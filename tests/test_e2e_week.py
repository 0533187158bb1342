"""A whole week lived through the real bot: written shared answers, Done buttons, ratings,
then what the couple and the therapist see. Nothing is written to the database by hand.

Ana shares her reflections with the therapist; Ben does not. Both share with each other.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

from bot.clock import ManualClock
from bot.context import TwofoldApp, TwofoldContext
from bot.handlers import digest
from bot.library import Library
from tests import flows
from tests.fakebotapi import FakeTelegram, FakeUser


def words(name: str, day: int) -> str:
    return f"{name.upper()}-DAY-{day} thoughts"


async def settled(user: FakeUser) -> None:
    """Wait until everything `user` sent so far was handled (updates run in order)."""
    await user.send("/help")
    await user.wait_for(r"Here is what you can do")


async def live_day(user: FakeUser, day: int, library: Library) -> None:
    """Answer written exercises in words (replying to each), tap Done on the others, rate."""
    await user.wait_for(rf"Day {day} ·")
    # The dispatcher's tick returned after sending: everything for today is here.
    arrived = [m for m in user.messages if f"Day {day} ·" in m.text and m.buttons]
    for message in arrived:
        title = message.text.split("\n", 1)[0]
        exercise = next(e for e in library.exercises.values() if e.title_in("en") == title)
        if exercise.response == "text":
            shared = exercise.mode == "shared"
            await user.send(words(user.first_name if shared else "private", day), reply_to=message)
        else:
            await user.press(message, "Done")
    await settled(user)
    for prompt in [m for m in user.messages if "How helpful" in m.text and m.buttons]:
        await user.press(prompt, "5" if user.first_name == "Ana" else "3")
    await settled(user)


def saw(user: FakeUser, pattern: str, text: str) -> bool:
    return any(pattern in m.text and text in m.text for m in user.messages)


async def test_a_week_of_answers_shows_up_in_progress_report_export_and_digest(
    tg: FakeTelegram, bot: TwofoldApp, clock: ManualClock
) -> None:
    await flows.grant_therapist(bot, 2001)
    marta, ana, ben = tg.user(2001, "Marta"), tg.user(1001, "Ana"), tg.user(1002, "Ben")
    public_id, code_a, code_b = await flows.new_couple(marta, "Week")
    await flows.onboard(ana, code_a, time="10:00", share=True)
    await flows.onboard(ben, code_b, time="10:00", share=False)
    await flows.assign(bot, public_id, "love-maps-week", date(2026, 11, 24))
    await flows.assign(bot, public_id, "gratitude-week", date(2026, 11, 24))
    dispatcher, library = flows.services(bot).dispatcher, flows.services(bot).library

    for day in range(1, 8):
        clock.set(datetime(2026, 11, 23, 9, 0, tzinfo=UTC) + timedelta(days=day))
        await dispatcher.tick()
        await live_day(ana, day, library)
        await live_day(ben, day, library)
        await settled(ana)
        # Both answered the shared question: each sees the other's words.
        assert saw(ana, "Here is Ben's answer", words("Ben", day))
        assert saw(ben, "Here is Ana's answer", words("Ana", day))
    # ... and never what either wrote on an exercise that is not shared.
    leaked = [m.text for m in [*ana.messages, *ben.messages] if "PRIVATE-DAY" in m.text]
    assert not leaked, leaked

    await ana.send("/progress")
    summary = await ana.wait_for(r"Your progress together")
    assert "Joint streak" in summary.text
    photo = await ana.wait_for(r"last four weeks")
    assert photo.photo is not None and photo.photo.startswith(b"\x89PNG")

    await marta.send(f"/report {public_id} 2")
    report = "\n".join(m.text for m in [await marta.wait_for(r"Report: Week")])
    assert words("Ana", 1) in report
    assert "BEN-DAY" not in report  # Ben did not agree to share with the therapist
    assert "helpfulness 5.0/5" in report and "helpfulness 3.0/5" in report

    await marta.send(f"/export {public_id}")
    csv_doc = await marta.wait_for(r"The history of")
    assert csv_doc.document is not None
    rows = list(csv.DictReader(io.StringIO(csv_doc.document.data.decode("utf-8-sig"))))
    shared = [r for r in rows if library.exercise(r["exercise"]).mode == "shared"]
    assert {r["status"] for r in shared} == {"done"}
    assert sorted(r["response_text"] for r in shared if r["response_text"])[0].startswith("ANA")
    assert not any("BEN-DAY" in r["response_text"] for r in rows)
    assert {r["rating"] for r in rows if r["status"] == "done"} == {"5", "3"}

    clock.set(datetime(2026, 11, 30, 8, 0, tzinfo=UTC))  # Monday 08:00, the therapist's UTC
    assert await digest.send_digests(TwofoldContext(bot)) == 1
    assert "Week" in (await marta.wait_for(r"weekly digest")).text
