"""The weekly digest: one line per active couple for each therapist, once a week.

When: `DIGEST_WEEKDAY` (ISO, 1 = Monday) at `DIGEST_TIME` in each therapist's own time
zone, or up to a day later if the bot was down then; after that the week is skipped
rather than sent stale. Never twice: before sending, the week is claimed with an audit
entry (actor "system", action "digest", subject the ISO week, detail
"therapist:<telegram id>") in the transaction that reads the digest, with the
therapist's row locked, so a restart or a second instance finds the claim and sends
nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db.models import Couple, Flag, Partner, Therapist
from bot.services import audit, couples, progress
from bot.services.couples import CoupleStatus, partner_paused
from bot.services.localtime import local_today, parse_hhmm, to_utc
from bot.services.progress import Tally, tally

ACTION = "digest"
LATE_LIMIT = timedelta(days=1)  # how late a digest may still go out after downtime
WINDOW_DAYS = 7


@dataclass(frozen=True)
class CoupleLine:
    couple: Couple
    tally: Tally  # the last WINDOW_DAYS days before today, in each partner's calendar
    paused: bool  # a pause in force now, or exercises held in the window
    unreachable: list[str]  # names of partners who blocked the bot
    unseen_flags: int

    @property
    def attention(self) -> tuple[int, int, int, float, str]:
        """Sort key: most in need of attention first."""
        rate = self.tally.rate
        return (
            -self.unseen_flags,
            -len(self.unreachable),
            -(self.tally.due - self.tally.done),
            rate if rate is not None else 2.0,  # nothing due: least urgent
            self.couple.label.lower(),
        )


def week_key(day: date) -> str:
    year, week, _weekday = day.isocalendar()
    return f"{year}-W{week:02d}"


def moment_of_week(now: datetime, zone: str, *, weekday: int, at: str) -> tuple[datetime, str]:
    """This week's digest moment (UTC) in `zone`, and the ISO week it belongs to."""
    today = local_today(now, zone)
    day = today - timedelta(days=today.weekday()) + timedelta(days=weekday - 1)
    return to_utc(day, parse_hhmm(at), zone), week_key(day)


def due_week(now: datetime, therapist: Therapist, *, weekday: int, at: str) -> str | None:
    """The ISO week whose digest is due for `therapist` now, or None."""
    if not therapist.active or not therapist.digest_enabled:
        return None
    moment, week = moment_of_week(now, therapist.timezone, weekday=weekday, at=at)
    return week if moment <= now < moment + LATE_LIMIT else None


async def due_therapists(
    *, session: AsyncSession, now: datetime, weekday: int, at: str
) -> list[tuple[Therapist, str]]:
    """Therapists whose digest time has come this week (claimed or not)."""
    query = select(Therapist).where(
        col(Therapist.active).is_(True), col(Therapist.digest_enabled).is_(True)
    )
    due = []
    for therapist in (await session.exec(query.order_by(col(Therapist.id)))).all():
        week = due_week(now, therapist, weekday=weekday, at=at)
        if week is not None:
            due.append((therapist, week))
    return due


def _claim_fields(therapist: Therapist, week: str) -> dict[str, str]:
    return {
        "actor": audit.SYSTEM,
        "action": ACTION,
        "subject": week,
        "detail": audit.therapist_actor(therapist.telegram_id),
    }


async def claim(*, session: AsyncSession, therapist: Therapist, week: str, now: datetime) -> bool:
    """Claim `week`'s digest for `therapist`; False if it was claimed before.

    The therapist's row is locked first (PostgreSQL: FOR UPDATE; SQLite transactions
    are already serialised by BEGIN IMMEDIATE), so of two concurrent claims the
    second waits, then sees the first one's entry.
    """
    await session.exec(select(Therapist.id).where(Therapist.id == therapist.id).with_for_update())
    fields = _claim_fields(therapist, week)
    if await audit.exists(session=session, **fields):
        return False
    await audit.record(session=session, now=now, **fields)
    return True


async def _unseen_flags(session: AsyncSession, partner_ids: list[int]) -> int:
    if not partner_ids:
        return 0
    query = select(Flag.id).where(
        col(Flag.partner_id).in_(partner_ids), col(Flag.seen_at).is_(None)
    )
    return len((await session.exec(query)).all())


def _window(partner: Partner, now: datetime) -> tuple[date, date]:
    today = local_today(now, partner.timezone)
    return today - timedelta(days=WINDOW_DAYS), today - timedelta(days=1)


async def lines_for(
    *, session: AsyncSession, therapist: Therapist, now: datetime
) -> list[CoupleLine]:
    """One line per active (or paused) couple of `therapist`, most in need first."""
    lines = []
    for view in await couples.list_for(session=session, therapist=therapist, now=now):
        if view.status not in (CoupleStatus.ACTIVE, CoupleStatus.PAUSED):
            continue
        ids = [p.id for p in view.partners if p.id is not None]
        windows = {p.id: _window(p, now) for p in view.partners}
        since = min(first for first, _last in windows.values())
        rows = [
            row
            for row in await progress.deliveries_of(session=session, partner_ids=ids, since=since)
            if windows[row.partner_id][0] <= row.local_date <= windows[row.partner_id][1]
        ]
        counts = tally(row.status for row in rows)
        lines.append(
            CoupleLine(
                couple=view.couple,
                tally=counts,
                paused=counts.paused > 0 or any(partner_paused(p, now) for p in view.partners),
                unreachable=[p.display_name for p in view.partners if p.unreachable_at],
                unseen_flags=await _unseen_flags(session, ids),
            )
        )
    return sorted(lines, key=lambda line: line.attention)


async def set_enabled(*, session: AsyncSession, therapist: Therapist, enabled: bool) -> Therapist:
    """Turn the weekly digest on or off for `therapist`."""
    fresh = await session.get(Therapist, therapist.id, populate_existing=True)
    assert fresh is not None
    fresh.digest_enabled = enabled
    session.add(fresh)
    await session.flush()
    return fresh
