"""One rate budget per process: replies go ahead of the broadcast, button answers never wait,
and a 429 on any message makes every send of the process wait exactly retry_after."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from telegram.error import RetryAfter

from bot.delivery.limiter import Posted, SharedLimiter, chat_key, handling_update
from bot.services.pacing import Pacer, overall_rate
from tests.virtual_time import VirtualTime


def pacer_on(time: VirtualTime, rate: float = 25, overall: float = 28) -> Pacer:
    # A round second per chat (production adds a margin) keeps the arithmetic readable.
    return Pacer(
        rate, overall=overall, per_chat_interval=1.0, monotonic=time.monotonic, sleep=time.sleep
    )


class Api:
    """Records when each call reached 'Telegram'; answers 429 to the calls listed."""

    def __init__(self, time: VirtualTime, refuse: dict[int, float] | None = None) -> None:
        self.time = time
        self.calls: list[tuple[float, str, Any]] = []
        self._refuse = refuse or {}
        self._count = itertools.count()

    def callback(self, endpoint: str, chat: Any) -> Any:
        async def call() -> bool:
            n = next(self._count)
            self.calls.append((self.time.now, endpoint, chat))
            if n in self._refuse:
                raise RetryAfter(int(self._refuse[n]))
            return True

        return call


async def request(limiter: SharedLimiter, api: Api, endpoint: str, chat: Any) -> Any:
    return await limiter.process_request(
        api.callback(endpoint, chat), (), {}, endpoint, {"chat_id": chat}, None
    )


async def test_a_reply_goes_ahead_of_a_waiting_broadcast() -> None:
    time = VirtualTime()
    pacer = pacer_on(time)
    limiter = SharedLimiter(pacer)
    api = Api(time)
    sent: list[tuple[float, str]] = []

    async def broadcast(chat: int) -> None:
        await pacer.slot(chat)
        sent.append((time.now, "broadcast"))

    async def reply() -> None:
        await time.sleep(0.1)  # arrives while 40 broadcast sends are queued
        with handling_update():
            await request(limiter, api, "sendMessage", 999)
        sent.append((time.now, "reply"))

    async def scenario() -> None:
        import asyncio

        await asyncio.gather(*(broadcast(c) for c in range(40)), reply())

    await time.run(scenario())

    order = [kind for _, kind in sorted(sent)]
    assert order.index("reply") <= 5  # the next slot or so, not behind 40 queued sends
    times = sorted(t for t, _ in sent)
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert min(gaps) >= 1 / 28 - 1e-9  # together, never above the combined ceiling
    bulk = [t for t, kind in sorted(sent) if kind == "broadcast"]
    assert min(b - a for a, b in itertools.pairwise(bulk)) >= 1 / 25 - 1e-9


async def test_answering_a_button_never_waits_for_the_broadcast_or_a_flood_wait() -> None:
    time = VirtualTime()
    pacer = pacer_on(time)
    limiter = SharedLimiter(pacer)
    api = Api(time)
    pacer.retry_after(30)  # the broadcast is held by a 429

    async def scenario() -> None:
        with handling_update():
            await request(limiter, api, "answerCallbackQuery", None)
            await request(limiter, api, "editMessageReplyMarkup", 5)
        await request(limiter, api, "sendMessage", 5)

    await time.run(scenario())

    assert [(t, e) for t, e, _ in api.calls] == [
        (0.0, "answerCallbackQuery"),
        (0.0, "editMessageReplyMarkup"),
        (30.0, "sendMessage"),  # a message does wait the flood wait out
    ]


async def test_a_429_on_a_reply_stops_every_send_for_exactly_retry_after() -> None:
    time = VirtualTime()
    pacer = pacer_on(time)
    limiter = SharedLimiter(pacer)
    api = Api(time, refuse={0: 3})
    broadcast_at: list[float] = []

    async def broadcast() -> None:
        await time.sleep(0.5)
        await pacer.slot(77)
        broadcast_at.append(time.now)

    async def scenario() -> None:
        import asyncio

        with handling_update():
            reply = asyncio.ensure_future(request(limiter, api, "sendMessage", 5))
        await asyncio.gather(reply, broadcast())

    await time.run(scenario())

    assert [t for t, _, _ in api.calls] == [0.0, 3.0]  # refused, then tried again at 3 s
    assert broadcast_at[0] >= 3.0  # the dispatcher's sends waited too


async def test_a_reply_still_keeps_one_message_per_chat_per_second() -> None:
    time = VirtualTime()
    pacer = pacer_on(time)
    limiter = SharedLimiter(pacer)
    api = Api(time)

    async def scenario() -> None:
        await pacer.slot(5)  # the exercise just went to chat 5
        with handling_update():
            await request(limiter, api, "sendMessage", 5)
            await request(limiter, api, "sendMessage", 6)

    await time.run(scenario())

    assert [(t, c) for t, _, c in api.calls] == [(1.0, 5), (pytest.approx(1 + 1 / 28), 6)]


async def test_replies_to_one_person_keep_a_second_apart_and_the_broadcast_after_them() -> None:
    # "Saved" and then the rating question, sent at once, drew a 429 under Telegram's
    # one-message-per-second-per-chat limit; another person's reply does not wait for them.
    time = VirtualTime()
    pacer = pacer_on(time)
    limiter = SharedLimiter(pacer)
    api = Api(time)
    broadcast_at: list[float] = []

    async def scenario() -> None:
        with handling_update():
            for chat in (5, 5, 6, 5):
                await request(limiter, api, "sendMessage", chat)
        await pacer.slot(5)
        broadcast_at.append(time.now)

    await time.run(scenario())

    assert [(t, c) for t, _, c in api.calls] == [
        (0.0, 5), (1.0, 5), (pytest.approx(1 + 1 / 28), 6), (2.0, 5),
    ]  # fmt: skip
    assert broadcast_at == [3.0]  # one second after the last reply


async def test_a_429_after_the_last_retry_reaches_the_handler() -> None:
    time = VirtualTime()
    limiter = SharedLimiter(pacer_on(time), max_retries=1)
    api = Api(time, refuse={0: 1, 1: 1})

    with pytest.raises(RetryAfter):
        await time.run(request(limiter, api, "sendMessage", 5))
    assert len(api.calls) == 2


EPOCH = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # virtual time 0.0, on a whole second


class WallClock:
    """The wall clock that goes with a VirtualTime (what the app's Clock would say)."""

    def __init__(self, time: VirtualTime) -> None:
        self.time = time

    def now(self) -> datetime:
        return EPOCH + timedelta(seconds=self.time.now)


def posted(chat: int, seconds: float) -> Posted:
    """A message posted at virtual `seconds`, dated as Telegram dates it (to the second)."""
    return Posted(chat, EPOCH + timedelta(seconds=int(seconds)))


async def reply_answering(
    time: VirtualTime, answering: Posted, *, at: float, chats: tuple[int, ...] = (5,)
) -> list[tuple[float, Any]]:
    """Send a reply to each of `chats` at virtual `at`, answering `answering`."""
    limiter = SharedLimiter(pacer_on(time), clock=WallClock(time))
    api = Api(time)

    async def scenario() -> None:
        await time.sleep(at)
        with handling_update(answering):
            for chat in chats:
                await request(limiter, api, "sendMessage", chat)

    await time.run(scenario())
    return [(t, c) for t, _, c in api.calls]


async def test_a_reply_keeps_a_second_from_the_message_it_answers_even_one_sent_elsewhere() -> None:
    # The exercise went to chat 5 at 0.7 s from another instance (this pacer never saw it);
    # Telegram dates it 0 s. The press is answered at 1.2 s: the reply waits until 2.0 s,
    # the earliest moment a second after any time the date allows.
    calls = await reply_answering(VirtualTime(), posted(5, 0.7), at=1.2)
    assert calls == [(pytest.approx(2.0), 5)]
    assert calls[0][0] >= 0.7 + 1


async def test_a_reply_to_an_older_message_or_in_another_chat_goes_at_once() -> None:
    assert await reply_answering(VirtualTime(), posted(5, 3.0), at=5.5) == [(5.5, 5)]
    # The partner's chat is not the one the pressed message is in: nothing to keep from.
    assert await reply_answering(VirtualTime(), posted(5, 0.2), at=0.5, chats=(6,)) == [(0.5, 6)]


async def test_a_date_our_clock_cannot_place_holds_nothing_up() -> None:
    future = Posted(5, EPOCH + timedelta(hours=1))  # the clocks disagree: nothing to go by
    assert await reply_answering(VirtualTime(), future, at=0.5) == [(0.5, 5)]
    # Without a clock (as in older callers), the reply only keeps clear of its own sends.
    time = VirtualTime()
    api = Api(time)
    with handling_update(posted(5, 0.0)):
        await time.run(request(SharedLimiter(pacer_on(time)), api, "sendMessage", 5))
    assert [t for t, _, _ in api.calls] == [0.0]


def test_the_combined_ceiling_leaves_replies_room_and_stays_under_telegrams_limit() -> None:
    assert overall_rate(25) == pytest.approx(28)
    assert overall_rate(12.5) == pytest.approx(14)  # two instances: 28 together
    assert overall_rate(30) == 30  # never below the broadcast rate itself
    assert chat_key("42") == 42 and chat_key("@channel") is None and chat_key(None) is None
