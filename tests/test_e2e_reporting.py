"""A couple's week end to end, then what everyone sees: /progress, /report, /export, the
digest and /brief, through the real bot and the fake Bot API, on an injected clock.

Ana shares her written answers with the therapist; Ben does not. Completions are
written as rows (how they are captured is tested with the answer flows), deliveries
arrive through the real dispatcher.
"""

from __future__ import annotations

import csv
import io
import json
import re
import struct
from datetime import UTC, date, datetime, timedelta

from matplotlib.image import imread
from sqlmodel import col, select

from bot.clock import ManualClock
from bot.context import TwofoldApp, TwofoldContext
from bot.db.models import AuditEntry, Couple, Delivery, Partner, Response
from bot.handlers import digest
from tests import flows
from tests.fakebotapi import FakeTelegram, FakeUser

BEN_SECRET = "BEN-PRIVATE-REFLECTION"
# What each partner does on days 1-6 (Tue Nov 24 .. Sun Nov 29).
ANA = ["done", "done", "done", "done", "missed", "done"]
BEN = ["done", "done", "skipped", "done", "done", "done"]


async def deliveries(app: TwofoldApp) -> list[tuple[Delivery, Partner]]:
    async with flows.services(app).database.session() as session:
        query = (
            select(Delivery, Partner)
            .where(col(Delivery.partner_id) == col(Partner.id))
            .order_by(col(Delivery.scheduled_at), col(Delivery.id))
        )
        return [(d, p) for d, p in (await session.exec(query)).all()]


async def complete(app: TwofoldApp, telegram_id: int, day: int, status: str, now: datetime) -> None:
    """Record what the partner did with their delivery of set day `day`."""
    services = flows.services(app)
    async with services.database.session() as session:
        delivery, partner = (
            await session.exec(
                select(Delivery, Partner).where(
                    col(Delivery.partner_id) == col(Partner.id),
                    Partner.telegram_id == telegram_id,
                    Delivery.day == day,
                )
            )
        ).one()
        delivery.status = status
        delivery.completed_at = now if status in ("done", "skipped") else None
        delivery.remind_at = None
        session.add(delivery)
        if status == "done":
            secret = f"{BEN_SECRET} day {day}" if partner.slot == 2 else f"Ana <3 & day {day}"
            session.add(
                Response(
                    delivery_id=delivery.id,  # type: ignore[arg-type]
                    partner_id=partner.id,  # type: ignore[arg-type]
                    text_ct=services.crypto.encrypt(secret),
                    rating=4 if partner.slot == 1 else 2,
                    answered_at=now,
                    updated_at=now,
                )
            )


async def live_a_week(app: TwofoldApp, clock: ManualClock) -> None:
    dispatcher = flows.services(app).dispatcher
    for day in range(1, 7):
        morning = datetime(2026, 11, 23, 9, 0, tzinfo=UTC) + timedelta(days=day)
        clock.set(morning)  # 10:00 in Berlin: Ana's exercise arrives
        await dispatcher.tick()
        clock.set(morning + timedelta(hours=6))  # 10:00 in New York: Ben's
        await dispatcher.tick()
        clock.advance(timedelta(hours=1))
        await complete(app, 1001, day, ANA[day - 1], clock.now())
        await complete(app, 1002, day, BEN[day - 1], clock.now())


def png_width(data: bytes) -> int:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return int(struct.unpack(">I", data[16:20])[0])


def therapist_texts(user: FakeUser) -> str:
    return "\n".join(m.text or "" for m in user.messages)


