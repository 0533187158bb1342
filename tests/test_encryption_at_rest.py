"""Encryption at rest: what partners write never reaches the database as plaintext.

The bot runs for real (fake Bot API); a partner writes a distinctive reflection and a
safety plan; then the raw database is read: the SQLite file and its WAL as bytes, or
every PostgreSQL table with plain SQL. A positive control (the couple label, stored
in the clear on purpose) proves the scan sees the data it searches.

Robust to features landing later: commands that take free text (/safetyplan, /tell) are
driven when they are registered; whatever path stores the text, it must be encrypted.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url
from sqlmodel import select
from telegram.ext import CommandHandler

from bot.clock import ManualClock
from bot.context import TwofoldApp
from bot.db.models import Partner, Response, SafetyPlan
from tests import flows
from tests.fakebotapi import FakeTelegram

DAY1 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)  # 10:00 in Berlin
LABEL = "Zebracorn household"  # stored in the clear: the scan's positive control
REFLECTION = "Quokka-lantern: I am scared of the mortgage and of losing you"
PLAN = "Marmalade-harbor plan: call my sister Ines, walk to the park"
TOLD = "Tangerine-sextant: please ask us about the holidays"


def registered_commands(app: TwofoldApp) -> set[str]:
    return {
        command
        for handlers in app.handlers.values()
        for handler in handlers
        if isinstance(handler, CommandHandler)
        for command in handler.commands
    }


async def sqlite_bytes(database_url: str) -> bytes:
    path = Path(make_url(database_url).database or "")
    files = [p for p in path.parent.iterdir() if p.name.startswith(path.name)]
    assert path in files
    return b"".join(p.read_bytes() for p in sorted(files))  # the file, its -wal and -shm


async def postgres_values(database_url: str) -> list[bytes]:
    """Every value of every table, as raw SQL returns it."""
    dsn = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(dsn)
    try:
        tables = await connection.fetch(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
        )
        values: list[bytes] = []
        for table in tables:
            for row in await connection.fetch(f'SELECT * FROM "{table["table_name"]}"'):  # noqa: S608
                for value in row.values():
                    values.append(value if isinstance(value, bytes) else str(value).encode())
        return values
    finally:
        await connection.close()


async def raw_database(database_url: str) -> bytes:
    if make_url(database_url).get_backend_name() == "sqlite":
        return await sqlite_bytes(database_url)
    return b"\x00".join(await postgres_values(database_url))


async def test_no_plaintext_reaches_the_database(
    tg: FakeTelegram, bot: TwofoldApp, clock: ManualClock, database_url: str
) -> None:
    await flows.grant_therapist(bot, 2001)
    marta, ana, ben = tg.user(2001, "Marta"), tg.user(1001, "Ana"), tg.user(1002, "Ben")
    public_id, code_a, code_b = await flows.new_couple(marta, LABEL)
    await flows.onboard(ana, code_a, time="10:00", share=True)
    await flows.onboard(ben, code_b, time="10:00")
    await flows.assign(bot, public_id, "love-maps-week", date(2026, 11, 24))
    clock.set(DAY1)
    await flows.services(bot).dispatcher.tick()
    await ana.wait_for(r"Day 1")

    await ana.send(REFLECTION)
    await ana.wait_for(r"Saved your answer")
    commands = registered_commands(bot)
    if "safetyplan" in commands:
        await ana.send("/safetyplan")
        for _ in range(3):  # the plan is written after tapping "Write my plan"
            shown = await ana.wait_for()
            write = [label for row in shown.buttons for label, _ in row if "Write" in label]
            if write:
                await ana.press(shown, write[0])
                await ana.wait_for()
                break
        await ana.send(PLAN)
        await ana.wait_for()
    if "tell" in commands:
        await ana.send(f"/tell {TOLD}")
        await ana.wait_for()
        await marta.wait_for(re.escape(TOLD[:12]))
    box = flows.services(bot).crypto
    async with flows.services(bot).database.session() as session:
        answer = (await session.exec(select(Response))).one()
        ana_row = (await session.exec(select(Partner).where(Partner.telegram_id == 1001))).one()
        stored_by_the_bot = await session.get(SafetyPlan, 1001) is not None
        assert stored_by_the_bot or "safetyplan" not in commands, "/safetyplan stored nothing"
        if not stored_by_the_bot:
            # No /safetyplan yet: store one the way the model requires (through the Box).
            session.add(SafetyPlan(telegram_id=1001, text_ct=box.encrypt(PLAN), updated_at=DAY1))
    assert answer.partner_id == ana_row.id
    assert answer.text_ct is not None and box.decrypt(answer.text_ct) == REFLECTION

    raw = await raw_database(database_url)

    assert LABEL.encode() in raw, "the scan must see what is stored (positive control)"
    for secret in (REFLECTION, PLAN, TOLD):
        for fragment in (secret, secret[:16], secret[-16:]):
            assert fragment.encode() not in raw, f"plaintext in the database: {fragment!r}"
    async with flows.services(bot).database.session() as session:
        plan = await session.get(SafetyPlan, 1001)
    assert plan is not None and box.decrypt(plan.text_ct) == PLAN
