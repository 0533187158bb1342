"""The test's side of a chat: users who type and press buttons, and what they see.

Waiting is event-driven (``ChangeSignal``), never a sleep loop. ``wait_for`` reads the chat like
a person would: each call returns the first *new* bot message (or, with ``edited=True``, the
first edit) after the one it returned last time, so consecutive waits walk forward through the
conversation; new messages and edits have separate cursors. Patterns use ``re.search`` on the
message text (or caption).
"""

from __future__ import annotations

import re
from typing import Any

from .model import Chat, SentMessage, UploadedFile
from .state import State

__all__ = ["ChatView", "FakeGroup", "FakeUser"]

Pattern = str | re.Pattern[str]


class ChatView:
    """Bot messages in one chat, plus ways to wait for them."""

    def __init__(self, state: State, chat: Chat, name: str) -> None:
        self._state = state
        self.chat = chat
        self.name = name
        self._cursor = {"new": 0, "edit": 0}

    @property
    def chat_id(self) -> int:
        return self.chat.id

    @property
    def messages(self) -> list[SentMessage]:
        """Every message the bot sent here, in order (deleted ones included, flagged)."""
        return [m for m in self.chat.messages.values() if m.from_bot]

    @property
    def history(self) -> list[SentMessage]:
        """Both sides of the conversation, in order."""
        return list(self.chat.messages.values())

    @property
    def last(self) -> SentMessage:
        if not self.messages:
            raise AssertionError(f"the bot has not sent anything to {self.name} yet")
        return self.messages[-1]

    @property
    def actions(self) -> list[str]:
        """Chat actions (``typing``...) the bot sent here."""
        return list(self.chat.actions)

    async def wait_for(
        self,
        pattern: Pattern | None = None,
        *,
        timeout: float = 5.0,  # noqa: ASYNC109 - a test-facing deadline, documented API
        edited: bool = False,
    ) -> SentMessage:
        """Wait for the next new bot message (or edit) whose text matches ``pattern``."""
        rx = re.compile(pattern) if isinstance(pattern, str) else pattern
        kind = "edit" if edited else "new"

        def probe() -> SentMessage | None:
            events = self.chat.events
            for index in range(self._cursor[kind], len(events)):
                event = events[index]
                if event.kind == kind and (rx is None or rx.search(event.text or "")):
                    self._cursor[kind] = index + 1
                    return event.message
            return None

        found = await self._state.signal.wait_until(probe, timeout)
        if found is None:
            raise AssertionError(self._explain(rx, kind, timeout))
        return found

    def _explain(self, rx: re.Pattern[str] | None, kind: str, timeout: float) -> str:
        what = "edit" if kind == "edit" else "new bot message"
        wanted = f"matching {rx.pattern!r}" if rx is not None else "at all"
        seen = [repr(e.text) for e in self.chat.events[self._cursor[kind] :] if e.kind == kind]
        lines = [
            f"{self.name} got no {what} {wanted} within {timeout}s.",
            f"Unmatched since the last wait: {', '.join(seen) or 'nothing'}",
            f"All bot messages here: {self.messages[-10:] or 'none'}",
        ]
        errors = [
            f"  {e.method} -> {e.status} {e.description}"
            for e in self._state.errors
            if str(e.params.get("chat_id")) == str(self.chat.id)
        ]
        if errors:
            lines += ["API errors answered for this chat:", *errors[-5:]]
        if self.chat.blocked:
            lines.append("(this user has blocked the bot)")
        return "\n".join(lines)

    # -- shared by users and groups --------------------------------------------------------

    def _reply_target(self, reply_to: SentMessage | None) -> SentMessage | None:
        if reply_to is not None and reply_to.chat_id != self.chat.id:
            raise AssertionError(f"{reply_to!r} is not in {self.name}'s chat")
        return reply_to

    def _post(self, user: dict[str, Any], text: str, reply_to: SentMessage | None) -> SentMessage:
        return self._state.user_message(
            self.chat, user, "text", text=text, reply_to=self._reply_target(reply_to)
        )

    def _press(self, user: dict[str, Any], msg: SentMessage, label: Pattern) -> str:
        self._check_pressable(msg)
        for row in msg.button_rows():
            for button in row:
                hit = (
                    label.search(button.label)
                    if isinstance(label, re.Pattern)
                    else button.label == label
                )
                if hit:
                    if button.callback_data is None:
                        raise AssertionError(
                            f"button {button.label!r} is not a callback button: {button.raw}"
                        )
                    return self._state.callback_query(self.chat, user, msg, button.callback_data)
        raise AssertionError(f"no button {label!r} on {msg!r}; buttons: {msg.buttons}")

    def _press_data(self, user: dict[str, Any], msg: SentMessage, data: str) -> str:
        self._check_pressable(msg)
        return self._state.callback_query(self.chat, user, msg, data)

    def _check_pressable(self, msg: SentMessage) -> None:
        if msg.chat_id != self.chat.id or not msg.from_bot:
            raise AssertionError(f"{msg!r} is not a bot message in {self.name}'s chat")
        if msg.deleted:
            raise AssertionError(f"{msg!r} was deleted; its buttons can't be pressed")


