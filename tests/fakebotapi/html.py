"""Telegram's HTML parse mode, ported from tdlib so the fake rejects exactly what Telegram rejects.

The reference is ``parse_html``/``decode_html_entity`` in tdlib's ``td/telegram/MessageEntity.cpp``
(the code the Bot API server runs). It works on UTF-8 *bytes*, which is why error offsets are
byte offsets, and it is deliberately lenient in one place people often get wrong:

* An ``&`` that does not start a supported entity (``&nbsp;``, ``&copy;``, ``Tom & Jerry``, a
  bare ``&#0;``) is **kept literally**, not rejected. Only ``&lt; &gt; &amp; &quot;`` and
  numeric references are decoded, and the trailing ``;`` is optional (``&lt`` decodes too).
  tdlib's own test suite pins this: ``"&laquo;&raquo;"`` parses to ``"&laquo;&raquo;"``.
  Passing ``strict=True`` makes the fake reject such ``&`` instead; that is a lint for
  "forgot to ``html.escape`` user text", not Telegram behaviour, and its message says so.

Everything else (unsupported/unclosed/unmatched tags, a stray ``<``, ``<span>`` without
``class="tg-spoiler"``) fails with tdlib's wording, e.g.
``Unsupported start tag "foo" at byte offset 3`` or
``Can't find end tag corresponding to start tag "b"``.
"""

from __future__ import annotations

import re
from typing import Any

from .urls import UrlError, check_url

__all__ = ["EntityParseError", "parse_html"]

# tdlib's is_space() counts NUL, which doubles as its end-of-string sentinel.
_SPACE = frozenset(b" \t\r\n\v\f\0")
_TAGS = frozenset(
    {"a", "b", "strong", "i", "em", "s", "strike", "del", "u", "ins"}
    | {"tg-spoiler", "tg-emoji", "span", "pre", "code", "blockquote"}
)
_NAMED = {b"lt": ord("<"), b"gt": ord(">"), b"amp": ord("&"), b"quot": ord('"')}
_SIMPLE = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
}
# sort_entities() in tdlib: offset, then longer first, then this priority.
_PRIORITY = {
    "blockquote": 0,
    "expandable_blockquote": 0,
    "pre": 11,
    "code": 20,
    "text_link": 49,
    "text_mention": 49,
    "bold": 90,
    "italic": 91,
    "underline": 92,
    "strikethrough": 93,
    "spoiler": 94,
    "custom_emoji": 99,
}


class EntityParseError(ValueError):
    """The text is not valid Telegram HTML; ``str(err)`` is tdlib's reason."""


def _decode_entity(b: bytes, pos: int) -> tuple[int, int]:
    """tdlib's decode_html_entity: (code point or 0 if unsupported, position after it)."""

    def at(i: int) -> int:
        return b[i] if i < len(b) else 0

    end, res = pos + 1, 0
    if at(pos + 1) == ord("#"):
        end += 1
        if at(pos + 2) == ord("x"):
            end += 1
            while chr(at(end)) in "0123456789abcdefABCDEF" and at(end):
                res = res * 16 + int(chr(at(end)), 16)
                end += 1
        else:
            while ord("0") <= at(end) <= ord("9"):
                res = res * 10 + at(end) - ord("0")
                end += 1
        if res == 0 or res >= 0x10FFFF or end - pos >= 10:
            return 0, pos
    else:
        while chr(at(end)).isascii() and chr(at(end)).isalpha():
            end += 1
        res = _NAMED.get(b[pos + 1 : end], 0)
        if not res:
            return 0, pos
    if at(end) == ord(";"):
        end += 1
    return res, end


def _link_entity(url: str) -> dict[str, Any] | None:
    """An <a> becomes text_mention for tg://user?id=N, text_link for a valid URL, else nothing."""
    m = re.fullmatch(r"tg://user\?id=(\d+)", url.strip())
    if m:
        return {
            "type": "text_mention",
            "user": {"id": int(m.group(1)), "is_bot": False, "first_name": ""},
        }
    try:
        return {"type": "text_link", "url": check_url(url)}
    except UrlError:
        return None  # tdlib silently drops links it can't check


