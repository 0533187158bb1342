"""After /deleteme, the erased names are gone from the raw SQLite file and WAL, bot running."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import make_url

from bot.context import TwofoldApp
from tests import flows
from tests.fakebotapi import FakeTelegram

NAME, FIRST_NAME = "Zephyrine", "Quillonette"  # distinctive: found only where they are stored


def raw_bytes(bot: TwofoldApp) -> bytes:
    database = make_url(flows.services(bot).database.url).database
    assert database is not None
    files = [Path(database), Path(database + "-wal")]
    return b"".join(path.read_bytes() for path in files if path.exists())


async def test_deleteme_overwrites_names_in_the_database_file_and_the_wal(
    tg: FakeTelegram, bot: TwofoldApp
) -> None:
    if not flows.services(bot).database.is_sqlite:
        return  # PostgreSQL: VACUUM's role is documented in docs/security.md
    await flows.grant_therapist(bot, 2001, "Marta")
    marta = tg.user(2001, "Marta")
    zeph = tg.user(1001, FIRST_NAME)
    _, code, _code_b = await flows.new_couple(marta, "Z & B")
    await flows.onboard(zeph, code, name=NAME)
    on_disk = raw_bytes(bot)
    assert NAME.encode() in on_disk, "the test must see the name before erasure"

    await zeph.send("/deleteme")
    await zeph.press(await zeph.wait_for(r"Erase your data\?"), "Erase")
    await zeph.wait_for(r"Done\. What you wrote in Twofold", edited=True)

    on_disk = raw_bytes(bot)
    assert NAME.encode() not in on_disk
    assert FIRST_NAME.encode() not in on_disk
