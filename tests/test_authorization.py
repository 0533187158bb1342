"""Who may do what, over every command and every button the running bot registers.

Actors: therapist A and therapist B (each with a couple), partners of both couples, a
stranger, a partner who left, and a partner of an archived couple. Commands and button
prefixes are discovered from the application and the menus, so a new one fails the
test until it is classified here. Unauthorized must look exactly like not found, and a
forged button gets "This is no longer available." and changes nothing.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlmodel import SQLModel, col, select
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.clock import ManualClock
from bot.context import TwofoldApp
from bot.db.models import Assignment, Couple, Delivery, Flag, Partner
from bot.handlers.menu import COMMANDS
from bot.services import erasure
from tests import flows
from tests.fakebotapi import FakeTelegram, FakeUser

DAY1 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
NOT_FOR_YOU = "That command isn't available to you. Send /help to see yours."
STALE = "This is no longer available."
NO_SUCH_COUPLE = "zz9zz9"

# Every command, by who may use it. A command missing here fails the test.
ANYONE = {"start", "help", "privacy", "mydata", "deleteme", "clear", "safetyplan"}
THERAPIST_ONLY = {"newcouple", "couples", "library", "digest"}
THERAPIST_COUPLE_ID = {
    "couple", "invite", "archive", "assign", "assignments", "report", "export", "brief",
    "flags",
}  # fmt: skip
PARTNER_ONLY = {
    "today", "pause", "resume", "quiet", "leave", "name", "time", "progress", "tell",
}  # fmt: skip
MEMBERS = {"settings", "timezone", "language"}  # therapists and partners
CLASSIFIED = ANYONE | THERAPIST_ONLY | THERAPIST_COUPLE_ID | PARTNER_ONLY | MEMBERS
# Refused with an explanation of what the command is for (the same for everyone refused).
EXPLAINS_REFUSAL = {"tell"}
PRIVATE_NAMES = ("Couple A", "Couple B", "Old", "Gone", "Dr. A", "Dr. B", "Ana", "Ben", "Lea")
# Commands other work this session promised (issue 7 and its neighbours).
EXPECTED = {"progress", "report", "export", "brief", "digest", "safetyplan", "tell", "clear"}
# Tables a refused action may still write to: the replay guard and the audit trail.
UNGUARDED_TABLES = {"processed_updates", "audit_log"}


@dataclass
class World:
    therapist_a: FakeUser
    therapist_b: FakeUser
    ana: FakeUser  # couple A
    cleo: FakeUser  # couple B
    stranger: FakeUser
    left: FakeUser  # left couple "Gone" of therapist B
    archived: FakeUser  # partner of therapist A's archived couple
    couple_a: str
    couple_b: str
    couple_archived: str


async def build_world(tg: FakeTelegram, bot: TwofoldApp, clock: ManualClock) -> World:
    await flows.grant_therapist(bot, 2001, "Dr. A")
    await flows.grant_therapist(bot, 2002, "Dr. B")
    ta, tb = tg.user(2001, "Alma"), tg.user(2002, "Bruno")
    ana, ben = tg.user(1001, "Ana"), tg.user(1002, "Ben")
    cleo, dan = tg.user(1003, "Cleo"), tg.user(1004, "Dan")
    olga, lea = tg.user(1005, "Olga"), tg.user(1006, "Lea")
    couple_a, code_ana, code_ben = await flows.new_couple(ta, "Couple A")
    couple_b, code_cleo, code_dan = await flows.new_couple(tb, "Couple B")
    couple_old, code_olga, _ = await flows.new_couple(ta, "Old")
    _gone, code_lea, _ = await flows.new_couple(tb, "Gone")
    for user, code in ((ana, code_ana), (ben, code_ben), (cleo, code_cleo), (dan, code_dan),
                       (olga, code_olga), (lea, code_lea)):  # fmt: skip
        await flows.onboard(user, code, time="10:00")
    for public_id in (couple_a, couple_b):
        await flows.assign(bot, public_id, "love-maps-week", date(2026, 11, 24))
    await ta.send(f"/archive {couple_old}")
    await ta.press(await ta.wait_for(r"Archive <b>Old</b>|Archive Old"), "Archive")
    await olga.wait_for(r"closed this program")
    await lea.send("/leave")
    await lea.press(await lea.wait_for(r"Leave your couple"), "Leave")
    await lea.wait_for(r"You have left", edited=True)
    clock.set(DAY1)
    await flows.services(bot).dispatcher.tick()
    for user in (ana, ben, cleo, dan):
        await user.wait_for(r"Day 1")
    stranger = tg.user(3001, "Sam")
    await stranger.send("/help")
    await stranger.wait_for(r"Here is what you can do")
    return World(ta, tb, ana, cleo, stranger, lea, olga, couple_a, couple_b, couple_old)


def registered_commands(app: TwofoldApp) -> set[str]:
    found = {name for role in COMMANDS.values() for name, _ in role}
    for handlers in app.handlers.values():
        for handler in handlers:
            if isinstance(handler, CommandHandler):
                found |= set(handler.commands)
    return found


def registered_button_prefixes(app: TwofoldApp) -> set[str]:
    found = set()
    for handlers in app.handlers.values():
        for handler in handlers:
            if isinstance(handler, CallbackQueryHandler) and handler.pattern is not None:
                pattern = getattr(handler.pattern, "pattern", handler.pattern)
                match = re.match(r"\^([A-Za-z0-9_-]+)(:|\$)", str(pattern))
                assert match, f"cannot read the prefix of callback pattern {pattern!r}"
                found.add(match.group(1))
    return found


async def snapshot(app: TwofoldApp) -> dict[str, list[Any]]:
    """Every row of every table a refused action must not touch."""
    rows: dict[str, list[Any]] = {}
    async with flows.services(app).database.session() as session:
        connection = await session.connection()
        for table in SQLModel.metadata.sorted_tables:
            if table.name not in UNGUARDED_TABLES:
                query = table.select().order_by(*table.primary_key.columns)
                rows[table.name] = [tuple(row) for row in (await connection.execute(query)).all()]
    return rows


def pause(clock: ManualClock) -> None:
    """Act at a person's pace: the flood guard (per user, on the clock) stays out of it."""
    clock.advance(timedelta(seconds=2))


