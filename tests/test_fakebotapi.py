"""The fake Bot API server, exercised through the real python-telegram-bot ``Bot``.

These tests pin the behaviours later end-to-end tests rely on: if PTB can talk to the fake and
gets Telegram's errors for Telegram's reasons, a bot that passes against the fake is unlikely to
be surprised by the real thing.
"""

from __future__ import annotations

import asyncio
import html
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import aiohttp
import pytest
import telegram
from aiohttp import web
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import (
    BadRequest,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TimedOut,
)
from telegram.ext import ApplicationBuilder, CallbackQueryHandler, CommandHandler, ContextTypes

from tests.fakebotapi import FakeClock, FakeTelegram, RateLimits, Window, parse_html
from tests.fakebotapi.html import EntityParseError

TOKEN = "123:ABC"


@pytest.fixture(autouse=True)
def _retry_after_as_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    """PTB 22 warns when RetryAfter.retry_after is read as int; opt in to timedelta instead."""
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(TOKEN, rate_limits=False) as fake:
        yield fake


def make_bot(tg: FakeTelegram, token: str = TOKEN) -> telegram.Bot:
    return telegram.Bot(token, base_url=tg.base_url, base_file_url=tg.base_file_url)


@pytest.fixture
async def bot(tg: FakeTelegram) -> AsyncIterator[telegram.Bot]:
    async with make_bot(tg) as b:
        yield b


def keyboard(*rows: list[tuple[str, str]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in rows]
    )


async def raw_post(tg: FakeTelegram, path: str, **data: Any) -> tuple[int, dict[str, Any]]:
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{tg.url}{path}", data=data) as response,
    ):
        return response.status, await response.json()


# -- identity, auth, routing -------------------------------------------------------------------


async def test_get_me_describes_the_bot(bot: telegram.Bot) -> None:
    me = await bot.get_me()
    assert (me.id, me.is_bot, me.first_name, me.username) == (
        123,
        True,
        "Twofold",
        "twofold_test_bot",
    )
    assert me.can_join_groups is True


async def test_tokens_and_unknown_methods_are_rejected_like_telegram(tg: FakeTelegram) -> None:
    assert await raw_post(tg, "/bot123:WRONG/getMe") == (
        401,
        {"ok": False, "error_code": 401, "description": "Unauthorized"},
    )
    status, body = await raw_post(tg, "/botgarbage/getMe")
    assert (status, body["description"]) == (404, "Not Found")
    status, body = await raw_post(tg, f"/bot{TOKEN}/noSuchMethod")
    assert (status, body["description"]) == (404, "Not Found")
    status, body = await raw_post(tg, f"/bot{TOKEN}/GETME")  # method names are case-insensitive
    assert status == 200 and body["result"]["username"] == "twofold_test_bot"
    with pytest.raises(InvalidToken):
        async with make_bot(tg, "123:WRONG"):
            pass


async def test_unknown_method_via_ptb_is_not_found(bot: telegram.Bot) -> None:
    with pytest.raises(telegram.error.EndPointNotFound):
        await bot.do_api_request("getSecretSauce", api_kwargs={"chat_id": 1})


# -- sending, editing, deleting ----------------------------------------------------------------


async def test_send_edit_delete_roundtrip(tg: FakeTelegram, bot: telegram.Bot) -> None:
    alice = tg.user(1001, "Alice")
    sent = await bot.send_message(
        1001,
        "<b>Hello</b> &amp; welcome",
        parse_mode="HTML",
        reply_markup=keyboard([("Done", "d:1")]),
    )
    assert sent.text == "Hello & welcome" and sent.entities[0].type == "bold"
    assert sent.reply_markup is not None
    msg = alice.last
    assert (msg.message_id, msg.text) == (sent.message_id, "Hello & welcome")
    assert msg.html == "<b>Hello</b> &amp; welcome"
    assert msg.buttons == [[("Done", "d:1")]] and msg.button("Done").callback_data == "d:1"

    edited = await bot.edit_message_text("Bye", chat_id=1001, message_id=sent.message_id)
    assert (
        isinstance(edited, telegram.Message)
        and edited.text == "Bye"
        and msg.text == "Bye"
        and msg.edits == ["Hello & welcome"]
    )
    assert msg.buttons == []  # Telegram drops the keyboard when an edit omits reply_markup
    with pytest.raises(BadRequest, match=r"(?i)not modified"):
        await bot.edit_message_text("Bye", chat_id=1001, message_id=sent.message_id)

    assert await bot.delete_message(1001, sent.message_id) is True
    assert msg.deleted
    with pytest.raises(BadRequest, match=r"(?i)message to delete not found"):
        await bot.delete_message(1001, sent.message_id)
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("again", chat_id=1001, message_id=sent.message_id)