async def test_a_week_of_progress_reports_exports_digest_and_brief(
    tg: FakeTelegram, bot: TwofoldApp, clock: ManualClock
) -> None:
    await flows.grant_therapist(bot, 2001)
    await flows.grant_therapist(bot, 3001)
    marta, other = tg.user(2001, "Marta"), tg.user(3001, "Olga")
    ana, ben = tg.user(1001, "Ana"), tg.user(1002, "Ben")
    public_id, code_a, code_b = await flows.new_couple(marta, "Ana & Ben")
    await flows.onboard(ana, code_a, timezone="Europe/Berlin", time="10:00", share=True)
    await flows.onboard(ben, code_b, timezone="America/New_York", time="10:00", share=False)
    await flows.assign(bot, public_id, "gratitude-week", date(2026, 11, 24))
    await live_a_week(bot, clock)
    assert (await ana.wait_for(r"Day 1")).text

    # Monday 08:00 UTC: the therapist's (default UTC) digest time.
    clock.set(datetime(2026, 11, 30, 8, 0, tzinfo=UTC))
    context = TwofoldContext(bot)  # what the JobQueue passes to the job
    assert await digest.send_digests(context) == 1
    line = await marta.wait_for(r"weekly digest")
    assert "Ana &amp; Ben" not in line.text  # plain text, unescaped
    assert "Ana & Ben" in (line.text or "")
    assert "10 of 12 done" in (line.text or "") and "1 missed" in (line.text or "")
    clock.advance(timedelta(minutes=5))
    restarted = TwofoldContext(bot)
    assert await digest.send_digests(restarted) == 0  # never twice in a week
    assert not [m for m in other.messages if "digest" in (m.text or "")]  # no couples: none

    # /progress for a partner: encouraging text and a real picture.
    await ana.send("/progress")
    summary = await ana.wait_for(r"Your progress together")
    assert "You: 5 of 6 done" in (summary.text or "")
    assert "Ben: 5 of 6 done" in (summary.text or "")
    photo = await ana.wait_for(r"last four weeks")
    assert photo.kind == "photo" and photo.photo is not None
    assert 600 <= png_width(photo.photo) <= 1600
    assert 10_000 <= len(photo.photo) <= 300_000
    assert imread(io.BytesIO(photo.photo), format="png").shape[1] == png_width(photo.photo)

    # /report: per partner and exercise, only Ana's words, and the chart.
    await marta.send(f"/report {public_id}")
    report = await marta.wait_for(r"Report: Ana & Ben")
    text = report.text or ""
    assert re.search(r"Ana: 5 of 6 done · 1 missed · helpfulness 4\.0/5", text), text
    assert re.search(r"Ben: 5 of 6 done · 1 skipped · helpfulness 2\.0/5", text), text
    assert "Ana <3 & day 1" in text
    chart = await marta.wait_for(r"last four weeks")
    assert chart.photo is not None and png_width(chart.photo) >= 600

    # Another therapist gets exactly the answer for an id that does not exist.
    await other.send(f"/report {public_id}")
    theirs = await other.wait_for(r"can't find")
    await other.send("/report zzzzzz")
    unknown = await other.wait_for(r"can't find")
    assert (theirs.text or "").replace(public_id, "ID") == (unknown.text or "").replace(
        "zzzzzz", "ID"
    )
    await other.send(f"/export {public_id}")
    await other.wait_for(r"can't find")
    assert not [m for m in other.messages if m.kind == "document"]

    # /export: CSV and JSON, one row per delivery that arrived, checked row by row.
    await marta.send(f"/export {public_id}")
    csv_doc = await marta.wait_for(r"The history of")
    json_doc = await marta.wait_for(None)
    assert csv_doc.document is not None and json_doc.document is not None
    table = list(csv.DictReader(io.StringIO(csv_doc.document.data.decode("utf-8-sig"))))
    expected = [
        (d, p) for d, p in await deliveries(bot) if d.status not in ("planned", "cancelled")
    ]
    assert len(table) == len(expected) == 12
    for row, (delivery, partner) in zip(table, expected, strict=True):
        assert row["partner"] == partner.display_name
        assert row["exercise"] == delivery.exercise_slug
        assert row["status"] == delivery.status
        assert row["local_date"] == delivery.local_date.isoformat()
        assert row["due_utc"] == delivery.scheduled_at.strftime("%Y-%m-%dT%H:%M:%SZ")
        assert row["due_local"].startswith(f"{delivery.local_date.isoformat()}T10:00:00")
        if partner.slot == 2:
            assert row["response_text"] == ""
            assert row["rating"] == ("2" if delivery.status == "done" else "")
        elif delivery.status == "done":
            assert row["response_text"] == f"Ana <3 & day {delivery.day}"
    exported = json.loads(json_doc.document.data)
    assert [r["status"] for r in exported["deliveries"]] == [r["status"] for r in table]

    # /brief: the message and a PDF; the next brief starts from now.
    await marta.send(f"/brief {public_id}")
    brief = await marta.wait_for(r"Before the session: Ana & Ben")
    assert "What was hard" in (brief.text or "") and "skipped" in (brief.text or "")
    pdf = await marta.wait_for(r"as a PDF")
    assert pdf.document is not None and pdf.document.data.startswith(b"%PDF")

    async def briefed_at() -> datetime | None:
        async with flows.services(bot).database.session() as session:
            query = select(Couple).where(Couple.public_id == public_id)
            return (await session.exec(query)).one().last_brief_at

    # Set once the PDF was sent: the bot polls again once it has handled the update.
    for _ in range(50):
        if await briefed_at() is not None:
            break
        await tg.wait_for_call("getUpdates", timeout=2)
    assert await briefed_at() == clock.now()
    async with flows.services(bot).database.session() as session:
        entries = (await session.exec(select(AuditEntry).order_by(col(AuditEntry.id)))).all()
    mine = [(e.action, e.subject) for e in entries if e.actor == "therapist:2001"]
    assert mine == [("report", public_id), ("export", public_id), ("brief", public_id)]
    assert [e.detail for e in entries if e.actor == "therapist:3001"] == ["not found"] * 3

    clock.advance(timedelta(hours=1))
    await marta.send(f"/brief {public_id}")
    again = await marta.wait_for(r"Before the session")
    assert "Nothing in this period." in (again.text or "")

    # Ben's private words never reached the therapist, in any message or file.
    assert BEN_SECRET not in therapist_texts(marta)
    for message in marta.messages:
        if message.document is not None and not message.document.data.startswith(b"%PDF"):
            assert BEN_SECRET.encode() not in message.document.data


