"""A small, standalone validator for Telegram Bot API HTML (``parse_mode=HTML``).

It follows the rules of the Bot API "Formatting options" section:

* only these tags: ``b strong i em u ins s strike del span tg-spoiler a code pre
  blockquote tg-emoji`` (``span`` only with ``class="tg-spoiler"``, ``a`` with
  ``href``, ``tg-emoji`` with a numeric ``emoji-id``, ``code`` may carry
  ``class="language-…"`` only directly inside ``pre``, ``blockquote`` may be
  ``expandable``);
* every ``<``, ``>`` and ``&`` that is not part of a tag or entity is escaped;
  the only named entities are ``&lt; &gt; &amp; &quot;``, numeric entities are fine;
* tags close in reverse order; bold/italic/underline/strikethrough/spoiler can
  contain and be inside anything except ``pre``/``code``; ``blockquote`` can't be
  nested; all other entities (``a``, ``code``, ``pre``, ``tg-emoji``) can't contain
  each other (except ``<pre><code class="language-x">``);
* the text is limited to 4096 characters *after* parsing, counted in UTF-16
  code units.

It does not import ``telegram`` so it can be used anywhere (tests included).
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

__all__ = [
    "MAX_CAPTION_LENGTH",
    "MAX_MESSAGE_LENGTH",
    "check_telegram_html",
    "strip_telegram_html",
    "utf16_length",
    "visible_length",
]

MAX_MESSAGE_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024

# Entities that can nest freely (except with pre/code).
_FORMATTING = frozenset(
    {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler"}
)
# Entities that cannot contain each other.
_EXCLUSIVE = frozenset({"a", "code", "pre", "tg-emoji"})
_ALLOWED = _FORMATTING | _EXCLUSIVE | {"blockquote"}

_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}

_ATTR = r"""[A-Za-z_:][-A-Za-z0-9_:.]*(?:\s*=\s*(?:"[^"<>]*"|'[^'<>]*'|[^\s"'=<>`]+))?"""
_TAG_RE = re.compile(rf"<(/?)([A-Za-z][A-Za-z0-9-]*)((?:\s+{_ATTR})*)\s*(/?)>")
_ATTR_RE = re.compile(
    r"""([A-Za-z_:][-A-Za-z0-9_:.]*)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?"""
)
_ENTITY_RE = re.compile(r"&(?:#([0-9]{1,8})|#[xX]([0-9a-fA-F]{1,7})|([A-Za-z][A-Za-z0-9]*));")
_LOOSE_TAG_RE = re.compile(r"<[^<>]*>")


def utf16_length(text: str) -> int:
    """Length of ``text`` in UTF-16 code units (how Telegram counts characters)."""
    return len(text.encode("utf-16-le")) // 2


@dataclass(frozen=True)
class _Open:
    name: str  # lower-case tag name as written
    pos: int
    text_start: int  # index into the plain-text buffer when the tag opened


class _HtmlError(Exception):
    pass


def _near(text: str, pos: int) -> str:
    snippet = text[pos : pos + 24].replace("\n", "\\n")
    if pos + 24 < len(text):
        snippet += "…"
    return f"at character {pos + 1}: “{snippet}”"


def _parse_attrs(raw: str) -> dict[str, str | None]:
    attrs: dict[str, str | None] = {}
    for match in _ATTR_RE.finditer(raw):
        name = match.group(1).lower()
        if match.group(2) is not None:
            value: str | None = match.group(2)
        elif match.group(3) is not None:
            value = match.group(3)
        else:
            value = match.group(4)
        if name in attrs:
            raise _HtmlError(f"attribute {name!r} is repeated")
        attrs[name] = None if value is None else html.unescape(value)
    return attrs


def _check_attrs(name: str, attrs: dict[str, str | None], stack: list[_Open]) -> None:
    def unexpected(allowed: set[str]) -> None:
        extra = sorted(set(attrs) - allowed)
        if extra:
            raise _HtmlError(f"<{name}> does not support the attribute {extra[0]!r}")

    if name == "a":
        unexpected({"href"})
        if not attrs.get("href"):
            raise _HtmlError('<a> needs an href="…" attribute')
    elif name == "span":
        unexpected({"class"})
        if attrs.get("class") != "tg-spoiler":
            raise _HtmlError('<span> is only supported as <span class="tg-spoiler">')
    elif name == "code":
        unexpected({"class"})
        if "class" in attrs:
            css = attrs["class"] or ""
            if not css.startswith("language-") or len(css) == len("language-"):
                raise _HtmlError('<code> only supports class="language-…"')
            if not stack or stack[-1].name != "pre":
                raise _HtmlError("a programming language can only be set on <code> inside <pre>")
    elif name == "blockquote":
        unexpected({"expandable"})
        if attrs.get("expandable") not in (None, "", "expandable"):
            raise _HtmlError("<blockquote expandable> takes no value")
    elif name == "tg-emoji":
        unexpected({"emoji-id"})
        emoji_id = attrs.get("emoji-id") or ""
        if not emoji_id.isdigit():
            raise _HtmlError('<tg-emoji> needs a numeric emoji-id="…" attribute')
    else:
        unexpected(set())


def _check_nesting(name: str, stack: list[_Open]) -> None:
    open_names = [item.name for item in stack]
    for outer in reversed(open_names):
        if outer in ("code", "pre"):
            if name == "code" and outer == "pre" and open_names[-1] == "pre":
                continue
            raise _HtmlError(f"<{name}> can't be used inside <{outer}>")
        if outer == "tg-emoji":
            raise _HtmlError("<tg-emoji> can only contain an emoji")
    if name in _EXCLUSIVE:
        for outer in open_names:
            if outer in _EXCLUSIVE and not (name == "code" and outer == "pre"):
                raise _HtmlError(f"<{name}> can't be used inside <{outer}>")
            if outer in _FORMATTING and name in ("code", "pre"):
                raise _HtmlError(f"<{name}> can't be used inside <{outer}>")
    elif name == "blockquote":
        if "blockquote" in open_names:
            raise _HtmlError("<blockquote> can't be nested")
        if "a" in open_names:
            raise _HtmlError("<blockquote> can't be used inside <a>")


def _parse(text: str) -> str:
    """Parse Telegram HTML and return the visible text; raise _HtmlError if invalid."""
    out: list[str] = []
    out_len = 0  # number of characters in ``out`` (joined)
    stack: list[_Open] = []
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == "<":
            match = _TAG_RE.match(text, i)
            if match is None:
                raise _HtmlError(f"unescaped '<' (write &lt;) {_near(text, i)}")
            closing, raw_name, raw_attrs, self_closing = match.groups()
            name = raw_name.lower()
            if name not in _ALLOWED:
                hint = " (use a line break instead)" if name in ("br", "p", "div") else ""
                raise _HtmlError(f"unsupported tag <{raw_name}>{hint} {_near(text, i)}")
            if self_closing:
                raise _HtmlError(
                    f"self-closing tag <{raw_name}/> is not supported {_near(text, i)}"
                )
            if closing:
                if raw_attrs.strip():
                    raise _HtmlError(f"closing tag </{raw_name}> has attributes {_near(text, i)}")
                if not stack:
                    raise _HtmlError(
                        f"</{raw_name}> closes a tag that was never opened {_near(text, i)}"
                    )
                top = stack.pop()
                if top.name != name:
                    raise _HtmlError(
                        f"</{raw_name}> closes <{top.name}>: tags must be closed in reverse "
                        f"order {_near(text, i)}"
                    )
                if name == "tg-emoji" and out_len == top.text_start:
                    raise _HtmlError(f"<tg-emoji> must contain an emoji {_near(text, top.pos)}")
            else:
                try:
                    _check_attrs(name, _parse_attrs(raw_attrs), stack)
                    _check_nesting(name, stack)
                except _HtmlError as exc:
                    raise _HtmlError(f"{exc} {_near(text, i)}") from None
                stack.append(_Open(name, i, out_len))
            i = match.end()
        elif ch == "&":
            match = _ENTITY_RE.match(text, i)
            if match is None:
                raise _HtmlError(f"unescaped '&' (write &amp;) {_near(text, i)}")
            dec, hexa, named = match.groups()
            if named is not None:
                if named not in _NAMED_ENTITIES:
                    raise _HtmlError(
                        f"unsupported entity &{named}; (only &lt; &gt; &amp; &quot; and "
                        f"numeric entities) {_near(text, i)}"
                    )
                decoded = _NAMED_ENTITIES[named]
            else:
                code = int(dec) if dec is not None else int(hexa, 16)
                if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
                    raise _HtmlError(f"invalid numeric entity {match.group(0)} {_near(text, i)}")
                decoded = chr(code)
            out.append(decoded)
            out_len += len(decoded)
            i = match.end()
        elif ch == ">":
            raise _HtmlError(f"unescaped '>' (write &gt;) {_near(text, i)}")
        else:
            # Copy a run of ordinary characters at once.
            j = i + 1
            while j < n and text[j] not in "<>&":
                j += 1
            out.append(text[i:j])
            out_len += j - i
            i = j
    if stack:
        top = stack[-1]
        raise _HtmlError(f"<{top.name}> is never closed {_near(text, top.pos)}")
    return "".join(out)


def strip_telegram_html(text: str) -> str:
    """The visible text: tags removed and entities decoded.

    Works on invalid HTML too (best effort), which is handy for previews and logs.
    """
    try:
        return _parse(text)
    except _HtmlError:
        return html.unescape(_LOOSE_TAG_RE.sub("", text))


def visible_length(text: str) -> int:
    """Length Telegram counts for ``text``: UTF-16 code units after parsing the HTML."""
    return utf16_length(strip_telegram_html(text))


def check_telegram_html(
    text: str, *, max_length: int | None = MAX_MESSAGE_LENGTH, allow_empty: bool = False
) -> str | None:
    """Return a human-readable error if ``text`` is not valid Telegram HTML, else None.

    ``max_length`` is checked against :func:`visible_length` (pass
    :data:`MAX_CAPTION_LENGTH` for captions, ``None`` to skip the check).
    Telegram rejects messages that are empty after parsing; ``allow_empty``
    skips that check.
    """
    try:
        visible = _parse(text)
    except _HtmlError as exc:
        return str(exc)
    if not allow_empty and not visible.strip():
        return "text is empty (Telegram rejects empty messages)"
    if max_length is not None:
        length = utf16_length(visible)
        if length > max_length:
            return (
                f"text is {length} characters long after formatting; Telegram allows at most "
                f"{max_length}"
            )
    return None
