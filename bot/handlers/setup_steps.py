"""The setup steps: how each is asked (buttons), parsed (typed or tapped) and confirmed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from telegram import InlineKeyboardMarkup

from bot.handlers.common import esc, keyboard
from bot.i18n import LANGUAGES, N_, Gettext
from bot.services import preferences
from bot.services.preferences import PreferenceError

ONBOARDING = ["name", "timezone", "time", "language", "share"]
THERAPIST_FIELDS = {"timezone", "language"}


@dataclass(frozen=True)
class Field:
    parse: Callable[[str], Any]
    column: str
    prompt: Callable[[Gettext, dict[str, Any]], tuple[str, InlineKeyboardMarkup]]
    invalid: str


def prompt_name(_: Gettext, data: dict[str, Any]) -> tuple[str, InlineKeyboardMarkup]:
    text = _("What name should your partner and your therapist see? Type it, or keep this one:")
    return text, keyboard([[(data.get("first_name") or _("Keep my name"), "setup:name:keep")]])


def prompt_timezone(_: Gettext, data: dict[str, Any]) -> tuple[str, InlineKeyboardMarkup]:
    zones = preferences.COMMON_TIMEZONES
    rows = [[(z, f"setup:timezone:{z}") for z in zones[i : i + 2]] for i in range(0, len(zones), 2)]
    text = _("Which time zone are you in? Tap one, or type its name, like Europe/Berlin.")
    return text, keyboard(rows)


def prompt_time(_: Gettext, data: dict[str, Any]) -> tuple[str, InlineKeyboardMarkup]:
    times = preferences.COMMON_TIMES
    rows = [[(t, f"setup:time:{t}") for t in times[i : i + 3]] for i in range(0, len(times), 3)]
    text = _(
        "At what time of day should your exercises arrive? Tap one, or type a time like "
        "08:30 or 8:30pm."
    )
    return text, keyboard(rows)


def prompt_language(_: Gettext, data: dict[str, Any]) -> tuple[str, InlineKeyboardMarkup]:
    buttons = [(name, f"setup:language:{code}") for code, name in LANGUAGES.items()]
    return _("Which language do you prefer?"), keyboard([buttons])


def prompt_share(_: Gettext, data: dict[str, Any]) -> tuple[str, InlineKeyboardMarkup]:
    text = _(
        "May your therapist read your written reflections? Your therapist always sees whether "
        "you did an exercise. You can change this at any time in /settings."
    )
    return text, keyboard(
        [[(_("Yes, share"), "setup:share:yes"), (_("No, keep private"), "setup:share:no")]]
    )


def parse_share(text: str) -> bool:
    answer = text.strip().lower()
    if answer in {"yes", "y", "sí", "si", "s", "1", "true"}:
        return True
    if answer in {"no", "n", "0", "false"}:
        return False
    raise PreferenceError("share", "format", [])


FIELDS: dict[str, Field] = {
    "name": Field(
        preferences.parse_display_name,
        "display_name",
        prompt_name,
        N_("Please send a name of 1 to 64 characters."),
    ),
    "timezone": Field(
        preferences.parse_timezone,
        "timezone",
        prompt_timezone,
        N_("I don't know the time zone “{value}”."),
    ),
    "time": Field(
        preferences.parse_time,
        "delivery_time",
        prompt_time,
        N_("I couldn't read “{value}” as a time. Try 08:30, 20:15 or 8:30pm."),
    ),
    "language": Field(
        preferences.parse_language,
        "language",
        prompt_language,
        N_("I don't speak “{value}” yet. Choose English (en) or Español (es)."),
    ),
    "share": Field(
        parse_share, "share_with_therapist", prompt_share, N_("Please answer yes or no.")
    ),
}

SAVED = {
    "name": N_("Saved. Your name is now {value}."),
    "timezone": N_("Saved. Your time zone is now {value}."),
    "time": N_("Saved. Your exercises will arrive at {value}."),
    "language": N_("Saved. I'll write to you in {value} from now on."),
    "share:yes": N_("Saved. Your therapist may read your written reflections."),
    "share:no": N_("Saved. Your written reflections stay private from your therapist."),
}


def saved_text(_: Gettext, step: str, value: str) -> str:
    """The confirmation after a setting changed."""
    if step == "share":
        key = "share:yes" if parse_share(value) else "share:no"
        return _(SAVED[key])
    shown = LANGUAGES.get(value, value) if step == "language" else value
    return _(SAVED[step]).format(value=esc(shown))
