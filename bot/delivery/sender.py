"""One send to Telegram, and what its failure means for a retry.

Telegram has no idempotency key, so the error class decides:
- 429 RetryAfter: not processed; wait exactly `retry_after`, then retry.
- the request never left (connection refused, connect timeout, no free connection),
  or Telegram answered 5xx: retry with backoff.
- the request left but no answer came (read timeout, connection dropped): it may have
  arrived. An unknown outcome: retried at most once, and counted.
- 403 Forbidden / 400 chat not found: the person is unreachable; stop sending.
- any other 400: this message can never be sent (a bug); recorded as failed.
"""

from __future__ import annotations

import logging
from datetime import timedelta

import httpx
from telegram import Bot, InlineKeyboardMarkup, ReplyParameters
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.services.deliveries import Outcome, SendResult

logger = logging.getLogger(__name__)


# httpx errors raised before any byte of the request reached the server.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def _may_have_arrived(exc: NetworkError) -> bool:
    """Whether Telegram may have processed the request despite the error.

    PTB chains the httpx error as `__cause__`. Without one, Telegram itself answered
    (a 5xx), so it did not process the message.
    """
    cause = exc.__cause__
    if cause is None or isinstance(cause, _NOT_SENT):
        return False
    return isinstance(cause, httpx.HTTPError)


def _seconds(value: timedelta | float) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


async def send(
    bot: Bot,
    chat_id: int,
    text: str,
    markup: InlineKeyboardMarkup | None = None,
    *,
    reply_to: int | None = None,
) -> SendResult:
    """Send one HTML message and classify the result."""
    try:
        message = await bot.send_message(
            chat_id,
            text,
            parse_mode=ParseMode.HTML,
            reply_markup=markup,
            reply_parameters=(
                ReplyParameters(reply_to, allow_sending_without_reply=True) if reply_to else None
            ),
        )
    except RetryAfter as exc:
        return SendResult(Outcome.RETRY, retry_after=_seconds(exc.retry_after), error=str(exc))
    except NetworkError as exc:  # TimedOut included
        if not _may_have_arrived(exc):
            return SendResult(Outcome.RETRY, error=str(exc))
        return SendResult(Outcome.UNKNOWN, error=f"no answer: {exc}")
    except Forbidden as exc:
        return SendResult(Outcome.BLOCKED, error=exc.message)
    except BadRequest as exc:
        if "chat not found" in exc.message.lower():
            return SendResult(Outcome.BLOCKED, error=exc.message)
        logger.error("Telegram refused a scheduled message for chat %s: %s", chat_id, exc.message)
        return SendResult(Outcome.FAILED, error=exc.message)
    except TelegramError as exc:
        logger.error("unexpected Telegram error for chat %s: %s", chat_id, exc)
        return SendResult(Outcome.FAILED, error=str(exc))
    return SendResult(Outcome.SENT, message_id=message.message_id)
