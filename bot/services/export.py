"""/export: a couple's whole history, one row per delivery, as CSV and as JSON.

The columns are documented in docs/progress.md. Response text appears only where
`visibility.therapist_may_read` allows it (through `reports.rows_of`); elsewhere the
column is empty, exactly as for an exercise with no written answer.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db.models import Couple, Therapist
from bot.library import Library
from bot.services import reports
from bot.services.crypto import Box
from bot.services.reports import Row

COLUMNS = [
    "couple",
    "partner",
    "partner_slot",
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
    csv: bytes
    json: bytes


def _utc(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z") if moment else None


def _local(moment: datetime | None, zone: str) -> str | None:
    return moment.astimezone(ZoneInfo(zone)).isoformat() if moment else None


def record(row: Row, couple: Couple, library: Library, language: str) -> Record:
    delivery, partner = row.delivery, row.partner
    exercise = library.exercise(delivery.exercise_slug)
    return {
        "couple": couple.public_id,
        "partner": partner.display_name,
        "partner_slot": partner.slot,
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
        "value": row.response.value if row.response else None,
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


def to_json(couple: Couple, records: list[Record], now: datetime) -> bytes:
    document = {
        "couple": couple.public_id,
        "label": couple.label,
        "exported_at": _utc(now),
        "columns": COLUMNS,
        "deliveries": records,
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
    rows = await reports.rows_of(session=session, partners=partners, box=box)
    records = [record(row, couple, library, therapist.language) for row in rows]
    return Export(couple, records, to_csv(records), to_json(couple, records, now))
