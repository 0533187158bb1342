"""URL and length rules shared by HTML links, inline buttons and text limits.

``check_url`` mirrors what the Bot API answers for inline-button URLs, observed live:
``'not-a-url'`` -> "Wrong HTTP URL", ``'ftp://x.org'`` -> "Unsupported URL protocol",
``''`` -> "URL host is empty"; a scheme-less host gets ``http://`` and an empty path ``/``
(``telegram.org`` -> ``http://telegram.org/``), as tdlib's ``get_checked_link`` does.
"""

from __future__ import annotations

import re

__all__ = ["UrlError", "check_url", "utf16_len"]

_HOST = re.compile(r"^(?:[\w-]+\.)+[\w-]{2,}$|^\d{1,3}(?:\.\d{1,3}){3}$", re.UNICODE)


class UrlError(ValueError):
    """A URL Telegram would refuse; ``str(err)`` is the reason Telegram gives."""


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram's offsets and length limits."""
    return len(text.encode("utf-16-le")) // 2


def check_url(url: str) -> str:
    """Validate a link and normalise it the way the Bot API does, or raise UrlError."""
    s = url
    if not s:
        raise UrlError("URL host is empty")
    if any(ch.isspace() for ch in s):
        raise UrlError("Wrong HTTP URL")
    if "://" in s:
        scheme, rest = s.split("://", 1)
        scheme = scheme.lower()
    elif s.lower().startswith(("tg:", "ton:")):
        return s
    else:
        scheme, rest = "http", s
    if scheme in ("tg", "ton", "tonsite"):
        return f"{scheme}://{rest}"
    if scheme not in ("http", "https"):
        raise UrlError("Unsupported URL protocol")
    cut = min((i for i in (rest.find(c) for c in "/?#") if i >= 0), default=len(rest))
    host = rest[:cut].rsplit("@", 1)[-1]
    host = re.sub(r":\d{1,5}$", "", host)
    if not host:
        raise UrlError("URL host is empty")
    if not _HOST.match(host):
        raise UrlError("Wrong HTTP URL")
    path = rest[cut:] or "/"
    if not path.startswith("/"):
        path = "/" + path
    return f"{scheme}://{rest[:cut]}{path}"
