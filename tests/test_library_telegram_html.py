"""The standalone Telegram HTML validator (bot.library.telegram_html)."""

from __future__ import annotations

import pytest

from bot.library.telegram_html import (
    MAX_CAPTION_LENGTH,
    MAX_MESSAGE_LENGTH,
    check_telegram_html,
    strip_telegram_html,
    utf16_length,
    visible_length,
)


@pytest.mark.parametrize(
    "text",
    [
        "plain text",
        "<b>bold</b> <strong>strong</strong> <i>it</i> <em>em</em> <u>u</u> <ins>ins</ins>",
        "<s>s</s> <strike>strike</strike> <del>del</del>",
        '<span class="tg-spoiler">spoiler</span> <tg-spoiler>spoiler</tg-spoiler>',
        '<a href="https://example.com/?a=1&amp;b=2">link</a>',
        "<a href='tg://user?id=123'>mention</a>",
        '<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>',
        "<code>x = 1</code>",
        "<pre>block</pre>",
        '<pre><code class="language-python">print("hi")</code></pre>',
        "<blockquote>quote\nmore</blockquote>",
        "<blockquote expandable>long quote</blockquote>",
        "<b>bold <i>italic bold <s>strike <tg-spoiler>spoiler</tg-spoiler></s></i> bold</b>",
        '<b><a href="https://example.com">bold link</a></b>',
        '<a href="https://example.com"><b>link</b> text</a>',
        "<blockquote><b>bold</b> in a quote</blockquote>",
        "&lt;b&gt; is escaped &amp; fine &quot;quoted&quot;",
        "numeric &#39; &#x1F600; &#34;",
        "quotes \" and ' are fine in text",
        "<B>upper-case tag names</B>",
        "emoji 👩‍❤️‍👨 and right-to-left שרה مريم",
    ],
)
def test_valid_html(text: str) -> None:
    assert check_telegram_html(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a < b", "unescaped '<'"),
        ("a > b", "unescaped '>'"),
        ("salt & pepper", "unescaped '&'"),
        ("&nbsp;", "unsupported entity &nbsp;"),
        ("&#0;", "invalid numeric entity"),
        ("&#xD800;", "invalid numeric entity"),
        ("&#1114112;", "invalid numeric entity"),
        ("<p>paragraph</p>", "unsupported tag <p>"),
        ("line<br>break", "unsupported tag <br>"),
        ("<br/>", "unsupported tag <br>"),
        ("<b/>", "self-closing"),
        ("<b>never closed", "<b> is never closed"),
        ("closed</b>", "never opened"),
        ("<b><i>crossed</b></i>", "reverse order"),
        ('<b class="x">attr</b>', "does not support the attribute"),
        ("<a>no href</a>", "needs an href"),
        ('<a href="">empty href</a>', "needs an href"),
        ("<span>plain span</span>", 'class="tg-spoiler"'),
        ('<span class="red">red</span>', 'class="tg-spoiler"'),
        ('<code class="language-python">x</code>', "inside <pre>"),
        ('<pre><code class="python">x</code></pre>', 'class="language-'),
        ("<code><b>bold code</b></code>", "can't be used inside <code>"),
        ("<pre><i>x</i></pre>", "can't be used inside <pre>"),
        ("<b><code>x</code></b>", "can't be used inside <b>"),
        ('<a href="https://a.example"><a href="https://b.example">x</a></a>', "inside <a>"),
        ('<a href="https://a.example"><code>x</code></a>', "inside <a>"),
        ("<blockquote><blockquote>x</blockquote></blockquote>", "can't be nested"),
        ("<tg-emoji>👍</tg-emoji>", "emoji-id"),
        ('<tg-emoji emoji-id="1"></tg-emoji>', "must contain an emoji"),
        ('<tg-emoji emoji-id="1"><b>x</b></tg-emoji>', "only contain an emoji"),
        ('<blockquote expandable="no">x</blockquote>', "takes no value"),
        ('<b title="a" title="b">x</b>', "repeated"),
        ("", "empty"),
        ("   \n  ", "empty"),
        ("<b> </b>", "empty"),
    ],
)
def test_invalid_html(text: str, expected: str) -> None:
    error = check_telegram_html(text)
    assert error is not None
    assert expected in error


def test_error_points_at_the_position() -> None:
    error = check_telegram_html("Hello <p>there</p>")
    assert error is not None
    assert "at character 7" in error
    assert "<p>there" in error


def test_empty_allowed_when_asked() -> None:
    assert check_telegram_html("", allow_empty=True) is None


def test_length_limit_counts_visible_utf16_units() -> None:
    # Tags and entities don't count; each character does.
    assert check_telegram_html("<b>" + "a" * MAX_MESSAGE_LENGTH + "</b>") is None
    assert check_telegram_html("&amp;" * MAX_MESSAGE_LENGTH) is None
    too_long = check_telegram_html("a" * (MAX_MESSAGE_LENGTH + 1))
    assert too_long is not None
    assert "4097" in too_long
    # An astral emoji is two UTF-16 code units.
    assert check_telegram_html("😀" * (MAX_MESSAGE_LENGTH // 2)) is None
    assert check_telegram_html("😀" * (MAX_MESSAGE_LENGTH // 2 + 1)) is not None


def test_custom_and_disabled_length_limit() -> None:
    caption = "a" * (MAX_CAPTION_LENGTH + 1)
    assert check_telegram_html(caption) is None
    assert check_telegram_html(caption, max_length=MAX_CAPTION_LENGTH) is not None
    assert check_telegram_html("a" * 10_000, max_length=None) is None


def test_visible_length_and_strip() -> None:
    text = '<b>Hi</b> &lt;3 <a href="https://x.example">you</a> 👩‍❤️‍👨'
    assert strip_telegram_html(text) == "Hi <3 you 👩‍❤️‍👨"
    # 👩‍❤️‍👨 = 👩 (2) + ZWJ + ❤ + VS16 + ZWJ + 👨 (2) = 8 UTF-16 code units
    assert utf16_length("👩‍❤️‍👨") == 8
    assert visible_length(text) == len("Hi <3 you ") + 8


def test_strip_is_best_effort_on_invalid_html() -> None:
    assert strip_telegram_html("<p>a &amp; b</p>") == "a & b"
