"""Crisis resources: the helplines of the person's country, in their language.

Pure (no telegram, no database). The country comes from the person's IANA time zone,
looked up in the tz database's zone table (`zone.tab`, shipped in the `tzdata` package;
old names such as "US/Eastern" follow the database's links). The built-in lines are in
`bot/resources/crisis_resources.yaml`; an operator's CRISIS_RESOURCES_FILE replaces or
extends them per country. See docs/safety.md.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from functools import cache, lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import AfterValidator, BeforeValidator

from bot.i18n import DEFAULT_LANGUAGE, LANGUAGES

logger = logging.getLogger(__name__)

DEFAULT_RESOURCES_FILE = (
    Path(__file__).resolve().parent.parent / "resources" / "crisis_resources.yaml"
)
MAX_RESOURCE_LINE = 300
MAX_RESOURCE_LINES = 10
_COUNTRY = re.compile(r"^[A-Z]{2}$")
# Shown only if even the built-in file cannot be read: a crisis reply never fails.
LAST_RESORT = (
    "Find a free helpline in your country at https://findahelpline.com",
    "In immediate danger: call your local emergency number.",
)

Lines = tuple[str, ...]
ByLanguage = dict[str, Lines]


class ResourcesFileError(ValueError):
    """The crisis resources file is missing or malformed; the message says how to fix it."""


@dataclass(frozen=True)
class Resources:
    """Lines per language for everyone (`fallback`) and per ISO 3166 country code."""

    fallback: ByLanguage
    countries: dict[str, ByLanguage] = field(default_factory=dict)

    def lines(self, country: str | None, language: str) -> Lines:
        """The country's lines in `language`, else its English ones, else the fallback's."""
        for table in (self.countries.get(country or ""), self.fallback):
            found = table.get(language) or table.get(DEFAULT_LANGUAGE) if table else None
            if found:
                return found
        return LAST_RESORT


# -- the country of a time zone -------------------------------------------------------


@cache
def _zone_countries() -> dict[str, str]:
    """Zone name -> country code, from zone.tab, plus the aliases linked to those zones."""
    zoneinfo = files("tzdata.zoneinfo")
    table: dict[str, str] = {}
    for line in (zoneinfo / "zone.tab").read_text(encoding="utf-8").splitlines():
        fields = line.split("\t")
        if not line.startswith("#") and len(fields) >= 3:
            table[fields[2]] = fields[0]
    links: dict[str, str] = {}
    for line in (zoneinfo / "tzdata.zi").read_text(encoding="utf-8").splitlines():
        if line.startswith("L "):  # "L Europe/London Europe/Belfast": alias of a zone
            _, target, alias = line.split()[:3]
            links[alias] = target
    for alias, target in links.items():
        for _hop in range(5):  # links point at zones; follow a short chain just in case
            if target in table or target not in links:
                break
            target = links[target]
        if alias not in table and target in table:
            table[alias] = table[target]
    return table


def country_for_zone(time_zone: str | None) -> str | None:
    """The ISO 3166 alpha-2 code of the country of `time_zone` (None if unknown or UTC)."""
    if not time_zone:
        return None
    try:
        return _zone_countries().get(time_zone.strip())
    except (ModuleNotFoundError, OSError, ValueError):
        logger.exception("the tz database's zone table is unavailable")
        return None


# -- reading and checking a file ------------------------------------------------------


def _lines(value: Any, where: str, language: str) -> Lines:
    if not isinstance(value, list) or not 0 < len(value) <= MAX_RESOURCE_LINES:
        raise ResourcesFileError(f"{where}{language} needs a list of 1-{MAX_RESOURCE_LINES} lines")
    for line in value:
        if not isinstance(line, str) or not 0 < len(line.strip()) <= MAX_RESOURCE_LINE:
            raise ResourcesFileError(
                f"{where}each {language} line must be text of 1-{MAX_RESOURCE_LINE} characters"
            )
    return tuple(line.strip() for line in value)


def _languages(data: Any, where: str, *, extend_allowed: bool) -> tuple[ByLanguage, bool]:
    """{language: [line, ...]} (with `extend: true|false` where allowed)."""
    if not isinstance(data, dict):
        raise ResourcesFileError(f"{where}expected a mapping of language code to lines")
    extend = data.get("extend", False) if extend_allowed else False
    if not isinstance(extend, bool):
        raise ResourcesFileError(f"{where}extend must be true or false")
    table: ByLanguage = {}
    for language, value in data.items():
        if extend_allowed and language == "extend":
            continue
        if language not in LANGUAGES:
            raise ResourcesFileError(
                f"{where}unknown language {language!r} (use {', '.join(sorted(LANGUAGES))})"
            )
        table[language] = _lines(value, where, language)
    if not table:
        raise ResourcesFileError(f"{where}needs at least one language list")
    return table, extend


def _over(base: ByLanguage | None, table: ByLanguage, extend: bool, where: str) -> ByLanguage:
    """`table` in place of `base`, or (extend) its lines first, then base's."""
    if not extend or not base:
        return table
    merged = dict(base)
    for language, lines in table.items():
        merged[language] = lines + base.get(language, ())
        if len(merged[language]) > MAX_RESOURCE_LINES:
            raise ResourcesFileError(
                f"{where}{language}: with extend, yours and the built-in lines are "
                f"{len(merged[language])}, more than {MAX_RESOURCE_LINES}"
            )
    return merged