async def test_message_ids_are_shared_by_both_sides_and_replies_resolve(
    tg: FakeTelegram, bot: telegram.Bot
) -> None:
    alice = tg.user(1001, "Alice")
    first = await bot.send_message(1001, "Question?")
    answer = await alice.send("Answer", reply_to=alice.last)
    second = await bot.send_message(1001, "Thanks", reply_to_message_id=answer.message_id)
    assert (first.message_id, answer.message_id, second.message_id) == (1, 2, 3)
    assert second.reply_to_message is not None and second.reply_to_message.text == "Answer"
    (update,) = await bot.get_updates(timeout=0)
    assert update.message is not None and update.message.reply_to_message is not None
    assert update.message.reply_to_message.message_id == first.message_id
    with pytest.raises(BadRequest, match=r"(?i)message to be replied not found"):
        await bot.send_message(1001, "x", reply_to_message_id=99)


async def test_unknown_chat_and_blocked_user(tg: FakeTelegram, bot: telegram.Bot) -> None:
    tg.user(1001, "Alice")
    with pytest.raises(BadRequest, match=r"(?i)Chat not found"):
        await bot.send_message(424242, "hello?")
    tg.block(1001)
    with pytest.raises(Forbidden, match=r"(?i)bot was blocked by the user"):
        await bot.send_message(1001, "hello?")
    (update,) = await bot.get_updates(timeout=0)
    assert update.my_chat_member is not None
    assert update.my_chat_member.new_chat_member.status == "kicked"
    tg.unblock(1001)
    assert (await bot.send_message(1001, "welcome back")).text == "welcome back"
    assert (await bot.get_chat(1001)).first_name == "Alice"


