"""Logging that never writes a secret, whatever a library puts into a log line."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from urllib.parse import quote

_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
REDACTED = "[REDACTED]"


class RedactingFormatter(logging.Formatter):
    """Replace each secret with [REDACTED] in the final line, tracebacks included.

    Redacting the formatted output (not just `record.msg`) also catches secrets that
    arrive through `%s` arguments or inside exception text, e.g. a URL with the token.
    """

    def __init__(self, secrets: Iterable[str], fmt: str = _FORMAT) -> None:
        super().__init__(fmt)
        # Longest first, so a secret containing another is replaced whole.
        self._secrets = sorted(
            {v for s in secrets if s for v in _variants(s)}, key=len, reverse=True
        )

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return text


def _variants(secret: str) -> set[str]:
    """The forms a secret takes in log lines: as is, URL-encoded, and a bot token's key half.

    A bot token is `<bot id>:<key>`; the id is public (it is the bot's user id), the key
    alone is enough to act as the bot, and some URLs and libraries encode the colon.
    """
    forms = {secret, quote(secret, safe=""), quote(secret)}
    bot_id, colon, key = secret.partition(":")
    if colon and bot_id.isdigit() and len(key) >= 16:
        forms.add(key)
    return {form for form in forms if form}


def configure_logging(level: str, secrets: Iterable[str] = ()) -> None:
    """Log to stderr at `level`, redacting `secrets` from every line."""
    handler = logging.StreamHandler()
    handler.setFormatter(RedactingFormatter(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx logs every request URL at INFO, and Telegram puts the token in the URL.
    # The formatter would redact it anyway; this keeps the log readable as well.
    # aiosqlite logs every statement with its parameters at DEBUG (names, ciphertexts).
    for noisy in ("httpx", "httpcore", "apscheduler", "alembic", "aiosqlite"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
