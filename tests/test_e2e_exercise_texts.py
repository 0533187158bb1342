"""Issue 16 end to end, in English and Spanish: the exercise message a partner receives.

Through the real bot and the fake Bot API: the time it takes, who will see the answer
(from mode, visibility and the partner's own sharing settings), no follow-up before the
answer, "Ana has already answered" when her answer came first (two time zones), and the
exercise's own reminder, replying to the exercise.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest

from bot.clock import ManualClock
from bot.context import TwofoldApp
from bot.delivery.audience import duration_line
from bot.i18n import translator
from bot.library import render_exercise, strip_telegram_html
from tests import flows
from tests.fakebotapi import FakeTelegram, FakeUser, SentMessage

LANGUAGES = {"en": "English", "es": "Español"}
START = date(2026, 11, 24)


def plain(html: str) -> str:
    return " ".join(strip_telegram_html(html).split())


def flat(text: str | None) -> str:
    return " ".join((text or "").split())


async def couple(
    tg: FakeTelegram, app: TwofoldApp, language: str, set_slug: str, *, ben_shares: bool
) -> tuple[FakeUser, FakeUser]:
    """Ana in Berlin and Ben in New York, both at 10:00, with `set_slug` from START."""
    await flows.grant_therapist(app, 2001)
    ana = tg.user(1001, "Ana", language_code=language)
    ben = tg.user(1002, "Ben", language_code=language)
    public_id, code_a, code_b = await flows.new_couple(tg.user(2001, "Marta"), "Texts")
    for user, code, zone, share in (
        (ana, code_a, "Europe/Berlin", False),
        (ben, code_b, "America/New_York", ben_shares),
    ):
        await flows.onboard(
            user, code, language=language, timezone=zone, time="10:00",
            choose_language=LANGUAGES[language], share=share,
        )  # fmt: skip
    await flows.assign(app, public_id, set_slug, START)
    return ana, ben


def exercise_texts(app: TwofoldApp, slug: str, language: str, *, me: str, other: str):  # type: ignore[no-untyped-def]
    exercise = flows.services(app).library.exercise(slug)
    assert exercise is not None
    rendered = render_exercise(
        exercise, language, recipient=me, partner=other, therapist="Marta", on=START
    )
    return exercise, rendered


@pytest.mark.parametrize("language", ["en", "es"])
async def test_a_shared_exercise_across_time_zones(
    tg: FakeTelegram, bot: TwofoldApp, clock: ManualClock, language: str
) -> None:
    _ = translator(language)
    ana, ben = await couple(tg, bot, language, "daily-connection", ben_shares=True)
    dispatcher = flows.services(bot).dispatcher
    exercise, for_ana = exercise_texts(bot, "open-ended-question", language, me="Ana", other="Ben")
    assert for_ana.follow_up is not None

    clock.set(datetime(2026, 11, 24, 9, 0, tzinfo=UTC))  # 10:00 in Berlin
    await dispatcher.tick()
    day_one = re.escape(_("Day {day} · {set}").split(" ")[0]) + " 1 "
    first = await ana.wait_for(day_one)
    text = flat(first.text)
    assert duration_line(5, language) in text
    assert {"en": "About 5 minutes", "es": "Unos 5 minutos"}[language] in text
    sees = _("{partner} sees {what} once you have both answered.")
    assert sees.format(partner="Ben", what=_("your answer")) in text
    assert plain(for_ana.prompt) in text
    assert plain(for_ana.follow_up) not in text  # asked after the answer, not before
    assert _("{partner} has already answered.").format(partner="Ben")[:-1] not in text

    await ana.send("A day by the sea, no phones.", reply_to=first)
    await ana.wait_for()  # the bot has taken her answer

    clock.set(datetime(2026, 11, 24, 15, 0, tzinfo=UTC))  # 10:00 in New York
    await dispatcher.tick()
    bens = await ben.wait_for(day_one)
    text = flat(bens.text)
    already = _("{partner} has already answered; you'll see each other's answers once you answer.")
    assert already.format(partner="Ana") in text
    also = _(
        "{partner} sees {what} once you have both answered, and your therapist sees "
        "it too (you allowed it in /settings)."
    )
    assert also.format(partner="Ana", what=_("your answer")) in text
    if language == "es":
        assert "Ana ya respondió; verán la respuesta de la otra persona cuando respondas." in text

    # Later, then the exercise's own reminder, as a reply to the exercise.
    later = await ben.press(bens, _("Later: 1 hour"))
    await ben.wait_for_answer(later)
    clock.advance(timedelta(hours=1))
    await dispatcher.tick()
    _exercise, for_ben = exercise_texts(bot, "open-ended-question", language, me="Ben", other="Ana")
    reminder = await ben.wait_for(re.escape(plain(for_ben.reminder)[:20]))
    assert flat(reminder.text).startswith(plain(for_ben.title))
    assert plain(for_ben.reminder) in flat(reminder.text)
    assert already.format(partner="Ana") in flat(reminder.text)
    assert reminder.reply_to is bens
    assert "Whenever it suits you" not in flat(reminder.text)
    assert exercise.minutes == 5


@pytest.mark.parametrize("language", ["en", "es"])
async def test_a_together_exercise_and_a_scale_say_what_is_recorded(
    tg: FakeTelegram, bot: TwofoldApp, clock: ManualClock, language: str
) -> None:
    _ = translator(language)
    ana, _ben = await couple(tg, bot, language, "weekly-check-in", ben_shares=False)
    clock.set(datetime(2026, 11, 24, 9, 0, tzinfo=UTC))
    await flows.services(bot).dispatcher.tick()
    union, union_texts = exercise_texts(bot, "state-of-the-union", language, me="Ana", other="Ben")
    scale, scale_texts = exercise_texts(
        bot, "weekly-connection-scale", language, me="Ana", other="Ben"
    )
    await ana.wait_for(re.escape(plain(scale_texts.title)))
    together, rating = (
        next(m for m in ana.messages if m.from_bot and flat(m.text).startswith(plain(title)))
        for title in (union_texts.title, scale_texts.title)
    )

    text = flat(together.text)
    assert duration_line(union.minutes, language) in text
    assert {"en": "About 45 minutes", "es": "Unos 45 minutos"}[language] in text
    recorded = _("Only whether you did it is recorded; {partner} and your therapist see that.")
    assert recorded.format(partner="Ben") in text
    assert union_texts.follow_up and plain(union_texts.follow_up) not in text

    text = flat(rating.text)
    assert duration_line(scale.minutes, language) in text
    number = _("Only you and your therapist see {what}.").format(what=_("the number you choose"))
    assert number in text
    if language == "es":
        assert "Solo tú y tu terapeuta ven el número que elijas." in text
    assert scale_texts.follow_up and plain(scale_texts.follow_up) not in text


@pytest.mark.parametrize("language", ["en", "es"])
async def test_the_therapist_line_follows_each_partners_own_settings(
    tg: FakeTelegram, bot: TwofoldApp, clock: ManualClock, language: str
) -> None:
    _ = translator(language)
    ana, ben = await couple(tg, bot, language, "starting-therapy", ben_shares=True)
    dispatcher = flows.services(bot).dispatcher
    _exercise, texts = exercise_texts(
        bot, "what-we-want-from-therapy", language, me="Ana", other="Ben"
    )
    clock.set(datetime(2026, 11, 24, 9, 0, tzinfo=UTC))
    await dispatcher.tick()
    anas: SentMessage = await ana.wait_for(re.escape(plain(texts.title)))
    clock.set(datetime(2026, 11, 24, 15, 0, tzinfo=UTC))
    await dispatcher.tick()
    bens: SentMessage = await ben.wait_for(re.escape(plain(texts.title)))

    private = _("Only you see {what}; your therapist would if you allowed it in /settings.")
    assert private.format(what=_("your answer")) in flat(anas.text)
    shared = _("Only you and your therapist see {what} (you allowed it in /settings).")
    assert shared.format(what=_("your answer")) in flat(bens.text)
    if language == "es":
        assert "Solo tú y tu terapeuta ven tu respuesta (lo permitiste en /settings)." in flat(
            bens.text
        )