@pytest.mark.parametrize(
    ("html", "reason"),
    [
        ("<b>bold", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<foo>x</foo>", 'Unsupported start tag "foo" at byte offset 0'),
        ("1 < 2", 'Unsupported start tag "" at byte offset 2'),
        ("x <b", "Unclosed start tag at byte offset 2"),
        ("<b><i>x</b></i>", 'Unmatched end tag at byte offset 7, expected "</i>", found "</b>"'),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler" at byte offset 0'),
        ("ok</b>", "Unexpected end tag at byte offset 2"),
    ],
)
async def test_invalid_html_is_rejected_with_telegrams_reason(
    tg: FakeTelegram, bot: telegram.Bot, html: str, reason: str
) -> None:
    tg.user(1001)
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities") as caught:
        await bot.send_message(1001, html, parse_mode="HTML")
    assert tg.errors[-1].description == f"Bad Request: can't parse entities: {reason}"
    assert caught.value.message.lower().endswith(reason.lower())


async def test_html_entities_follow_telegram_not_browsers(
    tg: FakeTelegram, bot: telegram.Bot
) -> None:
    alice = tg.user(1001)
    sent = await bot.send_message(1001, "Tom & Jerry &nbsp;&#65;&#x42;&lt", parse_mode="HTML")
    assert sent.text == alice.last.text == "Tom & Jerry &nbsp;AB<"  # unknown entities stay literal
    async with FakeTelegram(TOKEN, rate_limits=False, strict_html=True) as strict:
        strict.user(1001)
        async with make_bot(strict) as strict_bot:
            with pytest.raises(BadRequest, match=r"(?i)strict mode"):
                await strict_bot.send_message(1001, "Tom & Jerry", parse_mode="HTML")


def test_html_parser_offsets_are_utf16_and_pre_code_merge() -> None:
    text, entities = parse_html('🏟 <b>x</b><pre><code class="language-py">y</code></pre>')
    assert text == "🏟 xy"
    assert entities == [
        {"type": "bold", "offset": 3, "length": 1},
        {"type": "pre", "offset": 4, "length": 1, "language": "py"},
    ]
    with pytest.raises(EntityParseError, match=r"(?i)byte offset 13"):
        parse_html("🏟 🏟&lt;<abacaba")  # tdlib's own test case: offsets count UTF-8 bytes


async def test_text_length_and_emptiness(tg: FakeTelegram, bot: telegram.Bot) -> None:
    tg.user(1001)
    await bot.send_message(1001, "x" * 4096)
    await bot.send_message(1001, "<b>" + "x" * 4096 + "</b>", parse_mode="HTML")  # tags don't count
    await bot.send_message(1001, "😀" * 2048)  # 4096 UTF-16 code units
    for too_long in ("x" * 4097, "😀" * 2049):
        with pytest.raises(BadRequest, match=r"(?i)Message is too long"):
            await bot.send_message(1001, too_long)
    for empty in ("", "  \n ", "<b></b>"):
        with pytest.raises(BadRequest, match=r"(?i)Message text is empty"):
            await bot.send_message(1001, empty, parse_mode="HTML")


async def test_inline_keyboard_validation(tg: FakeTelegram, bot: telegram.Bot) -> None:
    tg.user(1001)
    await bot.send_message(1001, "ok", reply_markup=keyboard([("a", "x" * 64)]))
    for data in ("x" * 65, "я" * 33):  # 64 *bytes*, not characters
        with pytest.raises(BadRequest, match=r"(?i)Button_data_invalid"):
            await bot.send_message(1001, "no", reply_markup=keyboard([("a", data)]))
    with pytest.raises(BadRequest, match=r"(?i)Text buttons are unallowed"):
        await bot.send_message(1001, "no", reply_markup=keyboard([("a", "")]))
    bad_url = InlineKeyboardMarkup([[InlineKeyboardButton("site", url="not-a-url")]])
    with pytest.raises(BadRequest, match=r"(?i)'not-a-url' is invalid: Wrong HTTP URL"):
        await bot.send_message(1001, "no", reply_markup=bad_url)


# -- rate limits -------------------------------------------------------------------------------


async def test_flood_limit_answers_retry_after_until_the_clock_moves() -> None:
    clock = FakeClock()
    async with FakeTelegram(TOKEN, clock=clock.monotonic, wall_clock=clock.now) as tg:
        tg.user(1001)
        async with make_bot(tg) as bot:
            for n in range(3):  # a private chat allows a burst of three
                await bot.send_message(1001, f"burst {n}")
            with pytest.raises(RetryAfter) as caught:
                await bot.send_message(1001, "one too many")
            assert caught.value.retry_after == timedelta(seconds=3)
            clock.advance(1)
            with pytest.raises(RetryAfter) as early:
                await bot.send_message(1001, "ignoring retry_after")
            assert early.value.retry_after == timedelta(seconds=2)
            clock.advance(2)
            await bot.send_message(1001, "after waiting")
            await bot.send_chat_action(1001, "typing")  # not a message: never counted
            stats = tg.rate_limit_stats
            assert (stats.total_429, stats.violations) == (2, 1)
            assert [c for c in tg.calls_to("sendMessage") if c["text"] == "one too many"]
            assert len(tg.user(1001).messages) == 4


async def test_global_limit_spans_chats() -> None:
    clock = FakeClock()
    limits = RateLimits(overall=Window(2, 1.0), private_chat=Window(10, 1.0))
    async with FakeTelegram(TOKEN, rate_limits=limits, clock=clock.monotonic) as tg:
        for uid in (1, 2, 3):
            tg.user(uid)
        async with make_bot(tg) as bot:
            await bot.send_message(1, "a")
            await bot.send_message(2, "b")
            tg.fail_next("getMe", 500)  # unrelated methods are not rate limited
            with pytest.raises(RetryAfter):
                await bot.send_message(3, "c")
            clock.advance(1)
            await bot.send_message(3, "c")
            assert tg.rate_limit_stats.by_scope["global"] == 1


# -- updates: long polling and webhooks ---------------------------------------------------------


async def test_long_poll_returns_as_soon_as_a_user_writes(
    tg: FakeTelegram, bot: telegram.Bot
) -> None:
    alice = tg.user(1001, "Alice", username="alice")
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await tg.wait_for_call("getUpdates")
    assert not poll.done()
    await alice.send("/start abc")
    (update,) = await asyncio.wait_for(poll, 2)
    assert update.message is not None and update.message.text == "/start abc"
    assert update.message.from_user is not None and update.message.from_user.username == "alice"
    assert [(e.type, e.offset, e.length) for e in update.message.entities] == [
        ("bot_command", 0, 6)
    ]
    again = await bot.get_updates(timeout=0)
    assert [u.update_id for u in again] == [update.update_id]  # not confirmed yet
    assert await bot.get_updates(offset=update.update_id + 1, timeout=0) == ()
    await alice.send("second")
    (later,) = await bot.get_updates(timeout=0)
    assert later.update_id > update.update_id


async def test_a_second_poller_terminates_the_first(tg: FakeTelegram, bot: telegram.Bot) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=5))
    await tg.wait_for_call("getUpdates")
    async with make_bot(tg) as second_instance:  # one Bot never polls twice at once
        assert await second_instance.get_updates(timeout=0) == ()
    with pytest.raises(Conflict, match=r"(?i)terminated by other getUpdates request"):
        await asyncio.wait_for(first, 2)