class _Parser:
    """One pass over the UTF-8 bytes, mirroring tdlib's control flow (and its byte offsets)."""

    def __init__(self, src: str, strict: bool) -> None:
        self.b = src.encode("utf-8")
        self.strict = strict
        self.i = 0
        self.out = bytearray()
        self.utf16 = 0
        self.entities: list[dict[str, Any]] = []
        self.stack: list[tuple[str, str, int, int]] = []  # tag, argument, utf16 start, out start

    def at(self, i: int) -> int:
        return self.b[i] if i < len(self.b) else 0

    def run(self) -> tuple[str, list[dict[str, Any]]]:
        recheck = False
        while self.i < len(self.b):
            c = self.b[self.i]
            if c == ord("&"):
                code, end = _decode_entity(self.b, self.i)
                if code:
                    self.utf16 += 2 if code > 0xFFFF else 1
                    recheck |= 0xD800 <= code <= 0xDFFF
                    self.out += chr(code).encode("utf-8", "surrogatepass")
                    self.i = end
                    continue
                if self.strict:
                    raise EntityParseError(
                        f"Unsupported HTML entity at byte offset {self.i} "
                        "(fake server strict mode; Telegram would show it literally)"
                    )
            if c != ord("<"):
                if c & 0xC0 != 0x80:
                    self.utf16 += 2 if c >= 0xF0 else 1
                self.out.append(c)
                self.i += 1
                continue
            if self.at(self.i + 1) == ord("/"):
                self.end_tag()
            else:
                self.start_tag()
            self.i += 1
        if self.stack:
            raise EntityParseError(
                f'Can\'t find end tag corresponding to start tag "{self.stack[-1][0]}"'
            )
        try:
            text = bytes(self.out).decode("utf-8")
        except UnicodeDecodeError:
            raise EntityParseError(
                "Text contains invalid Unicode characters after decoding HTML entities, "
                "check for unmatched surrogate code units"
            ) from None
        for e in self.entities:
            if e["type"] == "code":
                e.pop("language", None)
        self.entities.sort(key=lambda e: (e["offset"], -e["length"], _PRIORITY.get(e["type"], 50)))
        return text, self.entities

    def start_tag(self) -> None:
        begin = self.i
        self.i += 1
        while self.at(self.i) not in _SPACE and self.at(self.i) != ord(">"):
            self.i += 1
        if self.at(self.i) == 0:
            raise EntityParseError(f"Unclosed start tag at byte offset {begin}")
        tag = self.b[begin + 1 : self.i].decode("utf-8", "replace").lower()
        if tag not in _TAGS:
            raise EntityParseError(f'Unsupported start tag "{tag}" at byte offset {begin}')
        argument = ""
        while self.at(self.i) != ord(">"):
            name, value = self.attribute(tag, begin)
            if name is None:
                break
            if tag == "a" and name == "href":
                argument = value
            elif tag == "code" and name == "class" and value.startswith("language-"):
                argument = value[9:]
            elif tag == "span" and name == "class" and value.startswith("tg-"):
                argument = value[3:]
            elif tag == "tg-emoji" and name == "emoji-id":
                argument = value
            elif tag == "blockquote" and name == "expandable":
                argument = "1"
        if tag == "span" and argument != "spoiler":
            raise EntityParseError(
                f'Tag "span" must have class "tg-spoiler" at byte offset {begin}'
            )
        self.stack.append((tag, argument, self.utf16, len(self.out)))

    def attribute(self, tag: str, begin: int) -> tuple[str | None, str]:
        """Parse one ``name[=value]``; returns (None, "") at the closing ``>``."""
        while self.at(self.i) and self.at(self.i) in _SPACE:
            self.i += 1
        if self.at(self.i) == ord(">"):
            return None, ""
        start = self.i
        while self.at(self.i) not in _SPACE and chr(self.at(self.i)) not in "=>/\"'":
            self.i += 1
        name = self.b[start : self.i].decode("utf-8", "replace")
        if not name:
            raise EntityParseError(
                f'Empty attribute name in the tag "{tag}" at byte offset {begin}'
            )
        while self.at(self.i) and self.at(self.i) in _SPACE:
            self.i += 1
        if self.at(self.i) != ord("="):
            if self.at(self.i) == 0:
                raise EntityParseError(f'Unclosed start tag "{tag}" at byte offset {begin}')
            return name, ""  # a bare attribute such as <blockquote expandable>
        self.i += 1
        while self.at(self.i) and self.at(self.i) in _SPACE:
            self.i += 1
        if self.at(self.i) == 0:
            raise EntityParseError(f'Unclosed start tag "{tag}" at byte offset {begin}')
        quote = self.at(self.i)
        if quote not in (ord("'"), ord('"')):
            token = self.i
            while chr(self.at(self.i)).isascii() and (
                chr(self.at(self.i)).isalnum() or chr(self.at(self.i)) in ".-"
            ):
                self.i += 1
            value = self.b[token : self.i].decode().lower()
            if self.at(self.i) not in _SPACE and self.at(self.i) != ord(">"):
                raise EntityParseError(f"Unexpected end of name token at byte offset {token}")
        else:
            self.i += 1
            raw = bytearray()
            while self.at(self.i) != quote and self.at(self.i) != 0:
                if self.at(self.i) == ord("&"):
                    code, end = _decode_entity(self.b, self.i)
                    if code:
                        raw += chr(code).encode("utf-8", "surrogatepass")
                        self.i = end
                        continue
                raw.append(self.b[self.i])
                self.i += 1
            if self.at(self.i) == quote:
                self.i += 1
            value = bytes(raw).decode("utf-8", "replace")
        if self.at(self.i) == 0:
            raise EntityParseError(f"Unclosed start tag at byte offset {begin}")
        return name, value

    def end_tag(self) -> None:
        begin = self.i
        if not self.stack:
            raise EntityParseError(f"Unexpected end tag at byte offset {begin}")
        self.i += 1
        while self.at(self.i) not in _SPACE and self.at(self.i) != ord(">"):
            self.i += 1
        end_name = self.b[begin + 2 : self.i].decode("utf-8", "replace").lower()
        while self.at(self.i) and self.at(self.i) in _SPACE:
            self.i += 1
        if self.at(self.i) != ord(">"):
            raise EntityParseError(f"Unclosed end tag at byte offset {begin}")
        tag, argument, start, out_start = self.stack.pop()
        if end_name and end_name != tag:
            raise EntityParseError(
                f"Unmatched end tag at byte offset {begin}, "
                f'expected "</{tag}>", found "</{end_name}>"'
            )
        if self.utf16 > start:
            self.close_entity(tag, argument, start, self.utf16 - start, out_start)

    def close_entity(self, tag: str, arg: str, offset: int, length: int, out_start: int) -> None:
        span = {"offset": offset, "length": length}
        last = self.entities[-1] if self.entities else None
        same = last is not None and (last["offset"], last["length"]) == (offset, length)
        if tag in _SIMPLE:
            self.entities.append({"type": _SIMPLE[tag], **span})
        elif tag == "tg-emoji":
            if not arg.isdigit() or int(arg) == 0:
                raise EntityParseError("Invalid custom emoji identifier specified")
            self.entities.append({"type": "custom_emoji", **span, "custom_emoji_id": arg})
        elif tag == "a":
            url = arg or bytes(self.out[out_start:]).decode("utf-8", "replace")
            link = _link_entity(url)
            if link is not None:
                self.entities.append({**link, **span})
        elif tag == "pre":
            if same and last is not None and last["type"] == "code" and last.get("language"):
                last["type"] = "pre"
            else:
                self.entities.append({"type": "pre", **span})
        elif tag == "code":
            if same and last is not None and last["type"] == "pre" and arg:
                last["language"] = arg
            else:
                self.entities.append({"type": "code", **span, **({"language": arg} if arg else {})})
        else:  # blockquote
            kind = "expandable_blockquote" if arg else "blockquote"
            self.entities.append({"type": kind, **span})


def parse_html(src: str, *, strict: bool = False) -> tuple[str, list[dict[str, Any]]]:
    """Parse Telegram HTML into (plain text, Bot API entity dicts) or raise EntityParseError."""
    return _Parser(src, strict).run()
