"""What the fuzz test types and taps: commands, free text in each open step, button data.

Each strategy draws an `Action`; running it sends one update (after at most two opening a
step, such as `/safetyplan` then "Write my plan") through `World.deliver`, which checks it.
Ids that depend on what happened so far (couples, invite codes, the button data the bot has
sent) are drawn as indexes into the world's lists, read at run time, so a run is the same
sequence every time. Strategies draw only what they use: Hypothesis's cost is per draw.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from hypothesis import strategies as st

from bot.library.telegram_html import utf16_length
from tests.fakebotapi import SentMessage
from tests.fuzz_world import ROLES, World

Action = Callable[[World], Awaitable[None]]
Text = Callable[[World], str]  # a text, or one built from the world's ids when it runs
MAX_TEXT = 4096  # what a Telegram user can send in one message (UTF-16 code units)
INDEX = st.integers(0, 2**20)
ROLE = st.sampled_from(ROLES)


def capped(text: str, limit: int = MAX_TEXT) -> str:
    """`text` cut to what Telegram lets a person send."""
    while utf16_length(text) > limit:
        text = text[: max(limit // 2, len(text) - (utf16_length(text) - limit))]
    return text


# Text: any unicode (NUL and controls included), HTML-ish, crisis words, and the very long.
PIECES = [
    "<b>", "</b>", "<i>x</i>", "<a href='javascript:x'>", "</a>", "<tg-spoiler>", "<pre>",
    "&amp;", "&lt;", "&#0;", "&#x110000;", "&bogus;", "&", "<", ">", '"', "<br/>",
    "<script>alert(1)</script>", "<blockquote expandable>", "\x00", "\u202e", "\u200b",
    "\ufeff", "🏳️‍🌈", "😀", "é", "\n", " ", "/start", "@twofold_test_bot", "I want to die",
    "he hits me", "tomorrow", "08:30", "Europe/Berlin", "Ana", "x" * 70,
]  # fmt: skip
FRAGMENTS = st.lists(st.sampled_from(PIECES), min_size=1, max_size=8).map("".join)
LONG = st.builds(
    lambda piece, n: capped(piece * n),
    st.sampled_from(["x", "é", "😀", "<b>", "&", "a b ", "\x00x", "\n", "🏳️‍🌈", "I want to die. "]),
    st.integers(1, MAX_TEXT),
)
TEXT = st.one_of(st.text(min_size=1, max_size=120), FRAGMENTS, LONG)
ID = st.one_of(
    st.from_regex(r"[A-Za-z0-9_-]{1,24}", fullmatch=True),
    st.sampled_from(["0", "-1", "1", str(10**18), str(10**30), str(2**63), "1.5", "1e9", "x"]),
    st.integers().map(str),
)


def _couple(index: int) -> Text:
    return lambda world: world.ids.couples[index % len(world.ids.couples)]


# A command's argument: nothing, random text, or real couple ids (ours and other people's).
ARGUMENT: st.SearchStrategy[Text] = st.one_of(
    st.just(lambda world: ""),
    TEXT.map(lambda text: lambda world: text),
    ID.map(lambda word: lambda world: word),
    INDEX.map(_couple),
    st.builds(lambda i, word: lambda w: _couple(i)(w).upper() + word, INDEX, ID),
    st.builds(lambda i, text: lambda w: f"{_couple(i)(w)} {text}", INDEX, TEXT),
)


@dataclass(frozen=True)
class Command:
    role: str
    index: int
    separator: str
    argument: Text

    async def __call__(self, world: World) -> None:
        commands = [*world.commands(), "nosuchcommand", "START", "start@other_bot"]
        name = commands[self.index % len(commands)]
        text = capped(f"/{name}{self.separator}{self.argument(world)}".rstrip())
        user = world.users[self.role]
        await world.deliver(self.role, lambda: user.send(text))


COMMANDS = st.builds(
    Command, ROLE, INDEX, st.sampled_from([" ", " ", "  ", "\n", "@twofold_test_bot ", "\t"]),
    ARGUMENT,
)  # fmt: skip

KIND = {"therapist": "therapist", "other_therapist": "therapist", "partner": "partner",
        "partner2": "partner", "other_partner": "partner", "stranger": "stranger"}  # fmt: skip
# Steps to open before typing free text, per kind of person, as a person would open them.
OPENERS = {
    "partner": [[], [], ["/name"], ["/timezone"], ["/time"], ["/language"], ["/tell"],
                ["/safetyplan", "sp:new"], ["/newcouple"]],
    "therapist": [[], ["/newcouple"], ["/assign"], ["/tell"], ["/flags", "tr:{partner}"],
                  ["/safetyplan", "sp:new"], ["/name"]],
    "stranger": [[], ["/tell"], ["/safetyplan", "sp:new"], ["/name"]],
}  # fmt: skip


@dataclass(frozen=True)
class FreeText:
    """Text in an open step (or none: then it may answer an exercise), maybe as a reply."""

    role: str
    opener: int
    text: str
    reply: int | None

    async def __call__(self, world: World) -> None:
        kind = KIND[self.role]
        user = world.users[self.role]
        for step in OPENERS[kind][self.opener % len(OPENERS[kind])]:
            if step.startswith("/"):
                await world.deliver(f"{self.role} opening", lambda s=step: user.send(s))
            else:
                partners = world.ids.partners
                data = step.format(partner=partners[self.opener % len(partners)])
                await press(world, self.role, data, 0)
        recent = world.recent(self.role)
        target = recent[self.reply % len(recent)] if self.reply is not None and recent else None
        await world.deliver(self.role, lambda: user.send(self.text, reply_to=target))


FREE_TEXT = st.builds(
    FreeText, ROLE, INDEX, TEXT.filter(lambda s: s.strip() != "" and not s.startswith("/")),
    st.none() | INDEX,
)  # fmt: skip

# Button data as the bot builds it (bot/handlers/*), each slot filled with real ids (the
# presser's own, other people's), nonsense, huge numbers or nothing.
TEMPLATES = [
    "an:{n}", "an:{n}:add", "an:x", "an:{n}:{n}", "assign:c:{couple}", "assign:s:{slug}",
    "assign:d:{day}", "assign:{word}", "asgs:{action}:{n}", "asgs:list:{couple}",
    "asgs:confirm:{n}", "ck:{n}:{choice}", "ck:{n}", "arch:yes:{couple}", "arch:no", "arch:",
    "fs:{n}", "fa:{couple}:{n}", "fa:{couple}", "join:ok:{code}", "join:ok:", "join:no",
    "leave:yes", "leave:no", "leave:", "lib:set:{slug}", "lib:ex:{slug}", "lib:sets", "lib:",
    "erase:{word}", "erase:no", "erase:", "dl:{action}", "dl:v{n}", "dl:v", "rt:{n}", "rt:",
    "sos", "sp:new", "sp:del", "sp:yes", "sp:no", "sp:", "setup:{step}:{word}",
    "setup:{step}:keep", "setup:{step}", "settings:{step}", "settings:", "tr:{n}", "tr:",
    "tr:{partner}", "{word}",
]  # fmt: skip
SLOTS = {
    "action": ["done", "skip", "later", "pause", "resume", "cancel", "confirm", "list", "x", ""],
    "choice": ["safe", "not_sure", "need_help", "help", "x", ""],
    "day": ["today", "tomorrow", "monday", "yesterday", "2026-13-45", ""],
    "step": ["name", "timezone", "time", "language", "share", "partnershare", "discreet", "x"],
    "slug": ["love-maps-week", "daily-connection", "soft-startup", "no-such-set", "../etc", ""],
}
FIELD = re.compile(r"\{(\w+)\}")


@st.composite
def forged_data(draw: st.DrawFn) -> Text:
    """Structurally valid button data that is wrong: someone else's id, huge, or cut short."""
    template = draw(st.sampled_from(TEMPLATES))
    fields = set(FIELD.findall(template))
    picks = {name: draw(st.sampled_from(SLOTS[name])) for name in sorted(fields & set(SLOTS))}
    index = draw(INDEX)
    word = draw(ID | st.text(max_size=20)) if fields & {"n", "couple", "code", "word"} else ""

    def build(world: World) -> str:
        ids = world.ids
        real = [*ids.numbers, *ids.partners]
        values = {
            **picks,
            "n": str(real[index % len(real)]) if index % 2 and real else word,
            "couple": ids.couples[index % len(ids.couples)] if index % 4 else word,
            "code": ids.codes[index % len(ids.codes)] if ids.codes and index % 3 else word,
            "partner": str(ids.partners[index % len(ids.partners)]),
            "word": word,
        }
        return template.format(**values)

    return build