async def test_webhook_delivers_in_order_with_secret_and_retries(
    tg: FakeTelegram, bot: telegram.Bot
) -> None:
    received: asyncio.Queue[tuple[str | None, dict[str, Any]]] = asyncio.Queue()
    failures = [500]  # the receiver fails once, then recovers

    async def receive(request: web.Request) -> web.Response:
        body = await request.json()
        await received.put((request.headers.get("X-Telegram-Bot-Api-Secret-Token"), body))
        return web.Response(status=failures.pop() if failures else 200)

    app = web.Application()
    app.router.add_post("/hook", receive)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        alice = tg.user(1001)
        await bot.set_webhook(f"http://127.0.0.1:{port}/hook", secret_token="s3cret")
        assert tg.webhook is not None and tg.webhook.secret_token == "s3cret"
        with pytest.raises(Conflict, match=r"(?i)webhook is active"):
            await bot.get_updates(timeout=0)
        await alice.send("one")
        await alice.send("two")
        got = [await asyncio.wait_for(received.get(), 5) for _ in range(3)]
        assert {secret for secret, _ in got} == {"s3cret"}
        assert [body["message"]["text"] for _, body in got] == ["one", "one", "two"]
        await tg.wait_until(lambda: not tg.pending_updates, message="delivery")
        info = await bot.get_webhook_info()
        assert info.url.endswith("/hook") and info.pending_update_count == 0
        assert (
            info.last_error_message == "Wrong response from the webhook: 500 Internal Server Error"
        )
        await bot.delete_webhook()
        assert tg.webhook is None and await bot.get_updates(timeout=0) == ()
    finally:
        await runner.cleanup()


# -- callbacks, files, commands, chats ----------------------------------------------------------


