"""The world the fuzz test (tests/test_properties.py) plays in, and the checks after each update.

The real Application (bot/app.py's `build_application`, so every handler is registered as in
production) against the fake Bot API. Updates are created on the fake and handed to
`app.process_update` one at a time, and the bot's requests are answered in-process
(`fakebotapi.InProcessRequest`): the same validation without an HTTP round trip each way,
which is what lets a run afford 10,000 examples.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import islice
from pathlib import Path
from typing import Any

from sqlmodel import col, select
from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.app import ALLOWED_UPDATES
from bot.clock import ManualClock
from bot.context import TwofoldApp, TwofoldContext
from bot.db.models import Couple, Partner
from bot.handlers.errors import is_not_modified
from bot.library.telegram_html import MAX_CAPTION_LENGTH, MAX_MESSAGE_LENGTH, check_telegram_html
from tests import e2e, flows
from tests.fakebotapi import FakeGroup, FakeTelegram, FakeUser, SentMessage
from tests.fakebotapi.inprocess import InProcessRequest

ROLES = ("therapist", "partner", "partner2", "stranger", "other_therapist", "other_partner")
SET_SLUG = "love-maps-week"
LINK = re.compile(r"\?start=([A-Za-z0-9_-]+)")
TEXT_METHODS = {"sendMessage": MAX_MESSAGE_LENGTH, "editMessageText": MAX_MESSAGE_LENGTH}
CAPTION_METHODS = {"sendPhoto", "sendDocument", "editMessageCaption"}
SCAN = 60  # messages looked back through for recent ones: chats grow long in a run
# Errors the bot meets and handles: a double tap that edits a message to the text it already
# shows (`errors.is_not_modified`), /clear deleting what is gone, and a goodbye to a group
# the bot has already left (a message sent there before it left).
HARMLESS = (
    "message is not modified",
    "message to delete not found",
    "bot is not a member of the group chat",
)


class Captured(logging.Handler):
    """Every ERROR record logged while an update is handled."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@dataclass
class Ids:
    """Real identifiers to forge button data with: ours, and other people's."""

    couples: list[str] = field(default_factory=list)
    partners: list[int] = field(default_factory=list)
    codes: list[str] = field(default_factory=list)
    numbers: list[int] = field(default_factory=list)
    data: list[str] = field(default_factory=list)  # every callback data the bot ever sent