def _seen(index: int, how: str, extra: str) -> Text:
    """Data the bot really sent (to anyone): as is, cut at a colon, one more part, new digits."""

    def build(world: World) -> str:
        seen = world.ids.data
        data = seen[index % len(seen)] if seen else "x"
        return {
            "as is": data,
            "cut": data.rsplit(":", 1)[0],
            "more": f"{data}:{extra}",
            "digits": re.sub(r"\d+", extra, data),
        }[how]

    return build


def _random(index: int, suffix: str) -> Text:
    """A registered button prefix (or none) and anything after it."""

    def build(world: World) -> str:
        prefixes = world.button_prefixes()
        return prefixes[index % len(prefixes)] + suffix

    return build


DATA = st.one_of(
    forged_data(),
    st.builds(_seen, INDEX, st.sampled_from(["as is", "cut", "more", "digits"]), ID),
    st.builds(_random, INDEX, st.text(max_size=64)),
)


async def press(world: World, role: str, data: str, target: int | SentMessage) -> None:
    """Tap a button with `data` (at most 64 bytes, as Telegram allows) on a recent message.

    Only on a message that has buttons: a client can send any data, but only from a message
    with an inline keyboard.
    """
    data = data.encode()[:64].decode(errors="ignore") or "x"
    user = world.users[role]
    if isinstance(target, int):
        recent = world.recent(role, buttons=True)
        if not recent:  # /help always comes with "I need help now"
            await world.deliver(f"{role} opening", lambda: user.send("/help"))
            recent = world.recent(role, buttons=True)
        target = recent[target % len(recent)]
    msg = target
    await world.deliver(role, lambda: user.press_data(msg, data))
    if data.startswith(("leave:yes", "erase:", "join:ok:")) and data != "erase:no":
        await world.heal()  # someone may have left, been erased, or joined a couple