async def test_pressing_a_button_and_answering_the_query(
    tg: FakeTelegram, bot: telegram.Bot
) -> None:
    alice = tg.user(1001, "Alice")
    await bot.send_message(1001, "Pick", reply_markup=keyboard([("Yes", "y"), ("No", "n")]))
    pick = await alice.wait_for("Pick")
    with pytest.raises(AssertionError, match=r"(?i)no button 'Maybe'"):
        await alice.press(pick, "Maybe")
    query_id = await alice.press(pick, re.compile("^N"))
    (update,) = await bot.get_updates(timeout=0)
    query = update.callback_query
    assert query is not None and (query.id, query.data) == (query_id, "n")
    assert query.message is not None and query.message.message_id == pick.message_id
    await bot.answer_callback_query(query_id, text="Noted", show_alert=True)
    assert await alice.wait_for_answer(query_id) == "Noted"
    assert tg.answers[query_id].show_alert is True
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_callback_query(query_id)
    stale = await alice.press_data(pick, "forged:data")
    updates = await bot.get_updates(offset=update.update_id + 1, timeout=0)
    assert updates[0].callback_query is not None
    assert (updates[0].callback_query.id, updates[0].callback_query.data) == (stale, "forged:data")


async def test_wait_for_walks_forward_and_explains_timeouts(
    tg: FakeTelegram, bot: telegram.Bot
) -> None:
    alice = tg.user(1001, "Alice")
    first = await bot.send_message(1001, "Welcome")
    await bot.send_message(1001, "Step 1")
    assert (await alice.wait_for("Step")).text == "Step 1"
    with pytest.raises(AssertionError, match=r"(?i)got no new bot message matching 'Welcome'"):
        await alice.wait_for("Welcome", timeout=0.05)  # already read past it
    await bot.edit_message_text("Welcome back", chat_id=1001, message_id=first.message_id)
    assert (await alice.wait_for("back", edited=True)).message_id == first.message_id
    with pytest.raises(BadRequest):
        await bot.send_message(1001, "<i>oops", parse_mode="HTML")
    with pytest.raises(AssertionError, match=r"(?i)can't parse entities") as caught:
        await alice.wait_for("oops", timeout=0.05)
    assert "Step 1" in str(caught.value)


async def test_document_upload_roundtrip(tg: FakeTelegram, bot: telegram.Bot) -> None:
    alice = tg.user(1001)
    payload = bytes(range(256)) * 4
    sent = await bot.send_document(
        1001, payload, filename="report.pdf", caption="<b>Report</b>", parse_mode="HTML"
    )
    doc = alice.last.document
    assert doc is not None and (doc.data, doc.filename) == (payload, "report.pdf")
    assert alice.last.text == "Report" and alice.last.html == "<b>Report</b>"
    assert sent.document is not None and sent.document.file_name == "report.pdf"
    downloaded = await (await bot.get_file(sent.document.file_id)).download_as_bytearray()
    assert bytes(downloaded) == payload
    await bot.send_photo(1001, b"\x89PNG fake", caption="pic")
    assert alice.last.photo == b"\x89PNG fake" and alice.last.kind == "photo"
    with pytest.raises(BadRequest, match=r"(?i)caption is too long"):
        await bot.send_document(1001, b"x", filename="x.txt", caption="c" * 1025)


async def test_set_my_commands_is_stored_per_scope_and_language(
    tg: FakeTelegram, bot: telegram.Bot
) -> None:
    await bot.set_my_commands([("start", "Begin"), ("help", "Help")])
    await bot.set_my_commands(
        [("start", "Beginnen")],
        scope=telegram.BotCommandScopeAllPrivateChats(),
        language_code="de",
    )
    assert tg.commands() == [("start", "Begin"), ("help", "Help")]
    assert tg.commands("all_private_chats", "de") == [("start", "Beginnen")]
    assert tg.commands("all_private_chats") == []
    stored = await bot.get_my_commands(
        scope=telegram.BotCommandScopeAllPrivateChats(), language_code="de"
    )
    assert [(c.command, c.description) for c in stored] == [("start", "Beginnen")]
    with pytest.raises(BadRequest, match=r"(?i)Bot_command_invalid"):
        await bot.set_my_commands([("Start", "Uppercase is invalid")])
    with pytest.raises(BadRequest, match=r"(?i)description must be non-empty"):
        await bot.set_my_commands([("start", "")])
    await bot.delete_my_commands()
    assert tg.commands() == []


