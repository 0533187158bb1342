"""The redacting formatter catches a secret in the forms libraries actually log it in."""

from __future__ import annotations

import logging
from urllib.parse import quote

from bot.logs import REDACTED, RedactingFormatter

TOKEN = "123456:AAE-very-secret_key-0123456789"


def formatted(message: str, *secrets: str) -> str:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "%s", (message,), None)
    return RedactingFormatter(secrets).format(record)


def test_a_url_encoded_token_is_redacted() -> None:
    line = formatted(f"GET /bot{quote(TOKEN, safe='')}/getMe", TOKEN)
    assert TOKEN.split(":")[1] not in line and REDACTED in line


def test_the_key_half_of_a_bot_token_is_redacted_on_its_own() -> None:
    line = formatted(f"key={TOKEN.split(':')[1]} id=123456", TOKEN)
    assert TOKEN.split(":")[1] not in line
    assert "id=123456" in line  # the bot id is public and stays readable


def test_short_or_non_token_secrets_do_not_blank_out_common_text() -> None:
    assert formatted("a:b and 1:short", "1:short").endswith(f"a:b and {REDACTED}")