@dataclass(repr=False)
class World:
    """The bot, the fake Telegram, the people, and what the fuzz has learnt so far."""

    tg: FakeTelegram
    app: TwofoldApp
    clock: ManualClock
    users: dict[str, FakeUser]
    group: FakeGroup
    ids: Ids = field(default_factory=Ids)
    crashes: list[BaseException | None] = field(default_factory=list)
    log: Captured = field(default_factory=Captured)
    updates: int = 0
    failure: BaseException | None = None
    note: str = ""  # how to rerun this world's examples, added to a failure
    _seen_data: set[str] = field(default_factory=set)
    _fresh_id: int = 5000
    _prefixes: list[str] = field(default_factory=list)
    _commands: list[str] = field(default_factory=list)

    def __repr__(self) -> str:
        return f"World(after {self.updates} updates)"

    async def run(self, action: Callable[[World], Awaitable[None]]) -> None:
        """Run one example; after a failure, every later one fails the same way.

        The world carries over between examples, so Hypothesis's replay of the failing
        example would meet another world (and call it flaky): it meets the same failure.
        """
        if self.failure is not None:
            raise self.failure
        try:
            await action(self)
        except BaseException as failure:
            failure.add_note(self.note)
            self.failure = failure
            raise

    def commands(self) -> list[str]:
        """Every registered command."""
        if not self._commands:
            self._commands = sorted(
                {c for group in self.app.handlers.values() for h in group
                 if isinstance(h, CommandHandler) for c in h.commands}
            )  # fmt: skip
        return self._commands

    def button_prefixes(self) -> list[str]:
        """Every registered button pattern's fixed start (and "", for none)."""
        if self._prefixes:
            return self._prefixes
        found = {""}
        for group in self.app.handlers.values():
            for handler in group:
                if isinstance(handler, CallbackQueryHandler) and handler.pattern is not None:
                    pattern = getattr(handler.pattern, "pattern", handler.pattern)
                    if isinstance(pattern, str):
                        found.add(pattern.lstrip("^").rstrip("$").split("(")[0].replace("\\", ""))
        self._prefixes = sorted(found)
        return self._prefixes

    def recent(self, role: str, *, buttons: bool = False, limit: int = 8) -> list[SentMessage]:
        """The bot's latest messages in this role's chat (not deleted), newest first."""
        wanted = (
            m for m in islice(reversed(self.users[role].chat.messages.values()), SCAN)
            if m.from_bot and not m.deleted and (not buttons or m.button_rows())
        )  # fmt: skip
        return list(islice(wanted, limit))

    def new_group(self) -> FakeGroup:
        self._fresh_id += 10
        self.group = self.tg.group(-self._fresh_id, "Family")
        return self.group

    def own_messages(self, role: str, limit: int = 8) -> list[SentMessage]:
        """What this role typed lately, newest first (the messages they can edit)."""
        chat = self.users[role].chat
        wanted = (
            m for m in islice(reversed(chat.messages.values()), SCAN)
            if not m.from_bot and m.kind == "text"
        )  # fmt: skip
        return list(islice(wanted, limit))

    async def deliver(self, label: str, push: Callable[[], Awaitable[object]]) -> dict[str, Any]:
        """Create one update on the fake, hand it to the app, check everything the bot did."""
        self.clock.advance(timedelta(seconds=2))  # a person's pace: never a flood
        calls, errors = len(self.tg.calls), len(self.tg.errors)
        self.crashes.clear()
        self.log.records.clear()
        await push()
        data = self.tg.state.updates.history[-1]
        self.updates += 1
        await self.app.process_update(Update.de_json(data, self.app.bot))
        self._check(label, data, calls, errors)
        return data

    async def tick(self, minutes: int) -> None:
        """Let time pass and run the dispatcher: deliveries, reminders, notices retried."""
        calls, errors = len(self.tg.calls), len(self.tg.errors)
        self.crashes.clear()
        self.log.records.clear()
        self.clock.advance(timedelta(minutes=minutes))
        await flows.services(self.app).dispatcher.tick()
        self._check("dispatcher", {"tick": minutes}, calls, errors)

    def _check(self, label: str, data: dict[str, Any], calls: int, errors: int) -> None:
        where = f"{label}: {_short(data)}"
        crashes = [c for c in self.crashes if not is_not_modified(c)]
        assert crashes == [], f"{where} reached the error handler: {crashes!r}"
        logged = [r.getMessage() for r in self.log.records if not _harmless(r)]
        assert logged == [], f"{where} logged errors: {logged}"
        refused = [
            (e.method, e.description)
            for e in self.tg.errors[errors:]
            if not any(h in e.description for h in HARMLESS)
        ]
        assert refused == [], f"Telegram refused {refused} in reply to {where}"
        for call in self.tg.calls[calls:]:
            self._check_call(where, call.method, call.params)
        query = data.get("callback_query")
        if query is not None:
            assert self.tg.state.callbacks.get(query["id"]), f"{where} was never answered"

    def _check_call(self, where: str, method: str, params: dict[str, Any]) -> None:
        text, caption = params.get("text"), params.get("caption")
        if method in TEXT_METHODS and text is not None:
            problem = check_telegram_html(str(text), max_length=TEXT_METHODS[method])
            assert problem is None, f"invalid reply to {where}: {problem}"
        if method in CAPTION_METHODS and caption is not None:
            problem = check_telegram_html(str(caption), max_length=MAX_CAPTION_LENGTH)
            assert problem is None, f"invalid caption in reply to {where}: {problem}"
        if method == "answerCallbackQuery" and text is not None:
            assert len(str(text)) <= 200, f"answer too long for {where}"
        for data in _callback_data(params.get("reply_markup")):
            if data not in self._seen_data:
                self._seen_data.add(data)
                self.ids.data.append(data)
                self.ids.numbers.extend(int(n) for n in re.findall(r"\d{1,9}", data))
        if isinstance(text, str) and "?start=" in text:
            self.ids.codes.extend(c for c in LINK.findall(text) if c not in self.ids.codes)

    # -- setting the scene, the way people would -------------------------------------------

    async def send(self, role: str, text: str, **kwargs: Any) -> None:
        user = self.users[role]
        await self.deliver(f"setup {role}", lambda: user.send(text, **kwargs))

    async def press(self, role: str, label: str) -> None:
        user = self.users[role]
        msg = self.recent(role, buttons=True, limit=1)
        assert msg, f"{role} has no message with buttons"
        await self.deliver(f"setup {role}", lambda: user.press(msg[0], re.compile(label)))

    async def new_couple(self, therapist: str, label: str) -> tuple[str, str, str]:
        await self.send(therapist, f"/newcouple {label}")
        created = self.recent(therapist, limit=1)[0].text or ""
        public_id = re.search(r"\(id (\w+)\)", created)
        codes = LINK.findall(created)
        assert public_id is not None and len(codes) == 2, created
        return public_id.group(1), codes[0], codes[1]

    async def onboard(self, role: str, code: str) -> None:
        await self.send(role, f"/start {code}")
        for step in ("^Accept$", ".+"):  # consent, then keep the Telegram name
            await self.press(role, step)
        await self.send(role, "Europe/Berlin")
        await self.send(role, "08:00")
        await self.press(role, "^English$")
        await self.press(role, "^No, keep private$")
        last = self.recent(role, limit=1)[0].text or ""
        assert last.startswith("All set"), f"{role} did not finish setup: {last!r}"

    async def couple(self, therapist: str, partners: tuple[str, ...]) -> None:
        """A new couple of fresh people for `therapist`, with exercises delivered."""
        self._fresh_id += 10
        public_id, *codes = await self.new_couple(therapist, f"Couple {self._fresh_id}")
        for n, (role, code) in enumerate(zip(partners, codes, strict=False)):
            self.users[role] = self.tg.user(self._fresh_id + n, f"P{self._fresh_id + n}")
            await self.onboard(role, code)
        await flows.assign(self.app, public_id, SET_SLUG, date(2026, 11, 23))
        await flows.services(self.app).dispatcher.tick()
        self.ids.couples.append(public_id)
        async with flows.services(self.app).database.session() as session:
            couple = (await session.exec(select(Couple).where(Couple.public_id == public_id))).one()
            rows = await session.exec(
                select(Partner.id).where(Partner.couple_id == couple.id, col(Partner.is_current))
            )
            self.ids.partners.extend(int(i) for i in rows.all() if i is not None)

    async def heal(self) -> None:
        """After a leave, an erasure or a join: put everyone back in their role."""
        people = {role: self.users[role].id for role in ("partner", "partner2", "other_partner")}
        stranger = self.users["stranger"].id
        async with flows.services(self.app).database.session() as session:
            rows = await session.exec(
                select(Partner.telegram_id).where(
                    col(Partner.is_current),
                    col(Partner.telegram_id).in_([*people.values(), stranger]),
                )
            )
            current = set(rows.all())
        if people["partner"] not in current or people["partner2"] not in current:
            await self.couple("therapist", ("partner", "partner2"))
        if people["other_partner"] not in current:
            await self.couple("other_therapist", ("other_partner",))
        if stranger in current:
            self._fresh_id += 10
            self.users["stranger"] = self.tg.user(self._fresh_id, "Sam")


