"""/export: a couple's whole history, one row per delivery, as CSV and as JSON.

The columns are documented in docs/progress.md. Response text appears only where
`visibility.therapist_may_read` allows it, and a scale value or option only where
`visibility.therapist_may_see_value` does (both through `reports.rows_of`); the `answer`
column tells text kept private from no text at all. The JSON adds the couple's flags and
the /tell messages between this therapist and the partners: the therapist's own record.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db.models import Assignment, Couple, Flag, Partner, Therapist
from bot.library import Library
from bot.services import reports, tells
from bot.services.crypto import Box
from bot.services.reports import Row

COLUMNS = [
    "couple",
    "partner",
    "partner_slot",
    "set",
    "assignment",
    "exercise",
    "exercise_title",
    "day",
    "local_date",
    "timezone",
    "due_utc",
    "due_local",
    "completed_utc",
    "completed_local",
    "status",
    "late",
    "rating",
    "value",
    "answer",
    "response_text",
]
# A spreadsheet runs a cell starting with one of these as a formula; partners' text
# must never run as one on the therapist's computer (OWASP "CSV injection").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

Record = dict[str, str | int | bool | None]


@dataclass(frozen=True)
class Export:
    couple: Couple
    records: list[Record]
    flags: list[Record]
    tells: list[Record]
    csv: bytes
    json: bytes


def _utc(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z") if moment else None


def _local(moment: datetime | None, zone: str) -> str | None:
    return moment.astimezone(ZoneInfo(zone)).isoformat() if moment else None


def record(
    row: Row, couple: Couple, library: Library, language: str, set_slug: str | None = None
) -> Record:
    delivery, partner = row.delivery, row.partner
    exercise = library.exercise(delivery.exercise_slug)
    return {
        "couple": couple.public_id,
        "partner": partner.display_name,
        "partner_slot": partner.slot,
        "set": set_slug,
        "assignment": delivery.assignment_id,
        "exercise": delivery.exercise_slug,
        "exercise_title": exercise.title_in(language) if exercise else delivery.exercise_slug,
        "day": delivery.day,
        "local_date": delivery.local_date.isoformat(),
        "timezone": partner.timezone,
        "due_utc": _utc(delivery.scheduled_at),
        "due_local": _local(delivery.scheduled_at, partner.timezone),
        "completed_utc": _utc(delivery.completed_at),
        "completed_local": _local(delivery.completed_at, partner.timezone),
        "status": delivery.status,
        "late": row.late,
        "rating": row.rating,
        "value": row.value,
        "answer": row.answer,
        "response_text": row.text,
    }


def _cell(value: str | int | bool | None) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    text = str(value)
    return f"'{text}" if text.startswith(_FORMULA_START) else text


def to_csv(records: list[Record]) -> bytes:
    """UTF-8 with a byte-order mark, so spreadsheet programs read accents correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for item in records:
        writer.writerow([_cell(item[column]) for column in COLUMNS])
    return buffer.getvalue().encode("utf-8-sig")


def to_json(
    couple: Couple,
    records: list[Record],
    flags: list[Record],
    now: datetime,
    messages: list[Record] | None = None,
) -> bytes:
    document = {
        "couple": couple.public_id,
        "label": couple.label,
        "exported_at": _utc(now),
        "columns": COLUMNS,
        "deliveries": records,
        "flags": flags,
        "tell_messages": messages or [],
    }
    return json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")


async def export(
    *,
    session: AsyncSession,
    therapist: Therapist,
    public_id: str,
    now: datetime,
    box: Box,
    library: Library,
) -> Export | None:
    """Every delivery of the couple that arrived (or should have); None if not theirs."""
    couple = await reports.own_couple(
        session=session, therapist=therapist, public_id=public_id, now=now
    )
    if couple is None or couple.id is None:
        return None
    partners = await reports.partners_of(session=session, couple_id=couple.id)
    rows = await reports.rows_of(session=session, partners=partners, box=box, library=library)
    sets = await _set_slugs(session, couple.id)
    records = [
        record(row, couple, library, therapist.language, sets.get(row.delivery.assignment_id))
        for row in rows
    ]
    flags = await flag_records(session, partners)
    messages = await tells.of_therapist(
        session=session, therapist=therapist, partners=partners, box=box
    )
    document = to_json(couple, records, flags, now, messages)
    return Export(couple, records, flags, messages, to_csv(records), document)


async def _set_slugs(session: AsyncSession, couple_id: int) -> dict[int, str]:
    query = select(Assignment).where(Assignment.couple_id == couple_id)
    return {a.id: a.set_slug for a in (await session.exec(query)).all() if a.id is not None}


async def flag_records(session: AsyncSession, partners: list[Partner]) -> list[Record]:
    """Every flag about the couple's partners, oldest first: when, whose, what kind, seen."""
    by_id = {p.id: p for p in partners if p.id is not None}
    if not by_id:
        return []
    query = (
        select(Flag)
        .where(col(Flag.partner_id).in_(list(by_id)))
        .order_by(col(Flag.created_at), col(Flag.id))
    )
    return [
        {
            "partner": by_id[flag.partner_id].display_name,
            "partner_slot": by_id[flag.partner_id].slot,
            "kind": flag.kind,
            "raised_utc": _utc(flag.created_at),
            "seen_utc": _utc(flag.seen_at),
        }
        for flag in (await session.exec(query)).all()
    ]
