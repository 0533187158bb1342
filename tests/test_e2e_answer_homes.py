"""Issue 16, the answer conversation, in English and Spanish through the fake Bot API:
nothing written is dropped, replies answer any exercise, follow-ups wait for words, one
acknowledgement per answer, ✓ on the chosen value, and long reveals arrive in full.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import select

from bot.clock import ManualClock
from bot.context import TwofoldApp
from bot.db.models import Delivery, Response
from bot.i18n import translator
from tests import flows
from tests.fakebotapi import FakeTelegram, FakeUser

DAY1 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # 10:00 in Berlin
LANGUAGES = {"en": "English", "es": "Español"}
HOME = "No exercise is waiting for a written answer right now. What should I do with this message?"
WORDS_SAVED = "Saved your words with “{title}”. Thank you."
REVEAL = "You have both answered “{title}”. Here is {name}'s answer:"
RATING = "How helpful was this exercise for you? (optional)"


def rx(text: str) -> str:
    """A pattern for the start of a bot text (before its first placeholder)."""
    return re.escape(text.split("{", 1)[0][:40])


async def couple_in(
    tg: FakeTelegram, bot: TwofoldApp, set_slug: str, lang: str
) -> tuple[FakeUser, FakeUser, FakeUser]:
    await flows.grant_therapist(bot, 2001, "Marta")
    marta, ana, ben = tg.user(2001, "Marta"), tg.user(1001, "Ana"), tg.user(1002, "Ben")
    public_id, code_a, code_b = await flows.new_couple(marta, "Homes")
    for user, code in ((ana, code_a), (ben, code_b)):
        await flows.onboard(
            user, code, language="en", time="10:00", choose_language=LANGUAGES[lang]
        )
    await flows.assign(bot, public_id, set_slug, date(2026, 11, 24))
    return marta, ana, ben


async def answers(bot: TwofoldApp) -> dict[str, Response]:
    async with flows.services(bot).database.session() as session:
        rows = await session.exec(
            select(Delivery, Response).join(Response, Response.delivery_id == Delivery.id)  # type: ignore[arg-type]
        )
        return {f"{d.partner_id}:{d.exercise_slug}": r for d, r in rows.all()}


def words(bot: TwofoldApp, response: Response) -> str:
    return flows.services(bot).crypto.decrypt(response.text_ct or b"")


def labels(message: object) -> list[str]:
    return [label for row in message.buttons for label, _ in row]  # type: ignore[attr-defined]


@pytest.mark.parametrize("lang", ["en", "es"])
async def test_words_that_fit_no_exercise_are_offered_a_home(
    tg: FakeTelegram, bot: TwofoldApp, clock: ManualClock, lang: str
) -> None:
    _ = translator(lang)
    marta, ana, _ben = await couple_in(tg, bot, "calmer-conflict", lang)
    clock.set(DAY1)
    await flows.services(bot).dispatcher.tick()
    title = flows.services(bot).library.exercise("flooding-check").title_in(lang)  # type: ignore[union-attr]
    exercise = await ana.wait_for(re.escape(title))

    # To the therapist, privately.
    await ana.send("Can we talk about Sunday next session?")
    home = await ana.wait_for(rx(_(HOME)))
    assert labels(home) == [
        _("Send it to my therapist"),
        _("Add it to “{title}”").format(title=title),
        _("Don't save it"),
    ]
    await ana.press(home, _("Send it to my therapist"))
    assert "talk about Sunday" in (await marta.wait_for(r"Private message from Ana")).text
    await ana.wait_for(re.escape(_("Sent. Only your therapist can read it.")))

    # To today's exercise, before its number is tapped: the words wait for the tap.
    await ana.send("Dinner was tense, then we paused.")
    await ana.press(await ana.wait_for(rx(_(HOME))), _("Add it to “{title}”").format(title=title))
    await ana.wait_for(re.escape(_(WORDS_SAVED).format(title=title)))
    await ana.press(exercise, "3")
    await ana.wait_for(re.escape(title), edited=True)
    assert labels(exercise) == ["1", "2", "✓ 3", "4", "5"]
    # The follow-up asks for words and waits for them, beside the (optional) rating.
    follow_up = await ana.wait_for(re.escape(_(RATING)))
    assert labels(follow_up) == ["1", "2", "3", "4", "5", _("Skip writing")]
    await ana.send("Breathing slowly helped.")
    await ana.wait_for(re.escape(_(WORDS_SAVED).format(title=title)))
    response = next(iter((await answers(bot)).values()))
    assert response.value == 3
    assert words(bot, response) == "Dinner was tense, then we paused.\n\nBreathing slowly helped."

    # Nowhere: said so, and nothing stored.
    await ana.send("never mind")
    home = await ana.wait_for(rx(_(HOME)))
    assert _("Add it to “{title}”").format(title=title) not in labels(home)
    await ana.press(home, _("Don't save it"))
    await ana.wait_for(re.escape(_("Okay, I didn't save it.")))
    assert "never mind" not in words(bot, next(iter((await answers(bot)).values())))
    not_waiting = "I'm not waiting for a message from you right now."
    assert not any(_(not_waiting)[:20] in m.text for m in ana.messages)


async def test_crisis_words_with_nothing_open_get_only_the_caring_reply(
    tg: FakeTelegram, bot: TwofoldApp
) -> None:
    _marta, ana, _ben = await couple_in(tg, bot, "calmer-conflict", "en")
    await ana.send("honestly i just took all my sleeping pills")
    await ana.wait_for(r"really hard")
    await ana.send("/help")  # a marker: everything before it has been answered
    await ana.wait_for(r"/")
    assert not any("No exercise is waiting" in m.text for m in ana.messages)


@pytest.mark.parametrize("lang", ["en", "es"])
async def test_a_reply_to_a_scale_exercise_keeps_the_words_with_it(
    tg: FakeTelegram, bot: TwofoldApp, clock: ManualClock, lang: str
) -> None:
    _ = translator(lang)
    _marta, ana, _ben = await couple_in(tg, bot, "weekly-check-in", lang)
    clock.set(DAY1)
    await flows.services(bot).dispatcher.tick()
    title = flows.services(bot).library.exercise("weekly-connection-scale").title_in(lang)  # type: ignore[union-attr]
    scale = await ana.wait_for(re.escape(title))
    await ana.send("A tender week, mostly.", reply_to=scale)
    await ana.wait_for(re.escape(_(WORDS_SAVED).format(title=title)))
    await ana.press(scale, "4")
    ack = await ana.wait_for(re.escape(_(RATING)))
    assert labels(ack) == ["1", "2", "3", "4", "5"]  # its follow-up points to /tell: no step
    (response,) = [r for k, r in (await answers(bot)).items() if k.endswith("scale")]
    assert response.value == 4 and words(bot, response) == "A tender week, mostly."


@pytest.mark.parametrize("lang", ["en", "es"])
async def test_one_acknowledgement_and_a_long_reveal_in_full(
    tg: FakeTelegram, bot: TwofoldApp, clock: ManualClock, lang: str
) -> None:
    _ = translator(lang)
    _marta, ana, ben = await couple_in(tg, bot, "love-maps-week", lang)
    clock.set(DAY1)
    await flows.services(bot).dispatcher.tick()
    title = flows.services(bot).library.exercise("love-maps-inner-world").title_in(lang)  # type: ignore[union-attr]
    exercise = await ana.wait_for(re.escape(title))
    await ben.wait_for(re.escape(title))
    first_half = " ".join(f"first{i}" for i in range(400))  # about 3,000 characters each
    second_half = " ".join(f"second{i}" for i in range(350)) + " THE-END"
    before = len(ana.messages)
    await ana.send(first_half)
    ack = await ana.wait_for(rx(_("Saved your answer to “{title}”. Thank you.")))
    assert len(ana.messages) == before + 1  # one calm acknowledgement, not three
    assert ack.buttons and _(RATING) in ack.text
    assert not exercise.buttons  # Done, Skip and Later no longer apply
    await ana.send(second_half)
    await ana.press(
        await ana.wait_for(
            rx(_("You already answered “{title}”. What should I do with this message?"))
        ),
        _("Add to my answer"),
    )
    await ana.wait_for(rx(_("Updated your answer to “{title}”.")))

    await ben.send("Short and sweet.", reply_to=await ben.wait_for(re.escape(title)))
    heading = _(REVEAL).format(title=title, name="Ana")
    first = await ben.wait_for(re.escape(heading) + r" \(1/2\)")
    second = await ben.wait_for(r"^\(2/2\)")
    shown = first.text + second.text
    assert "first0 " in shown and "first399" in shown and "second349 THE-END" in shown
    assert "…" not in shown
    assert labels(second) == [_("Skip writing")]  # the follow-up comes with the reveal
    assert (
        "Short and sweet."
        in (await ana.wait_for(re.escape(_(REVEAL).format(title=title, name="Ben")))).text
    )


@pytest.mark.parametrize("lang", ["en", "es"])
async def test_a_letter_reaches_the_partner_as_soon_as_it_is_written(
    tg: FakeTelegram, bot: TwofoldApp, clock: ManualClock, lang: str
) -> None:
    _ = translator(lang)
    _marta, ana, ben = await couple_in(tg, bot, "gratitude-week", lang)
    for day in range(5):  # the thank-you note is day 5
        clock.set(DAY1 + timedelta(days=day))
        await flows.services(bot).dispatcher.tick()
    exercise = flows.services(bot).library.exercise("thank-you-note")
    assert exercise is not None and exercise.response == "letter"
    title = exercise.title_in(lang)
    letter = await ana.wait_for(re.escape(title))
    assert _("{partner} receives your note as soon as you send it.").format(partner="Ben") in (
        letter.text
    )
    before = len(ben.messages)
    sent = await ana.send("Thank you for the coffee every morning.", reply_to=letter)
    ack = await ana.wait_for(rx(_("Saved your answer to “{title}”. Thank you.")))
    assert _("Sent it to {name}.").format(name="Ben") in ack.text
    note = await ben.wait_for(
        re.escape(_("A note from {name}, written for “{title}”:").format(name="Ana", title=title))
    )
    assert "coffee every morning" in note.text
    await ana.edit(sent, "Thank you for the coffee, and the music, every morning.")
    changed = await ben.wait_for(
        re.escape(_("{name} changed their note for “{title}”:").format(name="Ana", title=title))
    )
    assert "and the music" in changed.text
    assert len(ben.messages) == before + 2


@pytest.mark.parametrize("lang", ["en", "es"])
async def test_the_follow_up_of_a_written_exercise_adds_to_the_answer(
    tg: FakeTelegram, bot: TwofoldApp, clock: ManualClock, lang: str
) -> None:
    _ = translator(lang)
    _marta, ana, _ben = await couple_in(tg, bot, "gratitude-week", lang)
    clock.set(DAY1)
    await flows.services(bot).dispatcher.tick()
    exercise = flows.services(bot).library.exercise("gratitude-three-things")
    assert exercise is not None and exercise.follow_up is not None
    title = exercise.title_in(lang)
    await ana.wait_for(re.escape(title))
    await ana.send("Coffee in bed, the walk, your laugh.")
    ack = await ana.wait_for(rx(_("Saved your answer to “{title}”. Thank you.")))
    assert _("Write a few words here if you like, or tap “Skip writing”.") in ack.text
    assert labels(ack) == ["1", "2", "3", "4", "5", _("Skip writing")]
    await ana.send("The laugh, most of all.")
    await ana.wait_for(re.escape(_(WORDS_SAVED).format(title=title)))
    await ana.wait_for(rx(_("Saved your answer to “{title}”. Thank you.")), edited=True)
    assert labels(ack) == ["1", "2", "3", "4", "5"]  # Skip no longer applies
    (response,) = (await answers(bot)).values()
    assert words(bot, response) == "Coffee in bed, the walk, your laugh.\n\nThe laugh, most of all."
