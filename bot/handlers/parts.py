"""Long texts in several messages: each within Telegram's 4096, never cut short."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup

from bot.context import TwofoldContext
from bot.db.models import NoticeKind
from bot.handlers.common import notify

QUOTE_LIMIT = 3500  # characters of an answer per message, leaving room for the framing text


def _units(text: str) -> int:
    """Length as Telegram counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


def split_text(text: str, limit: int = QUOTE_LIMIT) -> list[str]:
    """`text` in pieces of at most `limit` units, cut between paragraphs or words if possible."""
    pieces: list[str] = []
    rest = text
    while _units(rest) > limit:
        cut = limit
        while _units(rest[:cut]) > limit:
            cut -= 1
        window = rest[:cut]
        at = max(window.rfind("\n\n"), window.rfind("\n"), window.rfind(" "))
        if at > cut // 2:
            cut = at
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    return [*pieces, rest] if rest or not pieces else pieces


async def send_parts(
    context: TwofoldContext,
    telegram_id: int,
    heading: str,
    parts: list[str],
    markup: InlineKeyboardMarkup | None = None,
    *,
    about: int,
) -> None:
    """The heading with the first part, then the rest numbered (2/3, 3/3): all of it."""
    if len(parts) <= 1:
        body = f"{heading}\n{parts[0]}" if parts else heading
        await notify(context, telegram_id, body, markup, kind=NoticeKind.PARTNER, about=about)
        return
    count = len(parts)
    for number, part in enumerate(parts, start=1):
        counter = f"({number}/{count})"
        text = f"{heading} {counter}\n{part}" if number == 1 else f"{counter}\n{part}"
        last = number == count
        shown = markup if last else None
        await notify(context, telegram_id, text, shown, kind=NoticeKind.PARTNER, about=about)