class FakeUser(ChatView):
    """A Telegram user with a private chat with the bot."""

    def __init__(self, state: State, user: dict[str, Any], chat: Chat) -> None:
        super().__init__(state, chat, f"{user['first_name']} ({user['id']})")
        self.user = user

    @property
    def id(self) -> int:
        return int(self.user["id"])

    @property
    def first_name(self) -> str:
        return str(self.user["first_name"])

    @property
    def blocked(self) -> bool:
        return self.chat.blocked

    def _check_not_blocked(self) -> None:
        if self.chat.blocked:
            raise AssertionError(
                f"{self.name} has blocked the bot; call tg.unblock({self.id}) first"
            )

    async def send(self, text: str, *, reply_to: SentMessage | None = None) -> SentMessage:
        """Type a message (``/commands`` get bot_command entities, as Telegram adds them)."""
        self._check_not_blocked()
        return self._post(self.user, text, reply_to)

    async def edit(self, msg: SentMessage, text: str) -> None:
        """Edit a message this user sent (Telegram delivers it as ``edited_message``)."""
        self._check_not_blocked()
        if msg.from_bot or msg.chat_id != self.chat.id:
            raise AssertionError(f"{self.name} can only edit their own messages, not {msg!r}")
        self._state.user_edit(msg, text)

    async def send_photo(
        self, data: bytes = b"\xff\xd8\xff\xe0fake-jpeg", *, caption: str | None = None
    ) -> SentMessage:
        self._check_not_blocked()
        upload = self._state.store_file(UploadedFile(data, "photo.jpg", "image/jpeg"), "photo")
        return self._state.user_message(self.chat, self.user, "photo", text=caption, file=upload)

    async def send_document(
        self,
        data: bytes = b"hello",
        filename: str = "file.txt",
        *,
        mime: str = "text/plain",
        caption: str | None = None,
    ) -> SentMessage:
        self._check_not_blocked()
        upload = self._state.store_file(UploadedFile(data, filename, mime), "document")
        return self._state.user_message(self.chat, self.user, "document", text=caption, file=upload)

    async def send_sticker(self, emoji: str = "👍") -> SentMessage:
        self._check_not_blocked()
        sticker = {
            "file_id": f"CAACAgIAAxkBfake{len(self._state.files)}",
            "file_unique_id": f"AgADsticker{len(self._state.files)}",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
        }
        return self._state.user_message(self.chat, self.user, "sticker", sticker=sticker)

    async def press(self, msg: SentMessage, label: Pattern) -> str:
        """Press the button labelled ``label`` (exact, or a compiled regex); return the query id."""
        self._check_not_blocked()
        return self._press(self.user, msg, label)

    async def press_data(self, msg: SentMessage, data: str) -> str:
        """Send a callback query with arbitrary (forged or stale) data for ``msg``."""
        self._check_not_blocked()
        return self._press_data(self.user, msg, data)

    async def wait_for_answer(
        self,
        query_id: str,
        *,
        timeout: float = 5.0,  # noqa: ASYNC109 - a test-facing deadline, documented API
    ) -> str | None:
        """Wait until the bot answers the callback query; returns its text (None if silent).

        ``tg.answers[query_id]`` has the full answer (``show_alert``, ``url``).
        """
        answers = self._state.answers
        answered = await self._state.signal.wait_until(lambda: query_id in answers, timeout)
        if not answered:
            raise AssertionError(
                f"the bot did not answer callback query {query_id} within {timeout}s"
            )
        return answers[query_id].text


class FakeGroup(ChatView):
    """A group chat the bot is a member of; any registered user can write in it."""

    def __init__(self, state: State, chat: Chat) -> None:
        super().__init__(state, chat, f"group {chat.title!r} ({chat.id})")

    async def send(
        self, user: FakeUser, text: str, *, reply_to: SentMessage | None = None
    ) -> SentMessage:
        return self._post(user.user, text, reply_to)

    async def press(self, user: FakeUser, msg: SentMessage, label: Pattern) -> str:
        return self._press(user.user, msg, label)

    async def press_data(self, user: FakeUser, msg: SentMessage, data: str) -> str:
        return self._press_data(user.user, msg, data)
