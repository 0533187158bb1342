"""What the therapist sees of values and text (issue 16), on a real database.

Values of a `private` exercise stay with the partner unless the exercise says the
therapist sees them (`therapist_sees_values`); sharing turned on later applies from then
on unless the partner includes earlier answers; /report, /brief and /progress show
scale answers and what was written; the export says which answers were kept private.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta
from pathlib import Path

from cryptography.fernet import Fernet
from sqlmodel import select

from bot.db.engine import Database
from bot.db.models import Flag, Partner, TellMessage
from bot.library import load_library
from bot.library.validate import check_path
from bot.services import (
    brief,
    erasure,
    export,
    mydata,
    progress,
    reports,
    retention,
    tells,
    visibility,
)
from bot.services.crypto import Box
from tests.delivery_world import library
from tests.reporting_world import Seeded, deliver, seed, utc
from tests.test_library_loader import write_exercise

D0 = date(2026, 11, 16)
NOW = utc(2026, 11, 23, 12)
BOX = Box([Fernet.generate_key()])


async def scales_week(database: Database) -> Seeded:
    """Ana rates the weekly connection (the therapist sees it) and her flooding (private)."""
    world = await seed(database, share=(True, False))
    ana, ben = world.partners
    for offset, value in ((0, 3), (3, 5)):
        await deliver(database, world, ana, D0 + timedelta(days=offset), "done",
                      exercise="weekly-connection-scale", value=value, box=BOX)  # fmt: skip
    await deliver(database, world, ana, D0 + timedelta(days=1), "done",
                  exercise="flooding-check", value=4, box=BOX)  # fmt: skip
    await deliver(database, world, ben, D0, "done", exercise="weekly-connection-scale", value=2)
    await deliver(database, world, ben, D0 + timedelta(days=1), "done",
                  exercise="notice-the-bids", value=1)  # fmt: skip
    await deliver(database, world, ben, D0 + timedelta(days=2), "done", text="BEN-SECRET", box=BOX)
    return world


async def _report(database: Database, world: Seeded) -> reports.Report:
    async with database.session() as session:
        found = await reports.report(
            session=session, therapist=world.therapist, public_id="k7m2qx", weeks=4,
            now=NOW, box=BOX, library=library(),
        )  # fmt: skip
    assert found is not None
    return found


async def _export(database: Database, world: Seeded) -> export.Export:
    async with database.session() as session:
        found = await export.export(
            session=session, therapist=world.therapist, public_id="k7m2qx", now=NOW,
            box=BOX, library=library(),
        )  # fmt: skip
    assert found is not None
    return found


async def test_private_values_stay_private_and_promised_ones_are_shown(database: Database) -> None:
    world = await scales_week(database)
    found = await _report(database, world)
    seen = {(s.partner, s.exercise): (s.values, s.latest, s.trend) for s in found.scales}
    assert seen == {
        ("Ana", "weekly-connection-scale"): ([3, 5], 5, "up"),
        ("Ben", "weekly-connection-scale"): ([2], 2, None),
    }
    exported = _csv(await _export(database, world))
    values = {(r["partner"], r["exercise"]): r["value"] for r in exported}
    assert values[("Ana", "flooding-check")] == ""
    assert values[("Ben", "notice-the-bids")] == ""
    assert values[("Ben", "weekly-connection-scale")] == "2"
    async with database.session() as session:
        page = await brief.build(
            session=session, therapist=world.therapist, public_id="k7m2qx",
            now=utc(2026, 11, 20, 12), box=BOX, library=library(),
        )  # fmt: skip
    assert page is not None
    assert {(s.partner, s.exercise) for s in page.scales} == {
        ("Ana", "weekly-connection-scale"),
        ("Ben", "weekly-connection-scale"),
    }
    # Without the library nothing tells the value may be shown: none is.
    async with database.session() as session:
        bare = await reports.report(
            session=session, therapist=world.therapist, public_id="k7m2qx", weeks=4,
            now=NOW, box=BOX,
        )  # fmt: skip
    assert bare is not None and bare.scales == []


async def test_what_was_written_is_counted_where_the_text_is_not_shown(database: Database) -> None:
    world = await scales_week(database)
    ana, _ben = world.partners
    await deliver(database, world, ana, D0 + timedelta(days=4), "done", text="Ana's words", box=BOX)
    found = await _report(database, world)
    written = {w.partner: (w.readable, w.private) for w in found.written}
    assert written == {"Ana": (1, 0), "Ben": (0, 1)}
    assert [row.text for row in found.answers] == ["Ana's words"]


def _csv(found: export.Export) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(found.csv.decode("utf-8-sig"))))


async def test_the_export_has_set_assignment_answer_state_and_flags(database: Database) -> None:
    world = await scales_week(database)
    _ana, ben = world.partners
    async with database.session() as session:
        assert ben.id is not None
        session.add(Flag(partner_id=ben.id, kind="crisis", created_at=utc(2026, 11, 18, 21)))
    found = await _export(database, world)
    rows = _csv(found)
    assert {"set", "assignment", "answer"} <= set(rows[0])
    assert {r["set"] for r in rows} == {"gratitude-week"}
    assert {r["assignment"] for r in rows} == {str(world.assignment.id)}
    states = {(r["partner"], r["exercise"]): r["answer"] for r in rows}
    assert states[("Ben", "gratitude-three-things")] == "private"  # written, not shared
    assert states[("Ben", "weekly-connection-scale")] == "none"  # a tap, no words
    assert b"BEN-SECRET" not in found.csv and b"BEN-SECRET" not in found.json
    document = json.loads(found.json)
    assert document["columns"] == export.COLUMNS
    assert document["flags"] == [
        {"partner": "Ben", "partner_slot": 2, "kind": "crisis",
         "raised_utc": "2026-11-18T21:00:00Z", "seen_utc": None},
    ]  # fmt: skip


async def _share_from(database: Database, partner: Partner, *, earlier: bool, day: int) -> None:
    async with database.session() as session:
        await visibility.set_therapist_sharing(
            session=session, partner=partner, share=True, include_earlier=earlier,
            now=utc(2026, 11, day, 12),
        )  # fmt: skip


async def test_sharing_turned_on_later_applies_from_then_on(database: Database) -> None:
    world = await seed(database, share=(False, False))
    ana, _ben = world.partners
    await deliver(database, world, ana, D0, "done", text="written while private", box=BOX)
    await _share_from(database, ana, earlier=False, day=18)
    await deliver(database, world, ana, D0 + timedelta(days=3), "done", text="after", box=BOX)

    found = await _report(database, world)
    assert [row.text for row in found.answers] == ["after"]
    assert {w.partner: (w.readable, w.private) for w in found.written} == {"Ana": (1, 1)}
    rows = _csv(await _export(database, world))
    assert [r["answer"] for r in rows] == ["private", "written"]
    assert b"written while private" not in (await _export(database, world)).json

    # Saying yes again keeps the start; choosing to include earlier answers opens them.
    await _share_from(database, ana, earlier=False, day=22)
    assert [row.text for row in (await _report(database, world)).answers] == ["after"]
    await _share_from(database, ana, earlier=True, day=22)
    found = await _report(database, world)
    assert [row.text for row in found.answers] == ["written while private", "after"]


async def test_sharing_off_then_on_again_starts_again(database: Database) -> None:
    world = await seed(database, share=(True, False))
    ana, _ben = world.partners
    await deliver(database, world, ana, D0, "done", text="shared at setup", box=BOX)
    async with database.session() as session:
        await visibility.set_therapist_sharing(
            session=session, partner=ana, share=False, include_earlier=False, now=NOW
        )
    assert (await _report(database, world)).answers == []
    await _share_from(database, ana, earlier=False, day=23)
    assert (await _report(database, world)).answers == []
    assert ana.therapist_sharing_since == utc(2026, 11, 23, 12)


async def test_progress_shows_a_partner_only_their_own_values(database: Database) -> None:
    world = await scales_week(database)
    ana, ben = world.partners
    async with database.session() as session:
        own = await progress.own_answers(session=session, partner=ana, library=library())
        bens = await progress.own_answers(session=session, partner=ben, library=library())
    assert {(s.partner, s.exercise): s.values for s in own.scales} == {
        ("Ana", "weekly-connection-scale"): [3, 5],
        ("Ana", "flooding-check"): [4],  # her own, even though private
    }
    assert own.written == 0
    assert [s.partner for s in bens.scales] == ["Ben"] and bens.written == 1


def test_builtin_exercises_that_promise_the_number_show_it() -> None:
    for exercise in load_library().library.exercises.values():
        if exercise.therapist_sees_values:
            assert exercise.response in ("scale", "choice"), exercise.slug
            assert exercise.visibility == "therapist", exercise.slug
        if exercise.visibility == "private":
            assert not exercise.therapist_sees_values, exercise.slug
    exercises = load_library().library.exercises
    assert exercises["weekly-connection-scale"].therapist_sees_values
    assert exercises["private-safety-check-in"].therapist_sees_values
    assert not exercises["flooding-check"].therapist_sees_values
    assert not exercises["notice-the-bids"].therapist_sees_values


def test_the_validator_checks_therapist_sees_values(tmp_path: Path) -> None:
    path = write_exercise(tmp_path, "kind-words")
    path.write_text(path.read_text("utf-8") + "therapist_sees_values: true\n", "utf-8")
    report = check_path(path)
    assert any("only a scale or choice" in p.message for p in report.problems)

    path.write_text(
        path.read_text("utf-8").replace(
            "therapist_sees_values: true\n", "therapist_sees_values: maybe\n"
        ),
        "utf-8",
    )
    assert any("true or false" in p.message for p in check_path(path).problems)

    scale = write_exercise(
        tmp_path, "rate-it", **{"response: text": "response: scale",
                                "visibility: private": "visibility: therapist"}
    )  # fmt: skip
    report = check_path(scale)
    assert report.problems == []
    assert any("therapist_sees_values: true" in w.message for w in report.warnings)
    scale.write_text(scale.read_text("utf-8") + "therapist_sees_values: true\n", "utf-8")
    report = check_path(scale)
    assert report.problems == [] and report.warnings == []
    assert load_library(tmp_path).library.exercises["rate-it"].therapist_sees_values


async def test_tell_messages_are_the_therapists_own_and_erasure_reaches_them(
    database: Database,
) -> None:
    world = await scales_week(database)
    ana, ben = world.partners
    other = await seed(database, therapist_telegram_id=3001, public_id="zzzzzz")
    assert ana.id and ben.id and world.therapist.id and other.therapist.id
    async with database.session() as session:
        for partner_id, therapist_id, direction, text, day in (
            (ana.id, world.therapist.id, tells.TO_THERAPIST, "Ana to Dr. Ruiz", 18),
            (ana.id, world.therapist.id, tells.TO_PARTNER, "Dr. Ruiz to Ana", 19),
            (ben.id, other.therapist.id, tells.TO_THERAPIST, "NOT-THIS-THERAPIST", 20),
        ):
            await tells.record(
                session=session, crypto=BOX, partner_id=partner_id, therapist_id=therapist_id,
                direction=direction, text=text, now=utc(2026, 11, day, 9),
            )  # fmt: skip
    found = await _export(database, world)
    document = json.loads(found.json)
    assert document["tell_messages"] == [
        {"partner": "Ana", "partner_slot": 1, "direction": "to_therapist",
         "sent_utc": "2026-11-18T09:00:00Z", "text": "Ana to Dr. Ruiz"},
        {"partner": "Ana", "partner_slot": 1, "direction": "to_partner",
         "sent_utc": "2026-11-19T09:00:00Z", "text": "Dr. Ruiz to Ana"},
    ]  # fmt: skip
    assert b"NOT-THIS-THERAPIST" not in found.json and b"Dr. Ruiz" not in found.csv

    async with database.session() as session:
        mine = await mydata.collect(session=session, telegram_id=ana.telegram_id, box=BOX, now=NOW,
                                    library=library())  # fmt: skip
    [membership] = mine["memberships"]
    assert [m["text"] for m in membership["tell_messages"]] == [
        "Ana to Dr. Ruiz",
        "Dr. Ruiz to Ana",
    ]

    async with database.session() as session:
        await erasure.erase(session=session, telegram_id=ana.telegram_id, now=NOW)
    document = json.loads((await _export(database, world)).json)
    assert [m["text"] for m in document["tell_messages"]] == [None, None]
    assert [m["direction"] for m in document["tell_messages"]] == ["to_therapist", "to_partner"]

    async with database.session() as session:
        purged = await retention.purge(session=session, now=utc(2026, 12, 30), days=30)
        left = (await session.exec(select(TellMessage))).all()
    assert purged >= 1
    assert all(m.text_ct is None for m in left)
