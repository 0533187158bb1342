"""Partners answer: written answers, the reveal on shared exercises, edits and ratings."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlmodel import select

from bot.clock import ManualClock
from bot.context import TwofoldApp
from bot.db.models import Delivery, Response
from tests import flows
from tests.fakebotapi import FakeTelegram, FakeUser

DAY1 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # 10:00 in Berlin


async def couple_with(
    tg: FakeTelegram, bot: TwofoldApp, set_slug: str, *, ben_shares: bool = True
) -> tuple[FakeUser, FakeUser, FakeUser, str]:
    await flows.grant_therapist(bot, 2001)
    marta, ana, ben = tg.user(2001, "Marta"), tg.user(1001, "Ana"), tg.user(1002, "Ben")
    public_id, code_a, code_b = await flows.new_couple(marta, "Answers")
    await flows.onboard(ana, code_a, time="10:00")
    await flows.onboard(ben, code_b, time="10:00")
    if not ben_shares:
        await ben.send("/settings")
        await ben.press(
            await ben.wait_for(r"Your settings"), "Shared answers visible to your partner"
        )
        await ben.press(await ben.wait_for(r"may your partner see"), "No, keep private")
        await ben.wait_for(r"stay private from your partner")
    await flows.assign(bot, public_id, set_slug, date(2026, 11, 24))
    return marta, ana, ben, public_id


async def stored(bot: TwofoldApp) -> list[tuple[Delivery, Response]]:
    async with flows.services(bot).database.session() as session:
        rows = await session.exec(
            select(Delivery, Response).join(Response, Response.delivery_id == Delivery.id)  # type: ignore[arg-type]
        )
        return list(rows.all())


async def test_a_shared_answer_is_revealed_when_both_have_answered(
    tg: FakeTelegram, bot: TwofoldApp, clock: ManualClock
) -> None:
    _marta, ana, ben, _ = await couple_with(tg, bot, "love-maps-week")
    clock.set(DAY1)
    await flows.services(bot).dispatcher.tick()
    await ana.wait_for(r"Day 1")
    bens_exercise = await ben.wait_for(r"Day 1")

    answer = await ana.send("Lately I worry about my sister's health.")
    # One calm acknowledgement: saved, what happens next, and the optional rating.
    rating = await ana.wait_for(r"Saved your answer to")
    assert "You'll see Ben's answer once they have answered too" in rating.text
    assert "How helpful was this exercise" in rating.text
    assert sum("Saved" in m.text for m in ana.messages) == 1
    await ben.wait_for(r"Ana has answered .*Answer it too")
    assert not any("sister" in (m.text or "") for m in ben.messages)

    # A reply to the exercise message says which exercise it answers.
    await ben.send("Work has been heavy; I want more evenings with you.", reply_to=bens_exercise)
    await ben.wait_for(r"Saved your answer to")
    assert "sister's health" in (await ben.wait_for(r"Here is Ana's answer")).text
    assert "evenings with you" in (await ana.wait_for(r"Here is Ben's answer")).text

    await ana.edit(answer, "Lately I worry about my sister, and about us.")
    await ana.wait_for(r"Updated your answer to")
    assert "about us" in (await ben.wait_for(r"Ana changed their answer")).text

    query = await ana.press(rating, "4")
    assert await ana.wait_for_answer(query) == "Thank you."
    await ana.wait_for(r"you rated it 4 of 5", edited=True)

    rows = await stored(bot)
    assert sorted(d.status for d, _ in rows) == ["done", "done"]
    assert all(r.revealed_at is not None for _, r in rows)
    assert [r.rating for d, r in rows if r.rating] == [4]
    box = flows.services(bot).crypto
    texts = sorted(box.decrypt(r.text_ct) for _, r in rows if r.text_ct)
    assert texts[0].endswith("and about us.")
    assert all(b"sister" not in (r.text_ct or b"") for _, r in rows)  # encrypted at rest


async def test_no_reveal_when_one_partner_does_not_share(
    tg: FakeTelegram, bot: TwofoldApp, clock: ManualClock
) -> None:
    _marta, ana, ben, _ = await couple_with(tg, bot, "love-maps-week", ben_shares=False)
    clock.set(DAY1)
    await flows.services(bot).dispatcher.tick()
    await ana.wait_for(r"Day 1")
    await ben.wait_for(r"Day 1")
    await ana.send("Ana's private thoughts about the holidays.")
    await ana.wait_for(r"Saved your answer to")
    await ben.send("Ben's private thoughts about his job.")
    await ben.wait_for(r"Saved your answer to")
    # No follow-up about an answer that is not shown.
    assert not (await ana.wait_for(r"sharing with each other is off")).buttons
    assert not (await ben.wait_for(r"sharing with each other is off")).buttons
    assert not any("Ben's private" in (m.text or "") for m in ana.messages)
    assert not any("Ana's private" in (m.text or "") for m in ben.messages)


async def test_text_with_no_open_exercise_is_not_taken_as_an_answer(
    tg: FakeTelegram, bot: TwofoldApp, clock: ManualClock
) -> None:
    _marta, ana, _ben, _ = await couple_with(tg, bot, "love-maps-week")
    await ana.send("hello?")
    question = await ana.wait_for(r"No exercise is waiting for a written answer")
    await ana.press(question, "Don't save it")
    await ana.wait_for(r"didn't save it")
    assert not any("not waiting for a message" in m.text for m in ana.messages)
    assert await stored(bot) == []


async def test_second_message_after_answering_asks_before_changing_anything(
    tg: FakeTelegram, bot: TwofoldApp, clock: ManualClock
) -> None:
    _marta, ana, _ben, _ = await couple_with(tg, bot, "love-maps-week")
    clock.set(DAY1)
    await flows.services(bot).dispatcher.tick()
    await ana.wait_for(r"Day 1")
    await ana.send("First thought.")
    await ana.wait_for(r"Saved your answer to")
    await ana.send("One more thing.")
    question = await ana.wait_for(r"You already answered")
    await ana.send("And another.")
    await ana.wait_for(r"Kept this together")
    await ana.press(question, "Add to my answer")
    await ana.wait_for(r"Updated your answer to")
    ((_, response),) = await stored(bot)
    text = flows.services(bot).crypto.decrypt(response.text_ct or b"")
    assert text == "First thought.\n\nOne more thing.\n\nAnd another."

    # Once the next exercise has arrived, the old answer is settled.
    clock.set(DAY1 + timedelta(days=1))
    await flows.services(bot).dispatcher.tick()
    await ana.wait_for(r"Day 2")
    first = next(m for m in ana.history if not m.from_bot and m.text == "First thought.")
    await ana.edit(first, "Changed my mind.")
    await ana.wait_for(r"can't be changed any more")


async def test_scale_answers_change_and_together_exercises_need_both(
    tg: FakeTelegram, bot: TwofoldApp, clock: ManualClock
) -> None:
    _marta, ana, ben, _ = await couple_with(tg, bot, "weekly-check-in")
    clock.set(DAY1)
    await flows.services(bot).dispatcher.tick()
    await ana.wait_for(r"How connected did I feel")
    scale = next(m for m in ana.messages if m.text.startswith("How connected"))
    together = next(m for m in ana.messages if "done it together" in m.text)
    first = await ana.press(scale, "4")
    assert await ana.wait_for_answer(first) == (
        "Saved. You can change it until your next exercise arrives."
    )
    await ana.wait_for(r"How helpful was this exercise")
    # The chosen value carries a ✓; Done, Skip and Later no longer apply.
    await ana.wait_for(r"How connected", edited=True)
    assert [label for row in scale.buttons for label, _ in row] == ["1", "2", "3", "✓ 4", "5"]
    again = await ana.press(scale, "2")
    assert (await ana.wait_for_answer(again)).startswith("Saved.")
    await ana.wait_for(r"How connected", edited=True)
    assert [label for row in scale.buttons for label, _ in row] == ["1", "✓ 2", "3", "4", "5"]
    await ana.press(together, "Done")
    # Its follow-up asks for words and waits for them (or Skip), beside the rating.
    follow_up = await ana.wait_for(r"one thing you.d like to remember")
    assert follow_up.buttons[-1] == [("Skip writing", "fu:skip")]
    assert "How helpful" in follow_up.text
    await ana.send("The walk by the river.")
    await ana.wait_for(r"Saved your words with")
    await ana.wait_for(r"one thing you.d like to remember", edited=True)
    assert [label for row in follow_up.buttons for label, _ in row] == ["1", "2", "3", "4", "5"]
    await ben.wait_for(r"Ana confirmed you did .* together")
    bens_together = next(m for m in ben.messages if "done it together" in m.text)
    await ben.press(bens_together, "Done")
    bens_follow_up = await ben.wait_for(r"one thing you.d like to remember")
    await ana.wait_for(r"You both confirmed")
    await ben.wait_for(r"You both confirmed")
    await ben.press(bens_follow_up, "Skip writing")
    await ben.wait_for(r"one thing you.d like to remember", edited=True)
    assert "Skip" not in str(bens_follow_up.buttons)
    await ben.press(bens_follow_up, "3")
    rated = await ben.wait_for(r"you rated it 3 of 5", edited=True)
    assert "one thing you'd like to remember" in rated.text and not rated.buttons

    rows = await stored(bot)
    values = [r.value for d, r in rows if d.exercise_slug == "weekly-connection-scale"]
    assert values == [2]
    box = flows.services(bot).crypto
    words = [box.decrypt(r.text_ct) for d, r in rows if r.text_ct]
    assert words == ["The walk by the river."]
    # One rating prompt per completed exercise, not one per change of mind.
    prompts = [m for m in ana.messages if "How helpful" in m.text]
    assert len(prompts) == 2


async def test_several_open_exercises_ask_which_one(
    tg: FakeTelegram, bot: TwofoldApp, clock: ManualClock
) -> None:
    _marta, ana, _ben, public_id = await couple_with(tg, bot, "love-maps-week")
    await flows.assign(bot, public_id, "gratitude-week", date(2026, 11, 24))
    clock.set(DAY1)
    await flows.services(bot).dispatcher.tick()
    await ana.wait_for(r"Day 1")
    await ana.wait_for(r"Day 1")
    await ana.send("Three good things: coffee, the walk, your laugh.")
    question = await ana.wait_for(r"Which exercise is this the answer to")
    assert len(question.buttons) == 3  # two exercises and "Don't save it"
    await ana.press(question, question.buttons[1][0][0])
    await ana.wait_for(r"Saved your answer to")
    ((delivery, response),) = await stored(bot)
    assert delivery.status == "done" and response.text_ct is not None


async def test_an_answer_after_skipping_is_kept(
    tg: FakeTelegram, bot: TwofoldApp, clock: ManualClock
) -> None:
    _marta, ana, _ben, _ = await couple_with(tg, bot, "gratitude-week")
    clock.set(DAY1)
    await flows.services(bot).dispatcher.tick()
    exercise = await ana.wait_for(r"Day 1")
    await ana.wait_for_answer(await ana.press(exercise, "Skip"))
    await ana.send("Actually, I did think of three things.")
    await ana.wait_for(r"Saved your answer to")
    ((delivery, _response),) = await stored(bot)
    assert delivery.status == "done"


async def test_forged_answer_buttons_change_nothing(
    tg: FakeTelegram, bot: TwofoldApp, clock: ManualClock
) -> None:
    _marta, ana, ben, _ = await couple_with(tg, bot, "love-maps-week")
    clock.set(DAY1)
    await flows.services(bot).dispatcher.tick()
    exercise = await ana.wait_for(r"Day 1")
    bens = await ben.wait_for(r"Day 1")
    await ana.send("My answer.")
    rating = await ana.wait_for(r"How helpful")
    for user, message, data in [
        (ana, exercise, "dl:done"),  # answered already: closed
        (ana, exercise, "dl:v9"),  # a text exercise has no scale
        (ana, rating, "rt:9"),
        (ben, bens, "rt:5"),  # Ben's exercise is not done: nothing to rate
        (ben, bens, "an:1"),
        (ben, bens, "rt:x"),
    ]:
        query = await user.press_data(message, data)
        assert await user.wait_for_answer(query) == "This is no longer available."
    ((_, response),) = await stored(bot)
    assert response.rating is None and response.value is None


async def test_discreet_notifications_start_with_a_neutral_line(
    tg: FakeTelegram, bot: TwofoldApp, clock: ManualClock
) -> None:
    _marta, ana, ben, _ = await couple_with(tg, bot, "gratitude-week")
    await ana.send("/settings")
    await ana.press(await ana.wait_for(r"Your settings"), "Discreet notifications")
    await ana.press(await ana.wait_for(r"lock-screen preview"), "Yes")
    await ana.wait_for(r"start with a neutral line")
    clock.set(DAY1)
    await flows.services(bot).dispatcher.tick()
    assert (await ana.wait_for(r"Day 1")).text.startswith("You have a new message in Twofold.")
    assert not (await ben.wait_for(r"Day 1")).text.startswith("You have a new message")