async def test_group_chats(tg: FakeTelegram, bot: telegram.Bot) -> None:
    alice = tg.user(1001, "Alice")
    family = tg.group(-5001, title="Family")
    await family.send(alice, "/start@twofold_test_bot")
    (update,) = await bot.get_updates(timeout=0)
    assert update.message is not None and update.message.chat.type == "group"
    assert update.message.entities[0].length == len("/start@twofold_test_bot")
    await bot.send_message(-5001, "Hi family")
    assert (await family.wait_for("family")).chat_id == -5001 and alice.messages == []
    chat = await bot.get_chat(-5001)
    assert chat.title == "Family"
    assert await bot.leave_chat(-5001) is True
    with pytest.raises(Forbidden, match=r"(?i)not a member"):
        await bot.send_message(-5001, "still here?")


# -- failure injection and the clock -----------------------------------------------------------


async def test_dropped_response_still_delivers_the_message(
    tg: FakeTelegram, bot: telegram.Bot
) -> None:
    alice = tg.user(1001)
    tg.drop_response_next("sendMessage")
    with pytest.raises(NetworkError):
        await bot.send_message(1001, "did it arrive?")
    assert [m.text for m in alice.messages] == ["did it arrive?"]
    tg.drop_response_next("sendMessage", hang=True)
    with pytest.raises(TimedOut):
        await bot.send_message(1001, "slow network", read_timeout=0.2)
    assert alice.last.text == "slow network"
    await bot.send_message(1001, "next one is answered normally")


async def test_injected_failures(tg: FakeTelegram, bot: telegram.Bot) -> None:
    alice = tg.user(1001)
    tg.fail_next("sendMessage", 502, times=2)
    tg.fail_next("sendmessage", 429, retry_after=7)
    for _ in range(2):
        with pytest.raises(NetworkError, match=r"(?i)Bad Gateway"):
            await bot.send_message(1001, "x")
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(1001, "x")
    assert caught.value.retry_after == timedelta(seconds=7)
    await bot.send_message(1001, "finally")
    assert [m.text for m in alice.messages] == ["finally"]
    assert [e.status for e in tg.errors] == [502, 502, 429]


async def test_delete_respects_the_48_hour_rule() -> None:
    clock = FakeClock()
    async with FakeTelegram(TOKEN, rate_limits=False, wall_clock=clock.now) as tg:
        alice = tg.user(1001)
        async with make_bot(tg) as bot:
            old = await bot.send_message(1001, "old")
            assert old.date == clock.now()
            clock.advance(timedelta(hours=47, minutes=59))
            recent = await bot.send_message(1001, "recent")
            assert await bot.delete_message(1001, old.message_id) is True
            clock.advance(timedelta(hours=48))
            with pytest.raises(BadRequest, match=r"(?i)can't be deleted for everyone"):
                await bot.delete_message(1001, recent.message_id)
            assert [m.deleted for m in alice.messages] == [True, False]


# -- a real Application ------------------------------------------------------------------------


async def test_a_real_application_polls_and_answers(tg: FakeTelegram) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None and update.effective_user is not None
        name = html.escape(update.effective_user.first_name)
        await update.effective_message.reply_text(
            f"Welcome, <b>{name}</b>", parse_mode="HTML", reply_markup=keyboard([("Begin", "go")])
        )

    async def begin(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer("Let's go")
        await query.edit_message_text("Exercise 1")

    app = (
        ApplicationBuilder()
        .token(TOKEN)
        .base_url(tg.base_url)
        .base_file_url(tg.base_file_url)
        .build()
    )
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(begin))
    alice = tg.user(1001, "Alice <3")
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0)
        await alice.send("/start")
        welcome = await alice.wait_for(r"^Welcome, Alice <3$")
        assert welcome.html == "Welcome, <b>Alice &lt;3</b>"
        query_id = await alice.press(welcome, "Begin")
        assert await alice.wait_for_answer(query_id) == "Let's go"
        assert await alice.wait_for("Exercise", edited=True) is welcome
        assert welcome.buttons == []
        await app.updater.stop()
        await app.stop()
    assert tg.pending_updates == []  # PTB confirmed everything it fetched