async def test_digest_can_be_turned_off_and_on_and_commands_are_role_bound(
    tg: FakeTelegram, bot: TwofoldApp, clock: ManualClock
) -> None:
    await flows.grant_therapist(bot, 2001)
    marta, ana, ben = tg.user(2001, "Marta"), tg.user(1001, "Ana"), tg.user(1002, "Ben")
    public_id, code_a, code_b = await flows.new_couple(marta, "Ana & Ben")
    await flows.onboard(ana, code_a)
    await flows.onboard(ben, code_b)

    await marta.send("/digest off")
    off = await marta.wait_for(r"digest is off")
    assert "every Monday at 08:00 (UTC)" in (off.text or "")
    clock.set(datetime(2026, 11, 30, 8, 0, tzinfo=UTC))
    assert await digest.send_digests(TwofoldContext(bot)) == 0
    await marta.send("/digest on")
    await marta.wait_for(r"digest is on: every Monday at 08:00")
    assert await digest.send_digests(TwofoldContext(bot)) == 1
    quiet = await marta.wait_for(r"weekly digest")
    assert "nothing was due" in (quiet.text or "")
    await marta.send("/digest")
    await marta.wait_for(r"digest is on")

    # Partners cannot use therapist commands, and therapists have no /progress.
    for command in (f"/report {public_id}", f"/export {public_id}", f"/brief {public_id}"):
        await ana.send(command)
        await ana.wait_for(r"isn't available to you")
    await marta.send("/progress")
    await marta.wait_for(r"isn't available to you")
    await marta.send(f"/report {public_id} lots")
    await marta.wait_for(r"a number of weeks")
