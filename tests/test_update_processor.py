"""Updates from different people run at the same time; one person's run strictly in order."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from telegram import CallbackQuery, Chat, InaccessibleMessage, Message, Update, User

from bot.delivery.limiter import Posted, is_reply
from bot.update_processor import PerPersonOrder, answered_message

WHEN = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
_ids = iter(range(1, 10_000))


def message_from(user_id: int) -> Update:
    n = next(_ids)
    user = User(user_id, f"U{user_id}", is_bot=False)
    chat = Chat(user_id, Chat.PRIVATE)
    return Update(n, message=Message(n, WHEN, chat, from_user=user, text=str(n)))


class Handlers:
    """Handlers that record when they start and finish, and stay open until released."""

    def __init__(self) -> None:
        self.log: list[tuple[str, int]] = []
        self.gates: dict[int, asyncio.Event] = {}

    async def handle(self, update: Update) -> None:
        self.log.append(("start", update.update_id))
        gate = self.gates.setdefault(update.update_id, asyncio.Event())
        await gate.wait()
        self.log.append(("end", update.update_id))

    def release(self, update: Update) -> None:
        self.gates.setdefault(update.update_id, asyncio.Event()).set()

    def started(self) -> list[int]:
        return [n for what, n in self.log if what == "start"]


async def settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0)


def feed(
    processor: PerPersonOrder, handlers: Handlers, updates: list[Update]
) -> list[asyncio.Task[None]]:
    """What PTB's Application does: one task per update, started in arrival order."""
    return [asyncio.create_task(processor.process_update(u, handlers.handle(u))) for u in updates]


async def test_one_persons_updates_run_one_after_another_in_order() -> None:
    processor, handlers = PerPersonOrder(running=64), Handlers()
    first, second, third = message_from(1), message_from(1), message_from(1)
    tasks = feed(processor, handlers, [first, second, third])
    await settle()
    assert handlers.started() == [first.update_id]

    handlers.release(third)  # finishing out of order changes nothing: it has not started
    handlers.release(second)
    await settle()
    assert handlers.started() == [first.update_id]

    handlers.release(first)
    await asyncio.gather(*tasks)
    assert handlers.log == [
        ("start", first.update_id), ("end", first.update_id),
        ("start", second.update_id), ("end", second.update_id),
        ("start", third.update_id), ("end", third.update_id),
    ]  # fmt: skip
    assert processor.pending == 0  # nothing remembered once everyone is served


async def test_a_slow_update_does_not_hold_up_other_people() -> None:
    processor, handlers = PerPersonOrder(running=64), Handlers()
    slow, later_same_person = message_from(1), message_from(1)
    others = [message_from(user) for user in range(2, 12)]
    tasks = feed(processor, handlers, [slow, later_same_person, *others])
    await settle()

    assert handlers.started() == [slow.update_id] + [u.update_id for u in others]
    for update in [slow, later_same_person, *others]:
        handlers.release(update)
    await asyncio.gather(*tasks)


async def test_at_most_running_handlers_at_once_and_waiting_ones_take_no_place() -> None:
    processor, handlers = PerPersonOrder(running=2), Handlers()
    busy = message_from(1)
    queued_behind_busy = [message_from(1) for _ in range(5)]
    second, third = message_from(2), message_from(3)
    tasks = feed(processor, handlers, [busy, *queued_behind_busy, second, third])
    await settle()
    # Person 1's queued updates wait without a running place: person 2 still gets one.
    assert handlers.started() == [busy.update_id, second.update_id]

    handlers.release(second)
    await settle()
    assert handlers.started() == [busy.update_id, second.update_id, third.update_id]
    for update in [busy, *queued_behind_busy, third]:
        handlers.release(update)
    await asyncio.gather(*tasks)
    assert len(handlers.started()) == 8


async def test_handlers_run_as_replies_and_a_cancelled_wait_never_runs() -> None:
    processor = PerPersonOrder(running=4)
    seen: list[bool] = []
    gate = asyncio.Event()

    async def record(_: object) -> None:
        seen.append(is_reply())
        await gate.wait()

    first, second = message_from(1), message_from(1)
    running = asyncio.create_task(processor.process_update(first, record(first)))
    waiting = asyncio.create_task(processor.process_update(second, record(second)))
    await settle()
    waiting.cancel()
    gate.set()
    await running
    await asyncio.gather(waiting, return_exceptions=True)

    assert seen == [True]  # the first ran (as a reply to a person); the cancelled one never
    assert not is_reply()  # outside a handler: a job, paced like the broadcast
    assert processor.pending == 0


BOT = User(999, "Twofold", is_bot=True)


def test_the_answered_message_is_the_pressed_buttons_or_the_bot_message_replied_to() -> None:
    person = User(7, "P", is_bot=False)
    chat = Chat(7, Chat.PRIVATE)
    exercise = Message(40, WHEN, chat, from_user=BOT, text="Exercise")

    def press(message: Message | InaccessibleMessage) -> Update:
        query = CallbackQuery("q", person, "chat", message=message, data="dl:done")
        return Update(next(_ids), callback_query=query)

    def text(reply_to: Message | None) -> Update:
        message = Message(41, WHEN, chat, from_user=person, text="hi", reply_to_message=reply_to)
        return Update(next(_ids), message=message)

    assert answered_message(press(exercise)) == Posted(7, WHEN)
    assert answered_message(text(exercise)) == Posted(7, WHEN)
    own = Message(39, WHEN, chat, from_user=person, text="mine")
    assert answered_message(text(own)) is None  # a reply to their own message
    assert answered_message(text(None)) is None
    assert answered_message(press(InaccessibleMessage(chat, 40))) is None  # too old to show
    assert answered_message("not an update") is None
