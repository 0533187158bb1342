"""The typed context every handler receives (instead of raw `bot_data[...]` lookups)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from telegram.ext import Application, CallbackContext, ExtBot

from bot.clock import Clock
from bot.config import Settings
from bot.db.engine import Database
from bot.delivery.dispatcher import Dispatcher
from bot.delivery.flood_wait import FloodWaitShare
from bot.delivery.notices import NoticeSender
from bot.library import Library
from bot.services.crypto import Box


@dataclass(slots=True)
class Services:
    """What handlers and jobs share for the life of the process."""

    settings: Settings
    database: Database
    clock: Clock
    library: Library
    dispatcher: Dispatcher
    crypto: Box
    flood_waits: FloodWaitShare
    notices: NoticeSender


class BotData:
    """`Application.bot_data`: holds the services once `post_init` has started them."""

    __slots__ = ("services",)

    def __init__(self) -> None:
        self.services: Services | None = None


class TwofoldContext(CallbackContext[ExtBot[int], dict[Any, Any], dict[Any, Any], BotData]):
    """CallbackContext with typed access to the services."""

    @property
    def services(self) -> Services:
        services = self.bot_data.services
        if services is None:  # pragma: no cover - post_init always runs first
            raise RuntimeError("services are not started")
        return services


TwofoldApp = Application[ExtBot[int], TwofoldContext, dict[Any, Any], dict[Any, Any], BotData, Any]
