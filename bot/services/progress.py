"""Shared progress: what each partner did, this week and all time, and the joint streak.

Every day here is a day in a partner's own calendar (`Delivery.local_date`), so a
couple in two time zones, or a week with a DST change, counts each day exactly once.

The joint streak (docs/progress.md) counts the days, back from today, on which both
partners completed everything that was due to them:
- a day on which a partner was paused (a `held` delivery, or a pause in force) pauses
  the streak: it neither counts nor breaks it;
- a day with nothing due neither breaks nor extends it;
- today is not over: what is still open today cannot break the streak (yet);
- a skipped, missed or undelivered item, or one left open on a past day, ends it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db.models import Delivery, Partner, Response
from bot.library import Library
from bot.services.couples import partner_paused
from bot.services.localtime import local_today
from bot.services.summaries import Point, Scale, scales

OPEN = frozenset({"sent", "sending"})  # arrived, not answered yet
UNDELIVERED = frozenset({"unreachable", "failed"})  # due, but it never reached them
# Statuses of deliveries whose time has come (what "due" counts). `planned` has not
# arrived yet, `held` is a pause, `cancelled` will never come: none of them are due.
DUE = frozenset({"done", "skipped", "missed"}) | OPEN | UNDELIVERED
CHART_DAYS = 28


class Day(StrEnum):
    """How one day went for one partner (or, combined, for the couple)."""

    COMPLETE = "complete"  # something was due and all of it is done
    INCOMPLETE = "incomplete"  # something due was skipped, missed, or left open
    OPEN = "open"  # today (or later), not finished yet: cannot break the streak
    PAUSED = "paused"  # on hold: pauses the streak
    EMPTY = "empty"  # nothing was due


@dataclass
class Tally:
    """Counts of deliveries by outcome."""

    done: int = 0
    skipped: int = 0
    missed: int = 0
    open: int = 0
    undelivered: int = 0
    paused: int = 0  # held: not due, shown so a pause is visible

    @property
    def due(self) -> int:
        return self.done + self.skipped + self.missed + self.open + self.undelivered

    def add(self, status: str) -> None:
        if status == "done":
            self.done += 1
        elif status == "skipped":
            self.skipped += 1
        elif status == "missed":
            self.missed += 1
        elif status in OPEN:
            self.open += 1
        elif status in UNDELIVERED:
            self.undelivered += 1
        elif status == "held":
            self.paused += 1

    def __add__(self, other: Tally) -> Tally:
        return Tally(
            self.done + other.done,
            self.skipped + other.skipped,
            self.missed + other.missed,
            self.open + other.open,
            self.undelivered + other.undelivered,
            self.paused + other.paused,
        )

    @property
    def rate(self) -> float | None:
        """Share of what was due that is done; None when nothing was due."""
        return self.done / self.due if self.due else None


def tally(statuses: Iterable[str]) -> Tally:
    result = Tally()
    for status in statuses:
        result.add(status)
    return result


def classify(statuses: Sequence[str], *, ongoing: bool, paused: bool = False) -> Day:
    """One partner's day from the statuses of its deliveries.

    `ongoing`: the day is today or later in the partner's calendar. `paused`: a pause
    was in force that day.
    """
    if paused or "held" in statuses:
        return Day.PAUSED
    due = [status for status in statuses if status in DUE]
    more_to_come = ongoing and "planned" in statuses
    if not due:
        return Day.OPEN if more_to_come else Day.EMPTY
    if all(status == "done" for status in due):
        return Day.OPEN if more_to_come else Day.COMPLETE
    if ongoing and all(status == "done" or status in OPEN for status in due):
        return Day.OPEN
    return Day.INCOMPLETE


def combine(days: Sequence[Day]) -> Day:
    """The couple's day from each partner's day (a pause wins: it is never a failure)."""
    for kind in (Day.PAUSED, Day.INCOMPLETE, Day.OPEN, Day.COMPLETE):
        if kind in days:
            return kind
    return Day.EMPTY


def joint_streak(partner_days: Sequence[Mapping[date, Day]]) -> int:
    """Complete joint days counted back from the latest, until a day that breaks it."""
    dates = sorted(set().union(*partner_days), reverse=True) if partner_days else []
    streak = 0
    for day in dates:
        kind = combine([days.get(day, Day.EMPTY) for days in partner_days])
        if kind is Day.COMPLETE:
            streak += 1
        elif kind is Day.INCOMPLETE:
            break
    return streak


@dataclass(frozen=True)
class Cell:
    """One partner's day in the chart."""

    done: int
    due: int
    paused: bool


