"""/brief's summary on a real database: its window, what counts as hard, and the PDF."""

from __future__ import annotations

import re
from datetime import date, timedelta

from cryptography.fernet import Fernet

from bot.db.engine import Database
from bot.db.models import Couple, Flag
from bot.services import brief, flags
from bot.services.crypto import Box
from tests.reporting_world import deliver, seed, utc

BOX = Box([Fernet.generate_key()])
D0 = date(2026, 11, 16)


async def test_the_brief_covers_the_last_seven_days_then_starts_after_the_last(
    database: Database,
) -> None:
    world = await seed(database, share=(True, False))
    ana, ben = world.partners
    await deliver(database, world, ana, D0 - timedelta(days=3), "done")  # before the window
    await deliver(database, world, ana, D0, "done", text="shared words", rating=5, box=BOX)
    await deliver(database, world, ben, D0, "done", text="private words", rating=1, box=BOX)
    await deliver(database, world, ana, D0 + timedelta(days=1), "skipped")
    await deliver(database, world, ben, D0 + timedelta(days=1), "missed")
    await deliver(database, world, ben, D0 + timedelta(days=2), "unreachable")
    async with database.session() as session:
        session.add(Flag(partner_id=ben.id, created_at=utc(2026, 11, 18)))  # type: ignore[arg-type]
    now = utc(2026, 11, 20, 12)

    async with database.session() as session:
        found = await brief.build(
            session=session, therapist=world.therapist, public_id="k7m2qx", now=now, box=BOX
        )
        assert found is not None
        await brief.mark_briefed(session=session, couple=found.couple, now=now)

    assert found.since == now - timedelta(days=7)
    assert [row.partner.display_name for row in found.done] == ["Ana", "Ben"]
    reasons = sorted(reason for _row, reason in found.hard)
    assert reasons == ["low_rating", "missed", "skipped", "undelivered"]
    assert [row.text for row in found.answers] == ["shared words"]
    assert {line.key: line.average_rating for line in found.ratings} == {"Ana": 5.0, "Ben": 1.0}
    assert [partner.display_name for partner, _flag in found.flags] == ["Ben"]

    async with database.session() as session:
        couple = await session.get(Couple, world.couple.id)
        assert couple is not None and couple.last_brief_at == now
        later = await brief.build(
            session=session,
            therapist=world.therapist,
            public_id="k7m2qx",
            now=now + timedelta(days=1),
            box=BOX,
        )

    assert later is not None and later.since == now
    assert later.done == [] and later.hard == []
    # An open flag does not drop out with the window: it stays until marked as seen.
    assert [flag.created_at for _partner, flag in later.flags] == [utc(2026, 11, 18)]


async def test_the_brief_counts_only_flags_not_yet_seen(database: Database) -> None:
    world = await seed(database)
    ana, ben = world.partners
    async with database.session() as session:
        session.add(Flag(partner_id=ana.id, created_at=utc(2026, 11, 17)))  # type: ignore[arg-type]
        session.add(
            Flag(partner_id=ben.id, kind="help_now", created_at=utc(2026, 11, 18))  # type: ignore[arg-type]
        )
        session.add(
            Flag(partner_id=ben.id, created_at=utc(2026, 11, 19), seen_at=utc(2026, 11, 19, 12))  # type: ignore[arg-type]
        )
    async with database.session() as session:
        found = await brief.build(
            session=session,
            therapist=world.therapist,
            public_id="k7m2qx",
            now=utc(2026, 11, 20),
            box=BOX,
        )
        assert found is not None
        open_ids = [flag.id for _partner, flag in found.flags]
        assert await flags.mark_seen(
            session=session, therapist=world.therapist, flag_id=open_ids[0], now=utc(2026, 11, 20)
        )
        again = await brief.build(
            session=session,
            therapist=world.therapist,
            public_id="k7m2qx",
            now=utc(2026, 11, 20),
            box=BOX,
        )

    assert [(p.display_name, f.kind) for p, f in found.flags] == [
        ("Ana", "crisis"),
        ("Ben", "help_now"),
    ]
    assert again is not None
    assert [(p.display_name, f.kind) for p, f in again.flags] == [("Ben", "help_now")]


async def test_another_therapist_gets_no_brief(database: Database) -> None:
    await seed(database)
    other = await seed(database, therapist_telegram_id=3001, public_id="zzzzzz")
    async with database.session() as session:
        found = await brief.build(
            session=session,
            therapist=other.therapist,
            public_id="k7m2qx",
            now=utc(2026, 11, 20),
            box=BOX,
        )

    assert found is None


def test_the_pdf_is_one_page_of_plain_text_even_when_long() -> None:
    sections = [
        ("What was done", ["Ana — $x$ <b>not markup</b>"] * 5),
        ("Written answers", ["a very long answer " * 200] * 10),
    ]

    data = brief.pdf("Before the session: Ana & Ben", sections, more="… more in /report.")

    assert data.startswith(b"%PDF")
    assert re.findall(rb"/Count (\d+)", data) == [b"1"]  # one page
    assert 1_000 < len(data) < 500_000