async def answer_to(user: FakeUser, text: str, clock: ManualClock) -> str:
    """Send `text`; return the bot's first reply to it."""
    pause(clock)
    user._cursor["new"] = len(user.chat.events)  # only replies from now on
    await user.send(text)
    return (await user.wait_for()).text or ""


def test_every_expected_command_exists(tg: FakeTelegram, bot: TwofoldApp) -> None:
    missing = EXPECTED - registered_commands(bot)
    assert not missing, f"expected commands not registered yet: {sorted(missing)}"


async def test_every_command_refuses_exactly_like_not_found(
    tg: FakeTelegram, bot: TwofoldApp, clock: ManualClock
) -> None:
    registered = registered_commands(bot)
    unclassified = registered - CLASSIFIED
    assert not unclassified, f"classify these commands in {__file__}: {sorted(unclassified)}"
    w = await build_world(tg, bot, clock)
    before = await snapshot(bot)
    present = sorted(registered)

    def is_(kind: set[str]) -> list[str]:
        return [c for c in present if c in kind]

    # Roles: a command that is not yours gets one answer, whoever you are.
    refused = {
        w.stranger: is_(PARTNER_ONLY | MEMBERS | THERAPIST_ONLY | THERAPIST_COUPLE_ID),
        w.left: is_(PARTNER_ONLY | MEMBERS | THERAPIST_ONLY | THERAPIST_COUPLE_ID),
        w.ana: is_(THERAPIST_ONLY | THERAPIST_COUPLE_ID),
        w.archived: is_(THERAPIST_ONLY | THERAPIST_COUPLE_ID),
        w.therapist_a: is_(PARTNER_ONLY),
    }
    replies: dict[tuple[str, FakeUser], str] = {}
    for user, commands in refused.items():
        for command in commands:
            text = await answer_to(user, f"/{command} {w.couple_a}", clock)
            replies[command, user] = text
            if command in EXPLAINS_REFUSAL:
                assert not any(name in text for name in PRIVATE_NAMES), text
            else:
                assert text == NOT_FOR_YOU, f"{user.name} /{command}: {text!r}"
    for command in is_(PARTNER_ONLY | MEMBERS | THERAPIST_ONLY | THERAPIST_COUPLE_ID):
        if command == "tell":  # reaches the former therapist for 30 days (test_e2e_private_line)
            continue
        # Someone who left is answered exactly like someone who never joined.
        assert replies[command, w.left] == replies[command, w.stranger], command

    # Someone else's couple, and an archived one of someone else, look like no couple.
    probes = [
        (w.therapist_a, w.couple_b),
        (w.therapist_b, w.couple_a),
        (w.therapist_b, w.couple_archived),
    ]
    for command in is_(THERAPIST_COUPLE_ID):
        for therapist, public_id in probes:
            theirs = await answer_to(therapist, f"/{command} {public_id}", clock)
            nobody = await answer_to(therapist, f"/{command} {NO_SUCH_COUPLE}", clock)
            assert theirs.replace(public_id, "<id>") == nobody.replace(NO_SUCH_COUPLE, "<id>"), (
                f"{therapist.name} /{command} {public_id}: {theirs!r} vs {nobody!r}"
            )
            assert public_id not in theirs.replace(f"id {public_id}", ""), theirs

    after = await snapshot(bot)
    # The one command above that is not refused: /tell of someone who left still reaches
    # their former therapist (line 183), and is kept for that therapist's /export.
    told = [row for row in after.pop("tell_messages") if row not in before.pop("tell_messages")]
    assert [row[3] for row in told] == ["to_therapist"] * len(told) and len(told) <= 2, told
    assert after == before, "a refused command changed the database"

    # Commands for everyone answer everyone, about themselves only.
    for user in (w.stranger, w.left, w.archived, w.ana, w.therapist_b):
        for command in is_(ANYONE - {"clear", "start"}):
            text = await answer_to(user, f"/{command}", clock)
            assert "Couple A" not in text or user in (w.ana,), f"{user.name} /{command}"


