"""What a therapist sees about one of their couples: /report, and what /export and /brief
build on.

Completion facts (done, skipped, when, ratings) are always part of a report: partners
are told so when they consent. Written text is included only where
`visibility.therapist_may_read` says so; this module never decides that itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db.models import Couple, Delivery, Partner, Response, Therapist
from bot.library import Library
from bot.services import couples, progress
from bot.services.crypto import Box
from bot.services.localtime import local_today
from bot.services.progress import CoupleProgress, Tally
from bot.services.summaries import Point, Scale, Written, scales
from bot.services.visibility import therapist_may_read, therapist_may_see_value

DEFAULT_WEEKS = 4
MAX_WEEKS = 52
LOW_RATING = 2  # "how helpful was this?" at or below this is worth a look


@dataclass(frozen=True)
class Row:
    """One delivery with its partner and, if there is one, the answer."""

    delivery: Delivery
    partner: Partner
    response: Response | None
    text: str | None  # decrypted, and only where the therapist may read it
    value: int | None = None  # scale value or option index, only where the therapist may see it

    @property
    def rating(self) -> int | None:
        return self.response.rating if self.response else None

    @property
    def answer(self) -> str:
        """`written` (text the therapist reads), `private` (text kept from them) or `none`."""
        if self.text is not None:
            return "written"
        if self.response is not None and self.response.text_ct is not None:
            return "private"
        return "none"

    @property
    def late(self) -> bool:
        """Done, but on a later day than it was due (in the partner's calendar)."""
        finished = self.delivery.completed_at
        return (
            self.delivery.status == "done"
            and finished is not None
            and local_today(finished, self.partner.timezone) > self.delivery.local_date
        )


@dataclass
class Line:
    """Completion of one partner, or of one exercise."""

    key: str  # partner display name, or exercise slug
    tally: Tally = field(default_factory=Tally)
    late: int = 0
    ratings: list[int] = field(default_factory=list)

    @property
    def average_rating(self) -> float | None:
        return sum(self.ratings) / len(self.ratings) if self.ratings else None

    def add(self, row: Row) -> None:
        self.tally.add(row.delivery.status)
        self.late += row.late
        if row.rating is not None:
            self.ratings.append(row.rating)


@dataclass
class Report:
    couple: Couple
    since: date  # the first day covered, in the partners' calendars
    partners: list[Line]
    exercises: list[Line]
    answers: list[Row]  # rows with text the therapist may read, oldest first
    progress: CoupleProgress  # for the chart
    scales: list[Scale] = field(default_factory=list)  # values the therapist may see
    written: list[Written] = field(default_factory=list)  # per partner


async def own_couple(
    *, session: AsyncSession, therapist: Therapist, public_id: str, now: datetime
) -> Couple | None:
    """The therapist's couple, or None when unknown *or someone else's* (same answer)."""
    view = await couples.get_for(session=session, therapist=therapist, public_id=public_id, now=now)
    return None if view is None else view.couple


async def partners_of(*, session: AsyncSession, couple_id: int) -> list[Partner]:
    """Everyone who was ever a partner of the couple (history stays whole), by slot."""
    query = (
        select(Partner)
        .where(Partner.couple_id == couple_id)
        .order_by(col(Partner.slot), col(Partner.joined_at), col(Partner.id))
        .execution_options(populate_existing=True)
    )
    return list((await session.exec(query)).all())


def readable_text(response: Response | None, author: Partner, box: Box) -> str | None:
    """The answer's text if the therapist may read it, else None."""
    if response is None or response.text_ct is None:
        return None
    if not therapist_may_read(author=author, response=response):
        return None
    return box.decrypt(response.text_ct)


async def rows_of(
    *,
    session: AsyncSession,
    partners: list[Partner],
    box: Box,
    since: date | None = None,
    library: Library | None = None,
) -> list[Row]:
    """The partners' deliveries (from local date `since`) with answers, oldest first.

    Deliveries that never arrived and never will (planned, cancelled) are left out.
    Values are kept only on exercises of `library` that show them to the therapist.
    """
    by_id = {p.id: p for p in partners if p.id is not None}
    deliveries = await progress.deliveries_of(session=session, partner_ids=list(by_id), since=since)
    deliveries = [d for d in deliveries if d.status not in ("planned", "cancelled")]
    responses: dict[int, Response] = {}
    ids = [d.id for d in deliveries if d.id is not None]
    if ids:
        query = select(Response).where(col(Response.delivery_id).in_(ids))
        responses = {r.delivery_id: r for r in (await session.exec(query)).all()}
    rows = []
    for delivery in deliveries:
        author = by_id[delivery.partner_id]
        response = responses.get(delivery.id or 0)
        exercise = library.exercise(delivery.exercise_slug) if library else None
        value = response.value if response and therapist_may_see_value(exercise=exercise) else None
        text = readable_text(response, author, box)
        rows.append(Row(delivery, author, response, text, value))
    return rows


def lines_by(rows: list[Row], key: str) -> list[Line]:
    """Completion per partner (`key="partner"`) or per exercise (`key="exercise"`)."""
    lines: dict[object, Line] = {}
    for row in rows:
        if key == "partner":
            ident: object = row.partner.id
            name = row.partner.display_name
        else:
            ident = name = row.delivery.exercise_slug
        lines.setdefault(ident, Line(name)).add(row)
    return list(lines.values())


def scales_of(rows: list[Row]) -> list[Scale]:
    """Values the therapist may see, per partner and exercise, with their trend."""
    points = [
        Point(row.partner.id or 0, row.partner.display_name, row.delivery.exercise_slug,
              row.delivery.local_date, row.value)
        for row in rows
        if row.value is not None
    ]  # fmt: skip
    return scales(points)


def written_of(rows: list[Row]) -> list[Written]:
    """Per partner who wrote anything: answers the therapist reads, and answers kept private."""
    found: dict[int, Written] = {}
    for row in rows:
        if row.answer == "none":
            continue
        ident = row.partner.id or 0
        line = found.setdefault(ident, Written(ident, row.partner.display_name))
        if row.answer == "written":
            line.readable += 1
        else:
            line.private += 1
    return list(found.values())


def first_day(now: datetime, partners: list[Partner], weeks: int) -> date:
    """The first local day of the last `weeks` weeks (today being the last day)."""
    zones = [p.timezone for p in partners] or ["UTC"]
    latest = max(local_today(now, zone) for zone in zones)
    return latest - timedelta(days=7 * weeks - 1)


async def report(
    *,
    session: AsyncSession,
    therapist: Therapist,
    public_id: str,
    weeks: int,
    now: datetime,
    box: Box,
    library: Library | None = None,
) -> Report | None:
    """The couple's last `weeks` weeks; None if the couple is not found or not theirs."""
    couple = await own_couple(session=session, therapist=therapist, public_id=public_id, now=now)
    if couple is None or couple.id is None:
        return None
    weeks = max(1, min(weeks, MAX_WEEKS))
    partners = await partners_of(session=session, couple_id=couple.id)
    since = first_day(now, partners, weeks)
    rows = await rows_of(session=session, partners=partners, box=box, since=since, library=library)
    current = [p for p in partners if p.is_current] or partners
    chart_rows = await progress.deliveries_of(
        session=session, partner_ids=[p.id for p in current if p.id is not None]
    )
    return Report(
        couple=couple,
        since=since,
        partners=lines_by(rows, "partner"),
        exercises=sorted(lines_by(rows, "exercise"), key=lambda line: -line.tally.due),
        answers=[row for row in rows if row.text is not None],
        progress=progress.summarize(current, chart_rows, now),
        scales=scales_of(rows),
        written=written_of(rows),
    )
