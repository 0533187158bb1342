"""Therapist reports and exports on a real database: counts, ratings, and who reads what."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, time, timedelta

from cryptography.fernet import Fernet

from bot.db.engine import Database
from bot.services import export, reports
from bot.services.crypto import Box
from tests.delivery_world import library
from tests.reporting_world import Seeded, deliver, seed, utc

D0 = date(2026, 11, 16)
NOW = utc(2026, 11, 23, 12)
BOX = Box([Fernet.generate_key()])


async def history(database: Database) -> Seeded:
    """Ana shares with the therapist, Ben does not; both write answers."""
    world = await seed(database, share=(True, False))
    ana, ben = world.partners
    await deliver(
        database, world, ana, D0, "done", text="We laughed <a lot> & talked", rating=5, box=BOX
    )
    await deliver(database, world, ben, D0, "done", text="BEN-PRIVATE thoughts", rating=2, box=BOX)
    await deliver(
        database,
        world,
        ana,
        D0 + timedelta(days=1),
        "done",
        exercise="appreciation-out-loud",
        done_after=timedelta(days=1),
        rating=3,
        box=BOX,
    )
    await deliver(
        database, world, ben, D0 + timedelta(days=1), "skipped", exercise="appreciation-out-loud"
    )
    await deliver(
        database, world, ana, D0 + timedelta(days=2), "missed", exercise="partner-positive-traits"
    )
    await deliver(
        database, world, ben, D0 + timedelta(days=2), "held", exercise="partner-positive-traits"
    )
    await deliver(database, world, ana, D0 + timedelta(days=30), "planned")  # not yet due
    return world


async def test_report_counts_per_partner_and_exercise(database: Database) -> None:
    world = await history(database)
    async with database.session() as session:
        found = await reports.report(
            session=session,
            therapist=world.therapist,
            public_id="K7M2QX ",
            weeks=4,
            now=NOW,
            box=BOX,
        )

    assert found is not None
    ana, ben = found.partners
    assert (ana.key, ana.tally.done, ana.tally.missed, ana.late) == ("Ana", 2, 1, 1)
    assert ana.average_rating == 4.0
    assert (ben.key, ben.tally.done, ben.tally.skipped, ben.tally.paused) == ("Ben", 1, 1, 1)
    by_slug = {line.key: line for line in found.exercises}
    assert by_slug["gratitude-three-things"].tally.done == 2
    assert by_slug["gratitude-three-things"].average_rating == 3.5
    assert by_slug["appreciation-out-loud"].tally.skipped == 1
    assert [row.text for row in found.answers] == ["We laughed <a lot> & talked"]


async def test_a_therapist_never_reads_text_a_partner_did_not_share(database: Database) -> None:
    world = await history(database)
    async with database.session() as session:
        found = await reports.report(
            session=session,
            therapist=world.therapist,
            public_id="k7m2qx",
            weeks=4,
            now=NOW,
            box=BOX,
        )
        exported = await export.export(
            session=session,
            therapist=world.therapist,
            public_id="k7m2qx",
            now=NOW,
            box=BOX,
            library=library(),
        )

    assert found is not None and exported is not None
    assert all(row.partner.display_name == "Ana" for row in found.answers)
    assert b"BEN-PRIVATE" not in exported.csv
    assert b"BEN-PRIVATE" not in exported.json


async def test_another_therapists_couple_is_not_found(database: Database) -> None:
    await history(database)
    other = await seed(database, therapist_telegram_id=3001, public_id="zzzzzz")
    async with database.session() as session:
        theirs = await reports.report(
            session=session,
            therapist=other.therapist,
            public_id="k7m2qx",
            weeks=4,
            now=NOW,
            box=BOX,
        )
        exported = await export.export(
            session=session,
            therapist=other.therapist,
            public_id="k7m2qx",
            now=NOW,
            box=BOX,
            library=library(),
        )

    assert theirs is None and exported is None


async def test_the_report_window_is_the_last_weeks(database: Database) -> None:
    world = await history(database)
    async with database.session() as session:
        one_week = await reports.report(
            session=session,
            therapist=world.therapist,
            public_id="k7m2qx",
            weeks=1,
            now=utc(2026, 11, 25, 12),
            box=BOX,
        )

    assert one_week is not None
    assert one_week.since == date(2026, 11, 19)
    assert sum(line.tally.due for line in one_week.partners) == 0


async def test_export_csv_and_json_hold_one_row_per_delivery(database: Database) -> None:
    world = await history(database)
    _ana, ben = world.partners
    await deliver(
        database,
        world,
        ben,
        D0 + timedelta(days=3),
        "done",
        text="=HYPERLINK(1)",
        box=BOX,
        at=time(7, 5),
    )
    async with database.session() as session:
        ben_row = await session.get(type(ben), ben.id)
        assert ben_row is not None
        ben_row.share_with_therapist = True  # Ben shares from now on: all his text appears
        session.add(ben_row)
    async with database.session() as session:
        found = await export.export(
            session=session,
            therapist=world.therapist,
            public_id="k7m2qx",
            now=NOW,
            box=BOX,
            library=library(),
        )

    assert found is not None
    table = list(csv.DictReader(io.StringIO(found.csv.decode("utf-8-sig"))))
    assert list(table[0]) == export.COLUMNS
    assert len(table) == 7  # the planned one has not arrived: not a row
    first = table[0]
    assert first["partner"] == "Ana" and first["status"] == "done"
    assert first["due_utc"] == "2026-11-16T08:00:00Z"  # 09:00 in Berlin
    assert first["due_local"] == "2026-11-16T09:00:00+01:00"
    assert first["completed_local"] == "2026-11-16T10:00:00+01:00"
    assert first["response_text"] == "We laughed <a lot> & talked"
    assert first["rating"] == "5" and first["late"] == "no"
    ben_first = next(r for r in table if r["partner"] == "Ben")
    assert ben_first["due_local"] == "2026-11-16T09:00:00-05:00"
    assert ben_first["response_text"] == "BEN-PRIVATE thoughts"
    late = next(
        r for r in table if r["exercise"] == "appreciation-out-loud" and r["partner"] == "Ana"
    )
    assert late["late"] == "yes" and late["response_text"] == ""
    formula = next(r for r in table if r["local_date"] == "2026-11-19")
    assert formula["response_text"] == "'=HYPERLINK(1)"  # never runs as a formula

    document = json.loads(found.json)
    assert document["couple"] == "k7m2qx"
    assert len(document["deliveries"]) == 7
    assert document["deliveries"][-1]["response_text"] == "=HYPERLINK(1)"
    assert document["deliveries"][0]["rating"] == 5


def test_long_reports_are_split_between_blocks_under_telegrams_limit() -> None:
    from bot.handlers.reports import MAX_ANSWER, pack, shortened
    from bot.i18n import translator
    from bot.library import MAX_MESSAGE_LENGTH, utf16_length

    _ = translator("en")
    answer = shortened(_, "ünïcødé 🙂 & <b> " * 400)
    assert answer.endswith("<i>(shortened: /export has the full text)</i>")
    assert "&lt;b&gt;" in answer and len(answer) < MAX_ANSWER * 2
    blocks = [f"<i>Ana, day {n}</i>\n{answer}" for n in range(12)]

    messages = pack(blocks)

    assert len(messages) > 1
    assert all(utf16_length(m) <= MAX_MESSAGE_LENGTH for m in messages)
    assert "\n\n".join(messages) == "\n\n".join(blocks)  # nothing lost, nothing cut
    assert shortened(_, "short <text>") == "short &lt;text&gt;"