def _callback_data(markup: Any) -> list[str]:
    if not isinstance(markup, dict):
        return []
    rows = markup.get("inline_keyboard") or []
    return [b["callback_data"] for row in rows for b in row if "callback_data" in b]


def _harmless(record: logging.LogRecord) -> bool:
    return is_not_modified(record.exc_info[1] if record.exc_info else None)


def _short(data: dict[str, Any]) -> str:
    text = repr(data)
    return text if len(text) <= 600 else text[:600] + "…"


@asynccontextmanager
async def world(database_url: str, clock: ManualClock, tmp_path: Path) -> AsyncIterator[World]:
    """Two therapists, three partners, a stranger and a group, then the fuzz's turn."""
    settings = e2e.settings_for
    async with (
        FakeTelegram(token=e2e.TOKEN, rate_limits=False, wall_clock=clock.now) as tg,
        e2e.running_bot(settings(tg, database_url, tmp_path), clock) as app,
    ):
        assert app.updater is not None
        await app.updater.stop()  # from here on the world hands each update to the app
        http = app.bot._request
        app.bot._request = (http[0], InProcessRequest(tg))
        users = {"therapist": tg.user(2001, "Marta"), "other_therapist": tg.user(2002, "Otto")}
        users["stranger"] = tg.user(3001, "Sam")
        w = World(tg, app, clock, users, tg.group(-4001, "Family"))

        async def record(update: object, context: TwofoldContext) -> None:
            w.crashes.append(context.error)

        app.add_error_handler(record)
        logging.getLogger().addHandler(w.log)
        try:
            await flows.grant_therapist(app, 2001, "Dr. Marta")
            await flows.grant_therapist(app, 2002, "Dr. Otto")
            await w.couple("therapist", ("partner", "partner2"))
            await w.couple("other_therapist", ("other_partner",))
            await w.send("stranger", "/start")
            await w.send("partner", "/tell I would like to talk about last week.")
            yield w
        finally:
            logging.getLogger().removeHandler(w.log)
            app.bot._request = http
            await tg.state.updates.delete_webhook(drop_pending=True)  # nothing to replay
            await app.updater.start_polling(  # for running_bot's teardown
                poll_interval=0.0, timeout=1, allowed_updates=ALLOWED_UPDATES
            )