@dataclass(frozen=True)
class Press:
    role: str
    data: Text
    target: int

    async def __call__(self, world: World) -> None:
        await press(world, self.role, self.data(world), self.target)


@dataclass(frozen=True)
class Tap:
    """A real button on one of the presser's own recent messages, as a person would tap it."""

    role: str
    message: int
    button: int

    async def __call__(self, world: World) -> None:
        recent = world.recent(self.role, buttons=True)
        if not recent:
            await press(world, self.role, "sos", 0)
            return
        msg = recent[self.message % len(recent)]
        buttons = [b.callback_data for row in msg.button_rows() for b in row if b.callback_data]
        await press(world, self.role, buttons[self.button % len(buttons)] if buttons else "x", msg)


PRESSES = st.builds(Press, ROLE, DATA, INDEX)
TAPS = st.builds(Tap, ROLE, INDEX, INDEX)


@dataclass(frozen=True)
class Start:
    """`/start` with a payload: random, code-shaped, or a real invite code (used or not)."""

    role: str
    payload: str
    index: int

    async def __call__(self, world: World) -> None:
        codes = world.ids.codes
        payload = codes[self.index % len(codes)] if self.index % 3 == 0 and codes else self.payload
        user = world.users[self.role]
        await world.deliver(self.role, lambda: user.send(f"/start {payload}"))


@dataclass(frozen=True)
class Other:
    """An edit of one's own message, a sticker or a document, or anything in a group."""

    role: str
    kind: str
    text: str
    index: int

    async def __call__(self, world: World) -> None:
        user = world.users[self.role]
        own = world.own_messages(self.role)
        if self.kind == "edit" and own:
            msg = own[self.index % len(own)]
            await world.deliver(self.role, lambda: user.edit(msg, self.text))
        elif self.kind == "sticker":
            await world.deliver(self.role, lambda: user.send_sticker())
        elif self.kind == "document":
            await world.deliver(self.role, lambda: user.send_document(caption=self.text[:1024]))
        elif self.kind == "group press" and world.group.messages:
            msg, seen = world.group.messages[-1], world.ids.data
            data = seen[self.index % len(seen)] if seen else "x"
            await world.deliver("group", lambda: world.group.press_data(user, msg, data))
        else:
            # A new group to be added to, or (after it left) a message still in flight.
            group = world.new_group() if self.index % 2 else world.group
            await world.deliver("group", lambda: group.send(user, self.text))


STARTS = st.builds(
    Start, ROLE, st.text(min_size=1, max_size=64) | st.from_regex(r"[\w-]{1,64}", fullmatch=True),
    INDEX,
)  # fmt: skip
OTHERS = st.builds(
    Other, ROLE, st.sampled_from(["edit", "sticker", "document", "group press", "group"]),
    TEXT.filter(lambda s: s.strip() != ""), INDEX,
)  # fmt: skip
# Weighted by how many ways each family can go wrong: commands and buttons first.
ACTIONS = st.one_of(*[COMMANDS] * 3, *[FREE_TEXT] * 2, *[PRESSES] * 3, *[TAPS] * 2, STARTS, OTHERS)