@dataclass
class PartnerProgress:
    partner: Partner
    today: date  # in the partner's calendar
    week: Tally
    total: Tally
    days: dict[date, Day] = field(default_factory=dict)
    cells: dict[date, Cell] = field(default_factory=dict)  # the last CHART_DAYS days

    @property
    def week_start(self) -> date:
        return self.today - timedelta(days=self.today.weekday())


@dataclass
class CoupleProgress:
    partners: list[PartnerProgress]
    streak: int

    @property
    def week(self) -> Tally:
        return sum((p.week for p in self.partners), Tally())

    @property
    def total(self) -> Tally:
        return sum((p.total for p in self.partners), Tally())


def _paused_dates(partner: Partner, today: date, now: datetime) -> set[date]:
    """The days of a pause in force now (held rows record the earlier ones)."""
    if not partner_paused(partner, now) or partner.paused_at is None:
        return set()
    first = local_today(partner.paused_at, partner.timezone)
    return {first + timedelta(days=n) for n in range((today - first).days + 1)}


def partner_progress(partner: Partner, rows: Sequence[Delivery], now: datetime) -> PartnerProgress:
    """Tallies, days and chart cells for one partner from their deliveries."""
    today = local_today(now, partner.timezone)
    monday = today - timedelta(days=today.weekday())
    by_date: dict[date, list[str]] = defaultdict(list)
    for row in rows:
        by_date[row.local_date].append(row.status)
    paused = _paused_dates(partner, today, now)
    days = {
        day: classify(by_date.get(day, []), ongoing=day >= today, paused=day in paused)
        for day in set(by_date) | paused
    }
    cells = {}
    for offset in range(CHART_DAYS):
        day = today - timedelta(days=CHART_DAYS - 1 - offset)
        counts = tally(by_date.get(day, []))
        cells[day] = Cell(counts.done, counts.due, days.get(day) is Day.PAUSED)
    return PartnerProgress(
        partner=partner,
        today=today,
        week=tally(row.status for row in rows if monday <= row.local_date <= today),
        total=tally(row.status for row in rows),
        days=days,
        cells=cells,
    )


def summarize(
    partners: Sequence[Partner], rows: Sequence[Delivery], now: datetime
) -> CoupleProgress:
    """The couple's progress from its partners and their deliveries (no database)."""
    by_partner: dict[int, list[Delivery]] = defaultdict(list)
    for row in rows:
        by_partner[row.partner_id].append(row)
    each = [partner_progress(p, by_partner.get(p.id or 0, []), now) for p in partners]
    return CoupleProgress(partners=each, streak=joint_streak([p.days for p in each]))


async def deliveries_of(
    *, session: AsyncSession, partner_ids: Sequence[int], since: date | None = None
) -> list[Delivery]:
    """The partners' deliveries (optionally from a local date on), in the order they arrive."""
    if not partner_ids:
        return []
    query = select(Delivery).where(col(Delivery.partner_id).in_(partner_ids))
    if since is not None:
        query = query.where(col(Delivery.local_date) >= since)
    query = query.order_by(col(Delivery.scheduled_at), col(Delivery.id))
    return list((await session.exec(query.execution_options(populate_existing=True))).all())


async def current_partners(*, session: AsyncSession, couple_id: int) -> list[Partner]:
    query = (
        select(Partner)
        .where(Partner.couple_id == couple_id, col(Partner.is_current).is_(True))
        .order_by(col(Partner.slot))
        .execution_options(populate_existing=True)
    )
    return list((await session.exec(query)).all())


async def for_couple(*, session: AsyncSession, couple_id: int, now: datetime) -> CoupleProgress:
    """Progress of the couple's current partners."""
    partners = await current_partners(session=session, couple_id=couple_id)
    rows = await deliveries_of(session=session, partner_ids=[p.id for p in partners if p.id])
    return summarize(partners, rows, now)


@dataclass(frozen=True)
class OwnAnswers:
    """What a partner answered, for their own /progress: never the other partner's."""

    scales: list[Scale]  # their scale answers, per exercise, oldest first
    written: int  # how many written answers they gave


async def own_answers(*, session: AsyncSession, partner: Partner, library: Library) -> OwnAnswers:
    """The partner's own scale values (with their trend) and how much they wrote."""
    query = (
        select(Response, Delivery)
        .join(Delivery, col(Delivery.id) == col(Response.delivery_id))
        .where(Response.partner_id == partner.id)
        .order_by(col(Delivery.scheduled_at), col(Delivery.id))
    )
    points, written = [], 0
    for response, delivery in (await session.exec(query)).all():
        written += response.text_ct is not None
        exercise = library.exercise(delivery.exercise_slug)
        if response.value is not None and exercise is not None and exercise.response == "scale":
            points.append(
                Point(partner.id or 0, partner.display_name, delivery.exercise_slug,
                      delivery.local_date, response.value)
            )  # fmt: skip
    return OwnAnswers(scales(points), written)
