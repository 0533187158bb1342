"""Pairing end to end: therapists create couples, partners join, settings, leaving."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlmodel import select

from bot.clock import ManualClock
from bot.context import TwofoldApp
from bot.db.models import Partner
from bot.i18n import translator
from tests import flows
from tests.fakebotapi import FakeTelegram, FakeUser

es = translator("es")


def in_spanish(english_start: str) -> str:
    """A pattern for the Spanish translation of the message that starts like this."""
    for message in PROMPTS:
        if message.startswith(english_start):
            translated = es(message)
            assert translated != message, f"no Spanish for {message!r}"
            return re.escape(translated[:24])
    raise AssertionError(f"unknown prompt {english_start!r}")


PROMPTS = [
    "Before you join, please read this:",
    "What name should your partner and your therapist see? Type it, or keep this one:",
    "Which time zone are you in? Tap one, or type its name, like Europe/Berlin.",
    "At what time of day should your exercises arrive? Tap one, or type a time like "
    "08:30 or 8:30pm.",
    "Which language do you prefer?",
    "May your therapist read your written reflections? Your therapist always sees whether "
    "you did an exercise. You can change this at any time in /settings.",
]


async def partners(app: TwofoldApp) -> dict[int, Partner]:
    async with flows.services(app).database.session() as session:
        rows = (await session.exec(select(Partner))).all()
    return {row.telegram_id: row for row in rows}


async def test_two_partners_join_in_their_own_zones_and_languages(
    tg: FakeTelegram, bot: TwofoldApp
) -> None:
    await flows.grant_therapist(bot, 2001, "Dr. Marta Ruiz")
    marta = tg.user(2001, "Marta")
    ana = tg.user(1001, "Ana", language_code="en")
    ben = tg.user(1002, "Ben", language_code="es-MX")

    public_id, code_ana, code_ben = await flows.new_couple(marta, "Ana & Ben <3")
    created = marta.last
    assert created is not None and "Ana & Ben <3" in created.text  # shown escaped, intact

    await flows.accept_invite(ana, code_ana)
    name_prompt = await ana.wait_for(r"What name should")
    await ana.press(name_prompt, "Ana")
    await ana.wait_for(r"Which time zone")
    await ana.send("america/new_york")
    await ana.wait_for(r"At what time of day")
    await ana.send("7:15pm")
    await ana.press(await ana.wait_for(r"Which language"), "English")
    await ana.press(await ana.wait_for(r"May your therapist read"), "No, keep private")
    done = await ana.wait_for(r"All set!")
    assert "19:15" in done.text and "America/New_York" in done.text
    assert "Ana joined" in (await marta.wait_for(r"joined")).text

    await ben.send(f"/start {code_ben}")
    consent = await ben.wait_for(in_spanish("Before you join, please read this:"))
    assert "Dr. Marta Ruiz" in consent.text
    await ben.press(consent, es("Accept"))
    await ben.wait_for(in_spanish("What name should your partner and your therapist see?"))
    await ben.send("<b>Benji</b> 🦊")
    await ben.press(await ben.wait_for(in_spanish("Which time zone are you in?")), "Europe/Berlin")
    await ben.press(await ben.wait_for(in_spanish("At what time of day")), "08:00")
    await ben.press(await ben.wait_for(in_spanish("Which language do you prefer?")), "Español")
    await ben.press(await ben.wait_for(in_spanish("May your therapist read")), es("Yes, share"))
    await ben.wait_for(r"08:00.*Europe/Berlin|Europe/Berlin.*08:00")
    complete = await marta.wait_for(r"is complete")
    assert "Ana & Ben <3" in complete.text

    stored = await partners(bot)
    assert (stored[1001].timezone, stored[1001].delivery_time, stored[1001].language) == (
        "America/New_York", "19:15", "en",
    )  # fmt: skip
    assert (stored[1002].timezone, stored[1002].delivery_time, stored[1002].language) == (
        "Europe/Berlin", "08:00", "es",
    )  # fmt: skip
    assert stored[1002].display_name == "<b>Benji</b> 🦊", "names are stored as typed"
    assert (stored[1001].share_with_therapist, stored[1002].share_with_therapist) == (False, True)

    await marta.send(f"/couple {public_id}")
    details = await marta.wait_for(r"Partner 2")
    assert "<b>Benji</b> 🦊" in details.text, "shown as typed, which requires escaping"


async def test_two_people_racing_for_one_link_exactly_one_joins(
    tg: FakeTelegram, bot: TwofoldApp
) -> None:
    await flows.grant_therapist(bot, 2001)
    _, code, _ = await flows.new_couple(tg.user(2001, "Marta"), "Race")
    ana, eve = tg.user(1001, "Ana"), tg.user(1003, "Eve")
    for person in (ana, eve):
        await person.send(f"/start {code}")
    consents = [await person.wait_for(r"Before you join") for person in (ana, eve)]

    await ana.press(consents[0], "Accept")
    await eve.press(consents[1], "Accept")

    # Different people's updates are handled concurrently (bot/update_processor.py), so
    # either may win the race; exactly one does.
    def joined() -> FakeUser | None:
        named = [
            p for p in (ana, eve) if any("What name should" in (m.text or "") for m in p.messages)
        ]
        return named[0] if named else None

    winner = await tg.wait_until(joined, message="one of them to join")
    loser = eve if winner is ana else ana
    assert "already been used" in (await loser.wait_for(r"already been used", edited=True)).text
    assert set(await partners(bot)) == {winner.id}


async def test_bad_invite_codes_get_clear_answers_and_store_nothing(
    tg: FakeTelegram, bot: TwofoldApp, clock: ManualClock
) -> None:
    await flows.grant_therapist(bot, 2001)
    await flows.grant_therapist(bot, 2002)
    marta, other_therapist = tg.user(2001, "Marta"), tg.user(2002, "Olga")
    stranger = tg.user(1009, "Sam")
    public_id, code_1, code_2 = await flows.new_couple(marta, "First")

    cases = [
        ("A" * 32, r"isn't valid"),
        ("<script>alert(1)</script>", r"isn't valid"),
        ("", r"Hello, Sam"),
    ]
    for payload, expected in cases:
        await stranger.send(f"/start {payload}".strip())
        await stranger.wait_for(expected)

    await other_therapist.send(f"/start {code_1}")
    await other_therapist.wait_for(r"as a therapist you can't join")
    await marta.send(f"/start {code_1}")
    await marta.wait_for(r"as a therapist you can't join")

    await marta.send(f"/invite {public_id}")  # revokes both unused links
    fresh = flows.LINK.findall((await marta.wait_for(r"New links")).text)
    await stranger.send(f"/start {code_1}")
    await stranger.wait_for(r"replaced by a newer one")

    clock.advance(timedelta(days=7, seconds=1))
    await stranger.send(f"/start {fresh[0]}")
    await stranger.wait_for(r"has expired")
    assert await partners(bot) == {}
    assert code_2 not in fresh


async def test_used_full_archived_and_already_partnered_links(
    tg: FakeTelegram, bot: TwofoldApp
) -> None:
    await flows.grant_therapist(bot, 2001)
    marta = tg.user(2001, "Marta")
    ana, eve = tg.user(1001, "Ana"), tg.user(1003, "Eve")
    _, code_1, _ = await flows.new_couple(marta, "First")
    second_id, code_3, code_4 = await flows.new_couple(marta, "Second")
    await flows.onboard(ana, code_1)

    await eve.send(f"/start {code_1}")
    await eve.wait_for(r"already been used")
    await ana.send(f"/start {code_3}")
    await ana.wait_for(r"already part of a couple")

    await marta.send(f"/archive {second_id}")
    await marta.press(await marta.wait_for(r"Archive <b>|Archive Second"), "Archive")
    await marta.wait_for(r"is archived", edited=True)
    await eve.send(f"/start {code_4}")
    await eve.wait_for(r"program has ended")
    assert set(await partners(bot)) == {1001}


async def test_partners_cannot_use_therapist_commands_or_probe_ids(
    tg: FakeTelegram, bot: TwofoldApp
) -> None:
    await flows.grant_therapist(bot, 2001)
    await flows.grant_therapist(bot, 2002)
    marta, olga, ana = tg.user(2001, "Marta"), tg.user(2002, "Olga"), tg.user(1001, "Ana")
    public_id, code, _ = await flows.new_couple(marta, "Private")
    await flows.onboard(ana, code)

    for command in ("/couples", f"/couple {public_id}", "/newcouple X", "/library"):
        await ana.send(command)
        await ana.wait_for(r"isn't available to you")

    await olga.send(f"/couple {public_id}")
    theirs = (await olga.wait_for(r"can't find")).text
    await olga.send("/couple zzzzzz")
    missing = (await olga.wait_for(r"can't find")).text
    assert theirs.replace(public_id, "ID") == missing.replace("zzzzzz", "ID")


async def test_invalid_settings_are_explained_and_change_nothing(
    tg: FakeTelegram, bot: TwofoldApp
) -> None:
    await flows.grant_therapist(bot, 2001)
    ana = tg.user(1001, "Ana")
    _, code, _ = await flows.new_couple(tg.user(2001, "Marta"), "Settings")
    await flows.onboard(ana, code, timezone="Europe/Madrid", time="07:30")
    before = (await partners(bot))[1001]

    for command, answer in [
        ("/timezone Mars/Olympus", r"don't know the time zone"),
        ("/timezone berlin", r"Did you mean: Europe/Berlin"),
        ("/time 25:00", r"couldn't read"),
        ("/time soon", r"couldn't read"),
        ("/language klingon", r"don't speak"),
        ("/name " + "x" * 65, r"1 to 64 characters"),
    ]:
        await ana.send(command)
        await ana.wait_for(answer)

    after = (await partners(bot))[1001]
    assert after.model_dump() == before.model_dump()

    await ana.send("/time 9pm")
    await ana.wait_for(r"arrive at 21:00")
    await ana.send("/name Ana <i>&</i> 🌻")
    saved = await ana.wait_for(r"Your name is now")
    assert "Ana <i>&</i> 🌻" in saved.text
    assert (await partners(bot))[1001].display_name == "Ana <i>&</i> 🌻"


async def test_settings_menu_changes_one_setting_with_buttons(
    tg: FakeTelegram, bot: TwofoldApp
) -> None:
    await flows.grant_therapist(bot, 2001)
    ana = tg.user(1001, "Ana")
    _, code, _ = await flows.new_couple(tg.user(2001, "Marta"), "Menu")
    await flows.onboard(ana, code)

    await ana.send("/settings")
    menu = await ana.wait_for(r"Your settings")
    await ana.press(menu, "Time zone")
    prompt = await ana.wait_for(r"Which time zone")
    await ana.press(prompt, "America/Mexico_City")
    await ana.wait_for(r"time zone is now America/Mexico_City")
    # The keyboard is gone after a tap; an old client can still send its data.
    stale = await ana.press_data(prompt, "setup:timezone:Europe/London")

    assert await ana.wait_for_answer(stale) == "This is no longer available."
    assert (await partners(bot))[1001].timezone == "America/Mexico_City"


async def test_a_command_mid_step_leaves_the_step_open_and_it_survives_a_restart(
    tg: FakeTelegram, database_url: str, clock: ManualClock, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    from tests import e2e

    settings = e2e.settings_for(tg, database_url, tmp_path)
    ana = tg.user(1001, "Ana")
    async with e2e.running_bot(settings, clock) as app:
        await flows.grant_therapist(app, 2001)
        _, code, _ = await flows.new_couple(tg.user(2001, "Marta"), "Restart")
        await flows.accept_invite(ana, code)
        await ana.press(await ana.wait_for(r"What name should"), "Ana")
        await ana.wait_for(r"Which time zone")
        await ana.send("/help")
        await ana.wait_for(r"what you can do")

    async with e2e.running_bot(settings, clock):
        await ana.send("Asia/Tokyo")
        await ana.wait_for(r"At what time of day")


async def test_leaving_tells_the_other_partner_only_that_exercises_are_on_hold(
    tg: FakeTelegram, bot: TwofoldApp
) -> None:
    await flows.grant_therapist(bot, 2001)
    marta, ana, ben = tg.user(2001, "Marta"), tg.user(1001, "Ana"), tg.user(1002, "Ben")
    _, code_a, code_b = await flows.new_couple(marta, "Leaving")
    await flows.onboard(ana, code_a, name="Ana")
    await flows.onboard(ben, code_b, name="Benedict")
    await marta.wait_for(r"is complete")

    await ben.send("/leave")
    await ben.press(await ben.wait_for(r"Leave your couple"), "Leave")

    await ben.wait_for(r"You have left", edited=True)
    notice = await ana.wait_for(r"on hold")
    assert "Benedict" not in notice.text and "left" not in notice.text
    private = await marta.wait_for(r"left")
    assert "Benedict" in private.text
    assert (await partners(bot))[1002].is_current is False


async def test_therapist_browses_the_library(tg: FakeTelegram, bot: TwofoldApp) -> None:
    await flows.grant_therapist(bot, 2001, "Dr. Ruiz")
    marta = tg.user(2001, "Marta")
    library = flows.services(bot).library
    gratitude = library.set("gratitude-week")
    assert gratitude is not None

    await marta.send("/library")
    sets = await marta.wait_for(r"Exercise sets")
    await marta.press(sets, gratitude.title_in("en"))
    opened = await marta.wait_for(re.escape(gratitude.title_in("en")), edited=True)
    first = library.exercises_in_set("gratitude-week")[0]
    await marta.press(opened, first.title_in("en"))

    preview = await marta.wait_for(re.escape(first.title_in("en")), edited=True)
    assert "min" in preview.text and first.source.split(",")[0] in preview.text