async def test_forged_buttons_are_no_longer_available_and_change_nothing(
    tg: FakeTelegram, bot: TwofoldApp, clock: ManualClock
) -> None:
    w = await build_world(tg, bot, clock)
    async with flows.services(bot).database.session() as session:
        deliveries = {
            p.telegram_id: d.id
            for d, p in (
                await session.exec(
                    select(Delivery, Partner).join(Partner, col(Partner.id) == Delivery.partner_id)
                )
            ).all()
        }
        assignment_b = (
            await session.exec(
                select(Assignment.id)
                .join(Couple, col(Couple.id) == Assignment.couple_id)
                .where(Couple.public_id == w.couple_b)
            )
        ).one()
        partner_ids = {p.telegram_id: p.id for p in (await session.exec(select(Partner))).all()}
        # An open flag of therapist B's couple (Cleo's), for the "Mark as seen" buttons.
        cleos_flag = Flag(partner_id=partner_ids[1003], created_at=clock.now())  # type: ignore[arg-type]
        session.add(cleos_flag)
        await session.flush()
        cleos_flag_id = cleos_flag.id
    crypto, now = flows.services(bot).crypto, clock.now()
    anas_erase = erasure.confirmation_token(secret=crypto.keys[0], telegram_id=1001, now=now)
    assert {1001, 1003} <= set(deliveries)  # Ana and Cleo each have an exercise on screen

    # prefix -> (who presses, forged data); every registered prefix must be here.
    forged: dict[str, list[tuple[FakeUser, str]]] = {
        # Exercise buttons name no delivery: the message they sit on does, looked up in the
        # presser's own chat. Pressed on a message that shows no delivery of theirs:
        "dl": [
            (w.stranger, "dl:done"), (w.left, "dl:done"), (w.therapist_a, "dl:skip"),
            (w.archived, "dl:done"), (w.cleo, "dl:s9"), (w.ana, "dl:v99"),
            (w.ana, "dl:not-an-action"),
        ],
        "rt": [(w.ana, "rt:5"), (w.stranger, "rt:1"), (w.ana, "rt:x")],
        "an": [(w.ana, "an:0"), (w.ana, "an:0:add"), (w.stranger, "an:3")],
        # Where stray words go: only the presser's own kept message, if one waits.
        "nh": [(w.ana, "nh:t"), (w.ana, "nh:a"), (w.stranger, "nh:x"), (w.ana, "nh:q")],
        "arch": [
            (w.therapist_a, f"arch:yes:{w.couple_b}"), (w.ana, f"arch:yes:{w.couple_a}"),
            (w.stranger, f"arch:yes:{w.couple_a}"),
        ],
        "asgs": [
            (w.therapist_a, f"asgs:{action}:{assignment_b}")
            for action in ("confirm", "cancel", "pause", "resume")
        ] + [(w.therapist_a, f"asgs:list:{w.couple_b}"), (w.ana, f"asgs:confirm:{assignment_b}")],
        "assign": [
            (w.therapist_a, f"assign:c:{w.couple_b}"), (w.ana, f"assign:c:{w.couple_a}"),
            (w.therapist_a, "assign:s:love-maps-week"), (w.therapist_a, "assign:d:today"),
        ],
        "leave": [(w.stranger, "leave:yes"), (w.therapist_a, "leave:yes"), (w.left, "leave:yes")],
        "setup": [
            (w.stranger, "setup:share:yes"), (w.therapist_a, "setup:share:yes"),
            (w.ana, "setup:name:keep"),
        ],
        "settings": [(w.stranger, "settings:name"), (w.therapist_a, "settings:share")],
        "lib": [(w.stranger, "lib:set:love-maps-week"), (w.ana, "lib:ex:love-maps-inner-world")],
        "erase": [(w.cleo, f"erase:{anas_erase}"), (w.stranger, f"erase:{anas_erase}")],
        # Reply to a /tell: only the therapist that partner's /tell reaches now.
        "tr": [
            (w.therapist_a, f"tr:{partner_ids[1003]}"), (w.therapist_a, f"tr:{partner_ids[1006]}"),
            (w.therapist_b, f"tr:{partner_ids[1001]}"), (w.ana, f"tr:{partner_ids[1001]}"),
            (w.stranger, f"tr:{partner_ids[1001]}"), (w.therapist_a, "tr:999999"),
            (w.therapist_a, "tr:x"),
        ],
        "fs": [
            (w.therapist_a, f"fs:{cleos_flag_id}"), (w.cleo, f"fs:{cleos_flag_id}"),
            (w.stranger, f"fs:{cleos_flag_id}"), (w.therapist_a, "fs:999999"),
        ],
        "fa": [
            (w.therapist_a, f"fa:{w.couple_b}:999999"), (w.cleo, f"fa:{w.couple_b}:999999"),
            (w.therapist_b, f"fa:{w.couple_a}:999999"), (w.therapist_a, "fa:x"),
        ],
        # A safety check-in's answer: only the person who was asked, about that check-in.
        "ck": [
            (w.ana, "ck:999999:safe"), (w.stranger, "ck:1:not_sure"), (w.cleo, "ck:1:need_help"),
            (w.ana, "ck:x:safe"), (w.ana, "ck:1:maybe"),
        ],
        "zz": [(w.ana, "zz:unknown")],  # no handler at all: the fallback answers
    }  # fmt: skip
    # Buttons that carry no id and act only on the presser's own data: any answer is
    # fine, but pressing them must not change anything of anyone else's.
    own: dict[str, list[tuple[FakeUser, str]]] = {
        "sp": [(w.stranger, "sp:yes"), (w.cleo, "sp:yes"), (w.therapist_a, "sp:del")],
        "sos": [(w.stranger, "sos"), (w.left, "sos")],
        # Skip a follow-up: ends only the presser's own follow-up step, if one is open.
        "fu": [(w.stranger, "fu:skip"), (w.ana, "fu:skip"), (w.therapist_a, "fu:skip")],
    }
    # join carries a secret invite code, not an id: a forged code is an unknown code.
    join = [(w.stranger, "join:ok:forged-code-000000000000000000000"), (w.ana, "join:ok:x")]
    unclassified = registered_button_prefixes(bot) - set(forged) - set(own) - {"join"}
    assert not unclassified, f"classify these button prefixes in {__file__}: {unclassified}"
    before = await snapshot(bot)

    problems = []
    for presses in forged.values():
        for user, data in presses:
            target = user.last
            edits = len(target.edits)
            pause(clock)
            query = await user.press_data(target, data)
            answer = await user.wait_for_answer(query)
            if answer != STALE:
                with contextlib.suppress(AssertionError):  # no edit at all is reported below
                    await tg.wait_until(lambda t=target, n=edits: len(t.edits) > n, timeout=2)  # type: ignore[misc]
                if target.text != STALE:
                    problems.append(f"{user.name} pressing {data!r}: {answer!r} / {target.text!r}")
            if await snapshot(bot) != before:
                problems.append(f"{user.name} pressing {data!r} changed the database")
                before = await snapshot(bot)
    for presses in own.values():
        for user, data in presses:
            pause(clock)
            await user.wait_for_answer(await user.press_data(user.last, data))
    if await snapshot(bot) != before:
        problems.append("a button acting on the presser's own data changed the database")
    assert not problems, "forged buttons:\n" + "\n".join(problems)
    for user, data in join:
        pause(clock)
        query = await user.press_data(user.last, data)
        await user.wait_for_answer(query)
        refused = await user.wait_for(r"isn't valid", edited=True)
        assert (
            refused.text == "This invite link isn't valid. Please ask your therapist for a new one."
        )
    assert await snapshot(bot) == before
