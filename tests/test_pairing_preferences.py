"""Parsing what people type for their settings: time zone, time, language, name."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable

import pytest

from bot.i18n import LANGUAGES
from bot.services.preferences import (
    COMMON_TIMES,
    COMMON_TIMEZONES,
    PreferenceError,
    parse_display_name,
    parse_language,
    parse_time,
    parse_timezone,
)


def refused(parse: Callable[[str], str], text: str) -> PreferenceError:
    with pytest.raises(PreferenceError) as raised:
        parse(text)
    return raised.value


# --- time zone ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "zone"),
    [
        ("Europe/Berlin", "Europe/Berlin"),
        ("europe/berlin", "Europe/Berlin"),
        ("  EUROPE/BERLIN ", "Europe/Berlin"),
        ("america/new york", "America/New_York"),
        ("America/Argentina/Buenos_Aires", "America/Argentina/Buenos_Aires"),
        ("utc", "UTC"),
    ],
)
def test_timezone_is_matched_case_insensitively_and_returned_canonical(
    text: str, zone: str
) -> None:
    assert parse_timezone(text) == zone


def test_every_common_choice_is_a_real_zone() -> None:
    assert 8 <= len(COMMON_TIMEZONES) <= 12
    for zone in COMMON_TIMEZONES:
        assert parse_timezone(zone) == zone
        zoneinfo.ZoneInfo(zone)


@pytest.mark.parametrize(
    ("text", "suggestion"),
    [
        ("Europe/Berlim", "Europe/Berlin"),
        ("europe/madird", "Europe/Madrid"),
        ("Berlin", "Europe/Berlin"),
        ("buenos aires", "America/Argentina/Buenos_Aires"),
        ("Bogot", "America/Bogota"),
    ],
)
def test_a_typo_gets_did_you_mean_suggestions(text: str, suggestion: str) -> None:
    error = refused(parse_timezone, text)
    assert (error.field, error.reason) == ("timezone", "unknown_zone")
    assert suggestion in error.suggestions
    assert len(error.suggestions) <= 3


def test_nonsense_zone_has_no_suggestions() -> None:
    error = refused(parse_timezone, "qqqqqqqq")
    assert error.reason == "unknown_zone" and error.suggestions == []


@pytest.mark.parametrize("text", ["+02:00", "UTC+2", "gmt-5", "-0300"])
def test_offsets_are_not_zones(text: str) -> None:
    assert refused(parse_timezone, text).reason == "offset"


@pytest.mark.parametrize("text", ["", "   "])
def test_empty_zone(text: str) -> None:
    assert refused(parse_timezone, text).reason == "empty"


def test_the_servers_local_time_is_not_a_choice() -> None:
    assert refused(parse_timezone, "localtime").reason == "unknown_zone"


# --- time --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "time"),
    [
        ("20:15", "20:15"),
        ("08:00", "08:00"),
        ("8:05", "08:05"),
        ("0:00", "00:00"),
        ("23:59", "23:59"),
        ("20.15", "20:15"),
        ("20h15", "20:15"),
        ("20h", "20:00"),
        ("0830", "08:30"),
        ("2359", "23:59"),
        ("8:30am", "08:30"),
        ("8:30 pm", "20:30"),
        ("8pm", "20:00"),
        ("8 AM", "08:00"),
        ("12am", "00:00"),
        ("12:30am", "00:30"),
        ("12pm", "12:00"),
        ("11:59 p.m.", "23:59"),
        ("8:30 p. m.", "20:30"),
        (" 7:30 ", "07:30"),
    ],
)
def test_time_is_read_generously_and_returned_as_hh_mm(text: str, time: str) -> None:
    assert parse_time(text) == time


@pytest.mark.parametrize(
    "text", ["24:00", "25:00", "12:60", "2400", "0960", "13pm", "0am", "99:99"]
)
def test_impossible_times(text: str) -> None:
    error = refused(parse_time, text)
    assert (error.field, error.reason) == ("time", "out_of_range")


@pytest.mark.parametrize(
    "text", ["morning", "8:3", "830", "8:30:00", "20:15 tomorrow", "8 o'clock", "-1:00"]
)
def test_times_that_are_not_times(text: str) -> None:
    error = refused(parse_time, text)
    assert error.reason == "format"
    assert error.suggestions == COMMON_TIMES


@pytest.mark.parametrize(
    ("text", "suggestions"),
    [("8", ["08:00", "20:00"]), ("12", ["12:00", "00:00"]), ("20", ["20:00"]), ("0", ["00:00"])],
)
def test_a_bare_hour_is_ambiguous(text: str, suggestions: list[str]) -> None:
    error = refused(parse_time, text)
    assert error.reason == "ambiguous" and error.suggestions == suggestions


def test_empty_time_and_common_times_are_canonical() -> None:
    assert refused(parse_time, "  ").reason == "empty"
    assert [parse_time(time) for time in COMMON_TIMES] == COMMON_TIMES


# --- language ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("en", "en"),
        ("ES", "es"),
        ("es-MX", "es"),
        ("en_GB", "en"),
        ("English", "en"),
        ("Español", "es"),
        ("espanol", "es"),
        ("spanish", "es"),
        ("Castellano", "es"),
        ("inglés", "en"),
    ],
)
def test_language_codes_and_names(text: str, code: str) -> None:
    assert parse_language(text) == code


@pytest.mark.parametrize(
    ("text", "reason"), [("fr", "unsupported"), ("Deutsch", "unsupported"), ("", "empty")]
)
def test_unsupported_language_lists_the_supported_ones(text: str, reason: str) -> None:
    error = refused(parse_language, text)
    assert (error.field, error.reason) == ("language", reason)
    assert error.suggestions == list(LANGUAGES)


# --- display name ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("Ana", "Ana"),
        ("  Luis  ", "Luis"),
        ("<b>Ana</b> & Luis", "<b>Ana</b> & Luis"),
        ("María 🌻", "María 🌻"),
        ("x" * 64, "x" * 64),
    ],
)
def test_display_name_is_stored_as_typed(text: str, name: str) -> None:
    assert parse_display_name(text) == name


@pytest.mark.parametrize(
    ("text", "reason"), [("", "empty"), (" \t\n ", "empty"), ("x" * 65, "too_long")]
)
def test_display_name_must_be_1_to_64_characters(text: str, reason: str) -> None:
    error = refused(parse_display_name, text)
    assert (error.field, error.reason) == ("display_name", reason)