def parse_resources(data: Any, source: str, base: Resources | None = None) -> Resources:
    """Check a file's structure and lay it over `base` (the built-in resources).

    The format is {fallback: {language: lines}, countries: {CODE: {language: lines}}}; an
    entry with `extend: true` puts its lines before the base's instead of replacing them.
    The old format, {language: lines} at the top, means these lines for everyone.
    """
    if not isinstance(data, dict):
        raise ResourcesFileError(f"{source}: expected a mapping (fallback, countries)")
    if not {"fallback", "countries"} & set(data):  # the old format: one list for everyone
        fallback, _ = _languages(data, f"{source}: ", extend_allowed=False)
        if DEFAULT_LANGUAGE not in fallback:
            raise ResourcesFileError(f"{source}: an {DEFAULT_LANGUAGE!r} list is required")
        return Resources(fallback)
    unknown = sorted(str(key) for key in set(data) - {"fallback", "countries"})
    if unknown:
        raise ResourcesFileError(
            f"{source}: unknown key {unknown[0]!r} (use fallback and countries)"
        )
    base = base or Resources({})
    fallback = base.fallback
    if "fallback" in data:
        where = f"{source}: fallback: "
        table, extend = _languages(data["fallback"], where, extend_allowed=True)
        fallback = _over(base.fallback, table, extend, where)
    if DEFAULT_LANGUAGE not in fallback:
        raise ResourcesFileError(f"{source}: fallback needs an {DEFAULT_LANGUAGE!r} list")
    countries = dict(base.countries)
    entries = data.get("countries")
    if entries is not None and not isinstance(entries, dict):
        raise ResourcesFileError(f"{source}: countries: expected a mapping of country codes")
    for code, entry in (entries or {}).items():
        if not isinstance(code, str) or not _COUNTRY.match(code):
            raise ResourcesFileError(
                f"{source}: countries: {code!r} is not a country code (two capital "
                "letters, ISO 3166, such as ES; quote 'NO')"
            )
        where = f"{source}: countries: {code}: "
        table, extend = _languages(entry, where, extend_allowed=True)
        countries[code] = _over(base.countries.get(code), table, extend, where)
    return Resources(fallback, countries)


def _read(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ResourcesFileError(f"{path}: cannot be read ({exc.strerror})") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or "cannot be parsed"
        raise ResourcesFileError(f"{path}: not valid YAML ({where}{problem})") from None


@lru_cache(maxsize=8)
def load_resources(path: Path | None = None) -> Resources:
    """The built-in resources, with the file at `path` laid over them; cached."""
    if path is None:
        return parse_resources(_read(DEFAULT_RESOURCES_FILE), str(DEFAULT_RESOURCES_FILE))
    return parse_resources(_read(path), str(path), load_resources(None))


def resources_for(path: Path | None, language: str, time_zone: str | None) -> Lines:
    """The lines for the country of `time_zone` in `language`. Never raises.

    The file was checked at start-up (`CrisisResourcesFile`); should it still fail here,
    the built-in resources are shown rather than nothing.
    """
    country = country_for_zone(time_zone)
    try:
        resources = load_resources(path)
    except ResourcesFileError:
        logger.exception("crisis resources unavailable; showing the built-in ones")
        try:
            resources = load_resources(None)
        except ResourcesFileError:
            logger.exception("the built-in crisis resources are unavailable")
            return LAST_RESORT
    return resources.lines(country, language)


def _empty_is_unset(value: object) -> object:
    return None if value == "" else value


def _check_resources_file(path: Path | None) -> Path | None:
    load_resources(path)  # raises ResourcesFileError (a ValueError): a start-up error
    return path


# The type of the CRISIS_RESOURCES_FILE setting: a broken file stops start-up with a
# one-line configuration error, instead of failing when someone is in crisis.
CrisisResourcesFile = Annotated[
    Path | None, BeforeValidator(_empty_is_unset), AfterValidator(_check_resources_file)
]
