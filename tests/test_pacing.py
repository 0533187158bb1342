"""The pacer keeps sends under the global rate, one per chat per second, and obeys 429s."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from bot.services.pacing import PER_CHAT_INTERVAL, Pacer
from tests.virtual_time import VirtualTime as ConcurrentTime


class VirtualTime:
    """Monotonic time that moves only when someone sleeps."""

    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        await asyncio.sleep(0)


async def send_all(pacer: Pacer, time: VirtualTime, chats: list[int]) -> list[tuple[float, int]]:
    sent: list[tuple[float, int]] = []

    async def one(chat: int) -> None:
        await pacer.slot(chat)
        sent.append((time.now, chat))

    for chat in chats:  # sequential: virtual time would make concurrency meaningless
        await one(chat)
    return sent


async def test_global_rate_is_respected() -> None:
    time = VirtualTime()
    pacer = Pacer(25, monotonic=time.monotonic, sleep=time.sleep)

    sent = await send_all(pacer, time, list(range(100)))

    assert sent[-1][0] == pytest.approx(99 / 25)
    windows = [sum(1 for t, _ in sent if start <= t < start + 1) for start in range(4)]
    assert max(windows) <= 25


async def test_one_message_per_chat_per_second_with_a_margin() -> None:
    time = VirtualTime()
    pacer = Pacer(25, monotonic=time.monotonic, sleep=time.sleep)

    sent = await send_all(pacer, time, [7, 7, 7, 8])

    times_for_7 = [t for t, chat in sent if chat == 7]
    gaps = [b - a for a, b in itertools.pairwise(times_for_7)]
    assert gaps == [PER_CHAT_INTERVAL, PER_CHAT_INTERVAL] and PER_CHAT_INTERVAL > 1.0


async def test_nothing_is_sent_while_retry_after_is_in_force() -> None:
    time = VirtualTime()
    pacer = Pacer(25, monotonic=time.monotonic, sleep=time.sleep)
    await pacer.slot(1)

    pacer.retry_after(5)
    await pacer.slot(2)

    assert time.now >= 5


def test_a_flood_wait_is_passed_on_unless_it_came_from_elsewhere() -> None:
    time = VirtualTime()
    pacer = Pacer(25, monotonic=time.monotonic, sleep=time.sleep)
    told: list[float] = []
    pacer.on_retry_after(told.append)

    pacer.retry_after(3)
    pacer.retry_after(5, tell=False)  # heard from another instance: no echo

    assert told == [3] and pacer.blocked_for() == 5
    time.now = 5.5
    assert pacer.blocked_for() == 0


async def test_broadcast_senders_go_first_come_first_served_and_a_busy_chat_waits_alone() -> None:
    time = ConcurrentTime()
    pacer = Pacer(25, monotonic=time.monotonic, sleep=time.sleep)
    served: list[int] = []

    async def sender(n: int, chat: int, arrives: float) -> None:
        await time.sleep(arrives)
        await pacer.slot(chat)
        served.append(n)

    async def scenario() -> None:
        await pacer.slot(99)  # chat 99 just got a message: busy for PER_CHAT_INTERVAL
        # Sender 0 waits from the start; the others keep arriving while it waits.
        await asyncio.gather(
            sender(0, 1, 0.0),
            sender(1, 99, 0.001),
            *(sender(n, n, 0.001 + n / 1000) for n in range(2, 40)),
        )

    await time.run(scenario())

    expected = [0, *range(2, 40)]
    assert [n for n in served if n != 1] == expected  # first come, first served
    assert served.index(1) > 20  # the busy chat waited its second, holding nobody up
