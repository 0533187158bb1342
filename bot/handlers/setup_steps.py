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
# Changed in /settings only: sharing with each other starts on (both must agree for a
# reveal), and discreet previews start off.
SETTINGS = [*ONBOARDING, "partnershare", "discreet"]
YES_NO_STEPS = {"share", "partnershare", "discreet"}
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


def prompt_sharepast(_: Gettext, data: dict[str, Any]) -> tuple[str, InlineKeyboardMarkup]:
    text = _(
        "Your therapist will be able to read what you write from now on. Should they also "
        "read the answers you wrote earlier, while they were private?"
    )
    return text, keyboard(
        [
            [(_("From now on"), "setup:sharepast:new")],
            [(_("Include my earlier answers"), "setup:sharepast:all")],
        ]
    )


def prompt_partnershare(_: Gettext, data: dict[str, Any]) -> tuple[str, InlineKeyboardMarkup]:
    text = _(
        "On shared exercises, may your partner see your answer once you have both answered? "
        "You see theirs only if you both say yes."
    )
    return text, keyboard(
        [
            [
                (_("Yes, share"), "setup:partnershare:yes"),
                (_("No, keep private"), "setup:partnershare:no"),
            ]
        ]
    )


def prompt_discreet(_: Gettext, data: dict[str, Any]) -> tuple[str, InlineKeyboardMarkup]:
    text = _(
        "Discreet notifications: start every scheduled message with a neutral line, so a "
        "lock-screen preview shows nothing about the exercise?"
    )
    return text, keyboard([[(_("Yes"), "setup:discreet:yes"), (_("No"), "setup:discreet:no")]])


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
    "partnershare": Field(
        parse_share, "share_with_partner", prompt_partnershare, N_("Please answer yes or no.")
    ),
    "discreet": Field(
        parse_share, "neutral_notifications", prompt_discreet, N_("Please answer yes or no.")
    ),
}

SAVED = {
    "name": N_("Saved. Your name is now {value}."),
    "timezone": N_("Saved. Your time zone is now {value}."),
    "time": N_("Saved. Your exercises will arrive at {value}."),
    "language": N_("Saved. I'll write to you in {value} from now on."),
    "share:yes": N_("Saved. Your therapist may read your written reflections."),
    "share:no": N_("Saved. Your written reflections stay private from your therapist."),
    "sharepast:new": N_(
        "Saved. Your therapist may read what you write from now on; your earlier answers "
        "stay private."
    ),
    "sharepast:all": N_(
        "Saved. Your therapist may read your written reflections, including earlier ones."
    ),
    "partnershare:yes": N_(
        "Saved. On shared exercises your partner sees your answer once you both answered."
    ),
    "partnershare:no": N_("Saved. Your answers stay private from your partner."),
    "discreet:yes": N_("Saved. Scheduled messages now start with a neutral line."),
    "discreet:no": N_("Saved. Scheduled messages start with the exercise again."),
}


def saved_text(_: Gettext, step: str, value: str) -> str:
    """The confirmation after a setting changed."""
    if step in YES_NO_STEPS:
        return _(SAVED[f"{step}:{'yes' if parse_share(value) else 'no'}"])
    shown = LANGUAGES.get(value, value) if step == "language" else value
    return _(SAVED[step]).format(value=esc(shown))
