"""Parsing and validating what people type for their settings.

Style: every `parse_*` returns the canonical value or raises `PreferenceError`, whose
`reason` is a short machine code (the handler shows its own translated text) and whose
`suggestions` are canonical values the handler may offer ("did you mean ...?").

Reasons: `empty`, `format`, `out_of_range`, `ambiguous` (time); `empty`, `unknown_zone`,
`offset` (timezone); `empty`, `unsupported` (language); `empty`, `too_long` (name).
"""

from __future__ import annotations

import difflib
import re
import unicodedata
import zoneinfo
from functools import cache

from bot.i18n import LANGUAGES

MAX_DISPLAY_NAME_LENGTH = 64

COMMON_TIMEZONES: list[str] = [
    "America/New_York",
    "America/Chicago",
    "America/Los_Angeles",
    "America/Mexico_City",
    "America/Bogota",
    "America/Argentina/Buenos_Aires",
    "Europe/London",
    "Europe/Madrid",
    "Europe/Berlin",
    "Australia/Sydney",
]
COMMON_TIMES: list[str] = ["07:30", "08:00", "12:30", "18:00", "20:00", "21:00"]

# Present in some tz databases but not places: "localtime" is whatever the server uses.
_NOT_ZONES = frozenset({"localtime", "posixrules", "Factory"})


class PreferenceError(ValueError):
    """A value that cannot be stored; `field` is timezone|time|language|display_name."""

    def __init__(self, field: str, reason: str, suggestions: list[str] | None = None) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason
        self.suggestions = suggestions or []


# --- time zone ---------------------------------------------------------------------


@cache
def _zones() -> dict[str, str]:
    """Lower-cased IANA name -> canonical name."""
    return {name.lower(): name for name in zoneinfo.available_timezones() if name not in _NOT_ZONES}


_OFFSET = re.compile(r"(?:utc|gmt)?\s*[+-]\s*\d{1,2}(?::?\d{2})?", re.IGNORECASE)


def parse_timezone(text: str) -> str:
    """An IANA zone name, matched case-insensitively, in canonical case."""
    key = " ".join(text.split()).lower()
    if not key:
        raise PreferenceError("timezone", "empty")
    zones = _zones()
    for candidate in (key, key.replace(" ", "_")):
        if candidate in zones:
            return zones[candidate]
    if _OFFSET.fullmatch(key):
        raise PreferenceError("timezone", "offset")
    raise PreferenceError("timezone", "unknown_zone", _zone_suggestions(key.replace(" ", "_")))


def _zone_suggestions(key: str) -> list[str]:
    zones = _zones()
    # "berlin" -> Europe/Berlin: a city alone is the most common near-miss.
    by_city = [name for low, name in zones.items() if "/" in low and low.rsplit("/", 1)[1] == key]
    close = difflib.get_close_matches(key, zones.keys(), n=3, cutoff=0.6)
    if not close:
        cities = {low.rsplit("/", 1)[1]: low for low in zones if "/" in low}
        close = [cities[c] for c in difflib.get_close_matches(key, cities.keys(), n=3, cutoff=0.75)]
    suggestions = sorted(by_city) + [zones[low] for low in close]
    return list(dict.fromkeys(suggestions))[:3]


# --- delivery time -----------------------------------------------------------------

_TIME = re.compile(
    r"(?P<hour>[0-9]{1,2})"
    r"(?:\s*[:.h]\s*(?P<minute>[0-9]{2})|\s*(?P<h>h))?"  # 20:15, 20.15, 20h15, 20h
    r"\s*(?P<half>(?:a|p)\.?\s*m\.?)?",  # am, pm, a.m., p. m.
    re.IGNORECASE,
)
_COMPACT = re.compile(r"(?P<hour>[0-9]{2})(?P<minute>[0-9]{2})")


def parse_time(text: str) -> str:
    """A local time of day as "HH:MM" (24-hour).

    Accepts 20:15, 8:05, 20.15, 20h15, 20h, 0830, 8pm, 8:30 am, 12am (00:00), 8 p.m.
    A bare hour is ambiguous ("8": morning or evening?) and refused with suggestions.
    """
    cleaned = " ".join(text.split())
    if not cleaned:
        raise PreferenceError("time", "empty")
    compact = _COMPACT.fullmatch(cleaned)
    if compact is not None:
        return _hhmm(int(compact["hour"]), int(compact["minute"]))
    match = _TIME.fullmatch(cleaned)
    if match is None:
        raise PreferenceError("time", "format", list(COMMON_TIMES))
    hour = int(match["hour"])
    minute = int(match["minute"]) if match["minute"] is not None else 0
    half = match["half"]
    if half is not None:
        if not 1 <= hour <= 12 or minute > 59:
            raise PreferenceError("time", "out_of_range")
        hour = hour % 12 + (12 if half[0].lower() == "p" else 0)
        return _hhmm(hour, minute)
    if match["minute"] is None and match["h"] is None:
        raise PreferenceError("time", "ambiguous", _bare_hour_suggestions(hour))
    return _hhmm(hour, minute)


def _hhmm(hour: int, minute: int) -> str:
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise PreferenceError("time", "out_of_range")
    return f"{hour:02d}:{minute:02d}"


def _bare_hour_suggestions(hour: int) -> list[str]:
    if 1 <= hour <= 11:
        return [f"{hour:02d}:00", f"{hour + 12:02d}:00"]
    if hour == 12:
        return ["12:00", "00:00"]
    if 13 <= hour <= 23 or hour == 0:
        return [f"{hour:02d}:00"]
    return []


# --- language ----------------------------------------------------------------------

_LANGUAGE_NAMES: dict[str, str] = {
    "english": "en",
    "ingles": "en",
    "spanish": "es",
    "espanol": "es",
    "castellano": "es",
}


def _fold(text: str) -> str:
    """Lower case without accents: "Español" -> "espanol"."""
    decomposed = unicodedata.normalize("NFKD", text.strip().lower())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def parse_language(text: str) -> str:
    """A supported language code from a code (`es`, `es-MX`, `es_MX`) or its name."""
    key = _fold(text)
    if not key:
        raise PreferenceError("language", "empty", list(LANGUAGES))
    if key in _LANGUAGE_NAMES:
        return _LANGUAGE_NAMES[key]
    base = re.split(r"[-_]", key, maxsplit=1)[0]
    if base in LANGUAGES:
        return base
    raise PreferenceError("language", "unsupported", list(LANGUAGES))


# --- display name ------------------------------------------------------------------


def parse_display_name(text: str) -> str:
    """The name as typed (HTML and emoji kept; escaping is the renderer's job), stripped."""
    name = text.strip()
    if not name:
        raise PreferenceError("display_name", "empty")
    if len(name) > MAX_DISPLAY_NAME_LENGTH:
        raise PreferenceError("display_name", "too_long")
    return name
