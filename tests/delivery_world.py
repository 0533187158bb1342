"""A small world for delivery tests: a couple, the library, a dispatcher and the fake
Bot API, all on one virtual clock (the fake's rate limits, the pacer, the database).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache

from cryptography.fernet import Fernet
from sqlmodel import col, func, select
from telegram import Bot

from bot.db.engine import Database
from bot.db.models import Assignment, Couple, Delivery, Partner, Therapist
from bot.delivery.dispatcher import DispatchConfig, Dispatcher, TickReport
from bot.delivery.notices import NoticeSender
from bot.library import Library, load_library
from bot.services import planning
from bot.services.crypto import Box
from bot.services.pacing import Pacer
from tests.e2e import TOKEN
from tests.fakebotapi import FakeClock, FakeTelegram, FakeUser

BOX = Box([Fernet.generate_key()])


@cache
def library() -> Library:
    return load_library().library


@dataclass
class World:
    tg: FakeTelegram
    database: Database
    clock: FakeClock
    therapist_id: int = 9001
    _bots: list[Bot] = field(default_factory=list)

    async def sleep(self, seconds: float) -> None:
        """The pacer's sleep: virtual time moves instead of the test waiting."""
        self.clock.advance(seconds)
        await asyncio.sleep(0)

    def pacer(self, rate: float = 25.0) -> Pacer:
        return Pacer(rate, monotonic=self.clock.monotonic, sleep=self.sleep)

    async def dispatcher(
        self, *, database: Database | None = None, rate: float = 25.0, **config: object
    ) -> Dispatcher:
        bot = Bot(TOKEN, base_url=self.tg.base_url, base_file_url=self.tg.base_file_url)
        await bot.initialize()
        self._bots.append(bot)
        pacer = self.pacer(rate)
        database = database or self.database
        notices = NoticeSender(database=database, crypto=BOX, clock=self.clock, pacer=pacer)
        return Dispatcher(
            database=database,
            library=library(),
            clock=self.clock,
            bot=bot,
            pacer=pacer,
            config=DispatchConfig(**config),  # type: ignore[arg-type]
            notices=notices,
        )

    async def couple(
        self,
        *people: tuple[int, str, str, str],
        language: str = "en",
        label: str = "Couple",
        quiet: tuple[str, str] = ("22:00", "07:00"),
    ) -> tuple[Couple, list[Partner]]:
        """Create a couple of (telegram_id, name, zone, HH:MM) partners, known to the fake."""
        async with self.database.session() as session:
            therapist = (
                await session.exec(
                    select(Therapist).where(Therapist.telegram_id == self.therapist_id)
                )
            ).first()
            if therapist is None:
                therapist = Therapist(telegram_id=self.therapist_id, name="Dr. Ruiz")
                session.add(therapist)
                await session.flush()
            assert therapist.id is not None
            couple = Couple(public_id=f"c{people[0][0]}", therapist_id=therapist.id, label=label)
            session.add(couple)
            await session.flush()
            assert couple.id is not None
            partners = []
            for slot, (telegram_id, name, zone, at) in enumerate(people, start=1):
                partner = Partner(
                    couple_id=couple.id, slot=slot, telegram_id=telegram_id, display_name=name,
                    timezone=zone, delivery_time=at, language=language, setup_done=True,
                    quiet_start=quiet[0], quiet_end=quiet[1],
                )  # fmt: skip
                session.add(partner)
                partners.append(partner)
                self.tg.user(telegram_id, name, language_code=language)
            await session.flush()
        self.tg.user(self.therapist_id, "Marta")
        return couple, partners

    async def assign(self, couple: Couple, set_slug: str, start: date) -> Assignment:
        exercise_set = library().set(set_slug)
        assert exercise_set is not None and couple.id is not None
        async with self.database.session() as session:
            assignment = Assignment(couple_id=couple.id, set_slug=set_slug, start_date=start)
            session.add(assignment)
            await session.flush()
            partners = (
                await session.exec(select(Partner).where(Partner.couple_id == couple.id))
            ).all()
            await planning.plan_first(
                session=session, assignment=assignment, partners=partners,
                exercise_set=exercise_set, now=self.clock.now(),
            )  # fmt: skip
        return assignment

    async def deliveries(self, **where: object) -> list[Delivery]:
        async with self.database.session() as session:
            query = select(Delivery).order_by(col(Delivery.due_at), col(Delivery.id))
            for name, value in where.items():
                query = query.where(getattr(Delivery, name) == value)
            return list((await session.exec(query)).all())

    async def partner(self, partner_id: int) -> Partner:
        async with self.database.session() as session:
            partner = await session.get(Partner, partner_id)
        assert partner is not None
        return partner

    def at(self, moment: datetime) -> None:
        """Move virtual time forward to `moment`."""
        self.clock.advance(moment - self.clock.now())

    async def next_event(self) -> datetime | None:
        """The earliest moment the dispatcher has work: a planned delivery or a reminder."""
        async with self.database.session() as session:
            due = (
                await session.exec(
                    select(func.min(Delivery.due_at)).where(col(Delivery.status) == "planned")
                )
            ).one()
            remind = (
                await session.exec(
                    select(func.min(Delivery.remind_at)).where(col(Delivery.status) == "sent")
                )
            ).one()
        moments = [m for m in (due, remind) if m is not None]
        return min(moments) if moments else None

    async def run_until(
        self, dispatcher: Dispatcher, moment: datetime, step: timedelta
    ) -> list[TickReport]:
        """Run the dispatcher until `moment`, as the JobQueue would, minus the idle ticks.

        Time jumps to the next due delivery or reminder (ticks in between would find
        nothing), and moves by `step` while work is already waiting.
        """
        reports = [await dispatcher.tick()]
        while self.clock.now() < moment:
            upcoming = await self.next_event()
            now = self.clock.now()
            if upcoming is None:
                target = moment
            elif upcoming > now:
                target = min(upcoming, moment)  # jump over the idle stretch
            else:
                target = min(now + step, moment)  # work is waiting: tick again soon
            self.clock.advance(target - now)
            reports.append(await dispatcher.tick())
        return reports

    @staticmethod
    def texts(user: FakeUser) -> list[str]:
        return [m.text for m in user.messages if m.from_bot]

    @staticmethod
    def exercises(user: FakeUser) -> list[str]:
        """The scheduled exercises a user received (not reminders or notices)."""
        return [m.text for m in user.messages if m.from_bot and "\nDay " in m.text]


@asynccontextmanager
async def world(database: Database, start: datetime, **fake: object) -> AsyncIterator[World]:
    clock = FakeClock(start)
    async with FakeTelegram(
        token=TOKEN,
        clock=clock.monotonic,
        wall_clock=clock.now,
        **fake,  # type: ignore[arg-type]
    ) as tg:
        w = World(tg, database, clock)
        try:
            yield w
        finally:
            for bot in w._bots:
                await bot.shutdown()
