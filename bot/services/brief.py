"""/brief: one page to read before the next session.

The window runs from the couple's last brief (`Couple.last_brief_at`) or, the first
time, from 7 days ago, up to now. What was done, what was hard (skipped, missed, not
delivered, rated unhelpful), the text each partner shared with the therapist, the
ratings, and the flags still open (not marked as seen, whenever raised: an open flag
does not drop out of the next brief). The page is also rendered as a PDF with
matplotlib's PDF backend (no other dependency), from plain text: nothing in it is ever
read as markup.
"""

from __future__ import annotations

import io
import textwrap
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db.models import Couple, Flag, Partner, Therapist
from bot.library import Library
from bot.services import flags, reports
from bot.services.crypto import Box
from bot.services.localtime import local_today
from bot.services.reports import LOW_RATING, Line, Row
from bot.services.summaries import Scale, Written

DEFAULT_WINDOW = timedelta(days=7)
PAGE = (8.27, 11.69)  # A4, inches
LINES_PER_PAGE = 62
WRAP = 95  # characters per line at the font size below


@dataclass
class Brief:
    couple: Couple
    since: datetime
    until: datetime
    done: list[Row]
    hard: list[tuple[Row, str]]  # the row and why: skipped | missed | undelivered | low_rating
    answers: list[Row]  # text the therapist may read, oldest first
    ratings: list[Line]  # per partner
    flags: list[tuple[Partner, Flag]]  # open (unseen) flags, oldest first
    scales: list[Scale] = field(default_factory=list)  # values the therapist may see
    written: list[Written] = field(default_factory=list)  # per partner


def _hard_reason(row: Row) -> str | None:
    status = row.delivery.status
    if status in ("skipped", "missed"):
        return status
    if status in ("unreachable", "failed"):
        return "undelivered"
    if row.rating is not None and row.rating <= LOW_RATING:
        return "low_rating"
    return None


async def build(
    *,
    session: AsyncSession,
    therapist: Therapist,
    public_id: str,
    now: datetime,
    box: Box,
    library: Library | None = None,
) -> Brief | None:
    """The brief of one of the therapist's couples; None if not found or not theirs."""
    couple = await reports.own_couple(
        session=session, therapist=therapist, public_id=public_id, now=now
    )
    if couple is None or couple.id is None:
        return None
    since = couple.last_brief_at or now - DEFAULT_WINDOW
    partners = await reports.partners_of(session=session, couple_id=couple.id)
    # Local dates can lie up to a day either side of UTC: read a day more, then cut.
    first = min((local_today(since, p.timezone) for p in partners), default=since.date())
    rows = [
        row
        for row in await reports.rows_of(
            session=session,
            partners=partners,
            box=box,
            since=first - timedelta(days=1),
            library=library,
        )
        if since <= row.delivery.scheduled_at <= now
    ]
    hard = [(row, reason) for row in rows if (reason := _hard_reason(row)) is not None]
    open_flags = await flags.open_flags(session=session, couple=couple)
    return Brief(
        couple=couple,
        since=since,
        until=now,
        done=[row for row in rows if row.delivery.status == "done"],
        hard=hard,
        answers=[row for row in rows if row.text is not None],
        ratings=[line for line in reports.lines_by(rows, "partner") if line.ratings],
        flags=[(item.partner, item.flag) for item in open_flags],
        scales=reports.scales_of(rows),
        written=reports.written_of(rows),
    )


async def mark_briefed(*, session: AsyncSession, couple: Couple, now: datetime) -> None:
    """The next brief starts from here."""
    fresh = await session.get(Couple, couple.id, populate_existing=True)
    assert fresh is not None
    fresh.last_brief_at = now
    session.add(fresh)


def _wrapped(sections: list[tuple[str, list[str]]]) -> list[tuple[str, bool]]:
    """(line, is heading) pairs, wrapped to the page width."""
    lines: list[tuple[str, bool]] = []
    for heading, body in sections:
        if lines:
            lines.append(("", False))
        lines.append((heading, True))
        for paragraph in body:
            for part in paragraph.splitlines() or [""]:
                wrapped = textwrap.wrap(part, WRAP, subsequent_indent="   ") or [""]
                lines += [(line, False) for line in wrapped]
    return lines


def pdf(title: str, sections: list[tuple[str, list[str]]], *, more: str) -> bytes:
    """A one-page A4 PDF of plain-text sections; `more` ends a page that had to be cut."""
    lines = _wrapped(sections)
    if len(lines) > LINES_PER_PAGE:
        lines = [*lines[: LINES_PER_PAGE - 1], (more, False)]
    figure = Figure(figsize=PAGE)
    figure.text(0.07, 0.955, title, fontsize=15, weight="bold", va="top", parse_math=False)
    step = 0.87 / LINES_PER_PAGE
    for index, (line, heading) in enumerate(lines):
        figure.text(
            0.07,
            0.91 - index * step,
            line,
            fontsize=10.5 if heading else 9,
            weight="bold" if heading else "normal",
            va="top",
            parse_math=False,
        )
    buffer = io.BytesIO()
    with PdfPages(buffer, metadata={"Title": title, "Creator": "Twofold"}) as document:
        document.savefig(figure)
    return buffer.getvalue()
