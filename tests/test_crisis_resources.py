"""Crisis resources: the country of a time zone, the built-in lines, the operator's file."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from bot.config import Settings
from bot.i18n import LANGUAGES
from bot.services import crisis_resources
from bot.services.crisis_resources import (
    MAX_RESOURCE_LINE,
    MAX_RESOURCE_LINES,
    ResourcesFileError,
    country_for_zone,
    load_resources,
    resources_for,
)

BUILT_IN_COUNTRIES = {
    "US", "CA", "MX", "ES", "AR", "CO", "CL", "GB", "IE",
    "DE", "FR", "IT", "PT", "BR", "AU", "NZ", "IN", "JP",
}  # fmt: skip


def joined(lines: tuple[str, ...]) -> str:
    return "\n".join(lines)


def operator_file(tmp_path: Path, content: str) -> Path:
    path = tmp_path / "resources.yaml"
    path.write_text(content, encoding="utf-8")
    return path


# -- the country of a time zone -------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "country"),
    [
        ("Europe/Madrid", "ES"),
        ("Atlantic/Canary", "ES"),
        ("America/Mexico_City", "MX"),
        ("Europe/London", "GB"),
        ("America/Argentina/Buenos_Aires", "AR"),
        ("Asia/Kolkata", "IN"),
        # old names and aliases follow the tz database's links
        ("US/Eastern", "US"),
        ("Europe/Belfast", "GB"),
        ("GB", "GB"),
        ("Eire", "IE"),
        ("Asia/Calcutta", "IN"),
        ("America/Buenos_Aires", "AR"),
        ("America/Montreal", "CA"),
        ("Japan", "JP"),
        ("Portugal", "PT"),
    ],
)
def test_a_zone_names_its_country(zone: str, country: str) -> None:
    assert country_for_zone(zone) == country


@pytest.mark.parametrize("zone", [None, "", "UTC", "Etc/UTC", "Etc/GMT+3", "Mars/Olympus_Mons"])
def test_a_zone_without_a_country_has_none(zone: str | None) -> None:
    assert country_for_zone(zone) is None


# -- the built-in resources -----------------------------------------------------------


def test_every_built_in_country_has_english_and_spanish_lists_within_the_limits() -> None:
    resources = load_resources(None)
    assert set(resources.countries) >= BUILT_IN_COUNTRIES
    for code, table in resources.countries.items():
        assert set(table) == {"en", "es"} <= set(LANGUAGES), code
        for lines in table.values():
            assert 0 < len(lines) <= MAX_RESOURCE_LINES, code
            assert all(0 < len(line) <= MAX_RESOURCE_LINE for line in lines), code
            assert "findahelpline.com" in joined(lines), f"{code}: a way on from elsewhere"
    assert set(resources.fallback) == {"en", "es"}


def test_spain_gets_024_and_016_in_both_languages() -> None:
    for language in ("es", "en"):
        lines = joined(resources_for(None, language, "Europe/Madrid"))
        assert "024" in lines and "016" in lines and "112" in lines
    assert "conducta suicida" in joined(resources_for(None, "es", "Europe/Madrid"))


def test_mexico_gets_the_linea_de_la_vida() -> None:
    for language in ("es", "en"):
        lines = joined(resources_for(None, language, "America/Mexico_City"))
        assert "Línea de la Vida: 800 911 2000" in lines and "911" in lines


def test_the_uk_gets_samaritans_and_the_domestic_abuse_helpline() -> None:
    lines = joined(resources_for(None, "en", "Europe/London"))
    assert "Samaritans: call 116 123" in lines and "0808 2000 247" in lines and "999" in lines
    assert "Samaritans" in joined(resources_for(None, "es", "Europe/Belfast"))


def test_the_us_gets_988_and_the_domestic_violence_hotline() -> None:
    lines = joined(resources_for(None, "es", "America/Chicago"))
    assert "988" in lines and "1-800-799-7233" in lines and "en español" in lines


@pytest.mark.parametrize("zone", [None, "UTC", "Nowhere/Special", "Asia/Ulaanbaatar"])
def test_an_unknown_or_unlisted_country_gets_the_find_a_helpline_fallback(
    zone: str | None,
) -> None:
    for language, words in (("en", "In immediate danger"), ("es", "peligro inmediato")):
        lines = resources_for(None, language, zone)
        assert lines == load_resources(None).fallback[language]
        assert "https://findahelpline.com" in joined(lines) and words in joined(lines)


def test_a_language_without_a_list_gets_english() -> None:
    resources = load_resources(None)
    assert resources_for(None, "fr", "Europe/Paris") == resources.countries["FR"]["en"]
    assert resources_for(None, "fr", None) == resources.fallback["en"]


# -- the operator's file --------------------------------------------------------------


def test_an_operator_country_replaces_the_built_in_one(tmp_path: Path) -> None:
    path = operator_file(
        tmp_path,
        "countries:\n"
        "  DE:\n"
        "    en: ['Clinic on-call line: +49 30 1234 (24 h)']\n"
        "    es: ['Guardia de la clínica: +49 30 1234']\n",
    )
    assert resources_for(path, "en", "Europe/Berlin") == (
        "Clinic on-call line: +49 30 1234 (24 h)",
    )
    assert resources_for(path, "es", "Europe/Berlin") == ("Guardia de la clínica: +49 30 1234",)
    # Other countries and the fallback keep the built-in lines.
    assert resources_for(path, "en", "Europe/Madrid") == resources_for(None, "en", "Europe/Madrid")
    assert resources_for(path, "en", None) == resources_for(None, "en", None)


def test_a_country_given_only_in_english_is_shown_in_english(tmp_path: Path) -> None:
    path = operator_file(tmp_path, "countries:\n  ES:\n    en: ['Clinic: +34 91 123']\n")
    assert resources_for(path, "es", "Europe/Madrid") == ("Clinic: +34 91 123",)


def test_extend_puts_the_operator_lines_first_then_the_built_in_ones(tmp_path: Path) -> None:
    path = operator_file(
        tmp_path,
        "countries:\n"
        "  ES:\n"
        "    extend: true\n"
        "    es: ['Guardia de la clínica: +34 91 123']\n"
        "  NZ:\n"
        "    en: ['Clinic: 0800 000 000']\n"
        "fallback:\n"
        "  extend: true\n"
        "  en: ['Our clinic: +1 555 0100']\n",
    )
    built_in = load_resources(None)
    assert resources_for(path, "es", "Europe/Madrid") == (
        "Guardia de la clínica: +34 91 123",
        *built_in.countries["ES"]["es"],
    )
    # A language the operator did not extend keeps the built-in list as it was.
    assert resources_for(path, "en", "Europe/Madrid") == built_in.countries["ES"]["en"]
    assert resources_for(path, "en", "Pacific/Auckland") == ("Clinic: 0800 000 000",)
    assert resources_for(path, "en", None) == ("Our clinic: +1 555 0100", *built_in.fallback["en"])
    assert resources_for(path, "es", None) == built_in.fallback["es"]


def test_a_new_country_can_be_added(tmp_path: Path) -> None:
    path = operator_file(tmp_path, "countries:\n  'NO':\n    en: ['Mental Helse: 116 123']\n")
    assert resources_for(path, "en", "Europe/Oslo") == ("Mental Helse: 116 123",)


def test_the_old_format_means_these_lines_for_everyone(tmp_path: Path) -> None:
    path = operator_file(
        tmp_path,
        "en: ['Call the clinic on-call line: +49 30 1234']\nes: ['Llama a la guardia']\n",
    )
    settings = Settings(_env_file=None, crisis_resources_file=path)  # type: ignore[call-arg]
    for zone in ("Europe/Madrid", "America/New_York", None):
        assert resources_for(settings.crisis_resources_file, "en", zone) == (
            "Call the clinic on-call line: +49 30 1234",
        )
        assert resources_for(settings.crisis_resources_file, "es", zone) == ("Llama a la guardia",)
    assert resources_for(path, "fr", "Europe/Paris") == (
        "Call the clinic on-call line: +49 30 1234",
    )


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (None, "cannot be read"),
        ("en: [1, 2", "not valid YAML"),
        ("- just a list", "mapping"),
        # the old format
        ("es: ['Llama al 112']", "'en' list is required"),
        ("en: ['Call 911']\nfr: ['Appelez le 112']", "unknown language 'fr'"),
        ("en: []", "1-10 lines"),
        ("en: ['']", "1-300 characters"),
        (f"en: ['{'x' * 301}']", "1-300 characters"),
        # the new format
        ("countries:\n  es: {es: ['024']}", "'es' is not a country code"),
        ("countries:\n  ESP: {es: ['024']}", "'ESP' is not a country code"),
        ("countries:\n  NO: {en: ['116 123']}", "False is not a country code"),
        ("countries:\n  ES: {fr: ['3114']}", "countries: ES: unknown language 'fr'"),
        ("countries:\n  ES: ['024']", "countries: ES: expected a mapping"),
        ("countries:\n  ES: {extend: yes please, es: ['024']}", "extend must be true or false"),
        ("countries:\n  ES: {extend: true}", "ES: needs at least one language list"),
        ("countries:\n  ES: {es: []}", "countries: ES: es needs a list of 1-10 lines"),
        ("countries: ['ES']", "countries: expected a mapping of country codes"),
        ("fallback: {es: ['Llama al 112']}", "fallback needs an 'en' list"),
        ("fallback: {en: ['x']}\nen: ['y']", "unknown key 'en'"),
        (
            "countries:\n  ES:\n    extend: true\n    es: [" + ", ".join(["'x'"] * 8) + "]",
            "with extend, yours and the built-in lines are 12, more than 10",
        ),
    ],
)
def test_a_broken_resources_file_is_a_configuration_error(
    tmp_path: Path, content: str | None, problem: str
) -> None:
    path = tmp_path / "resources.yaml"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(ResourcesFileError, match=problem) as raised:
        load_resources(path)
    assert "\n" not in str(raised.value) and str(path) in str(raised.value)
    with pytest.raises(ValidationError, match=problem):
        Settings(_env_file=None, crisis_resources_file=path)  # type: ignore[call-arg]


def test_a_file_broken_after_start_up_shows_the_built_in_lines(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "gone.yaml"  # never existed: as if removed after start-up
    with caplog.at_level(logging.ERROR):
        lines = resources_for(path, "es", "Europe/Madrid")
    assert lines == load_resources(None).countries["ES"]["es"]
    assert "showing the built-in ones" in caplog.text


def test_without_the_zone_table_everyone_gets_the_fallback(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def missing() -> dict[str, str]:
        raise ModuleNotFoundError("tzdata")

    monkeypatch.setattr(crisis_resources, "_zone_countries", missing)
    with caplog.at_level(logging.ERROR):
        assert country_for_zone("Europe/Madrid") is None
        assert resources_for(None, "en", "Europe/Madrid") == load_resources(None).fallback["en"]


def test_twofold_run_refuses_a_broken_resources_file_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "broken.yaml").write_text("countries:\n  Spain: {es: ['024']}\n")
    result = subprocess.run(  # noqa: S603
        [str(Path(sys.executable).with_name("twofold")), "run"],
        cwd=tmp_path,
        env={
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "TELEGRAM_BOT_TOKEN": "123:SECRET-TOKEN",
            "CRISIS_RESOURCES_FILE": "broken.yaml",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "CRISIS_RESOURCES_FILE" in lines[0] and "'Spain' is not a country code" in lines[0]
    assert "Traceback" not in result.stderr and "SECRET-TOKEN" not in result.stderr
    assert not (tmp_path / "data").exists(), "nothing starts with a broken resources file"


def test_an_empty_setting_means_the_built_in_file() -> None:
    settings = Settings(_env_file=None, crisis_resources_file="")  # type: ignore[call-arg]
    assert settings.crisis_resources_file is None
