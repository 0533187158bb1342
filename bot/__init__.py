"""Twofold: a Telegram bot for couples-therapy homework."""

__version__ = "0.1.0"
