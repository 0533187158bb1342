"""Translations: every text a user sees goes through here, in that user's language.

Catalogs are gettext `.po` files under `bot/locales/<lang>/LC_MESSAGES/messages.po`,
maintained with Babel (`pybabel extract/update`, see docs/i18n.md). They are compiled
in memory at first use, so no generated `.mo` file has to be committed or built.
"""

from __future__ import annotations

import gettext
import io
from collections.abc import Callable
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALES_DIR = Path(__file__).resolve().parent / "locales"
DOMAIN = "messages"
DEFAULT_LANGUAGE = "en"
# The languages a user can choose; each has a complete catalog (tests enforce it).
LANGUAGES: dict[str, str] = {"en": "English", "es": "Español"}

Gettext = Callable[[str], str]
# `ngettext(singular, plural, n)`: the form for a count, by the language's plural rule.
Ngettext = Callable[[str, str, int], str]

# Names under which translators are called, for extraction (`_` is Babel's default).
# `t_`, `p_` and `o_` translate into another person's language (therapist, partner,
# other partner) in the same handler that answers the current user with `_`.
# Texts with a count use `ngettext = plural_translator(language)` (a Babel default name).
EXTRACT_KEYWORDS: dict[str, tuple[int, ...] | None] = {
    "_": None,
    "N_": None,
    "t_": None,
    "p_": None,
    "o_": None,
    "ngettext": (1, 2),
}


def N_(message: str) -> str:  # noqa: N802  (gettext convention)
    """Mark a string for extraction without translating it yet (translated at use)."""
    return message


def normalize_language(code: str | None) -> str:
    """Map a Telegram `language_code` (`es-MX`, `pt_BR`, None) to a supported language."""
    if not code:
        return DEFAULT_LANGUAGE
    base = code.replace("_", "-").split("-", 1)[0].lower()
    return base if base in LANGUAGES else DEFAULT_LANGUAGE


@cache
def translations(language: str) -> gettext.NullTranslations:
    """The compiled catalog for `language`; English is the source language."""
    po_path = LOCALES_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    if language == DEFAULT_LANGUAGE or not po_path.is_file():
        return gettext.NullTranslations()
    with po_path.open("rb") as po_file:
        catalog = read_po(po_file, locale=language)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def translator(language: str | None) -> Gettext:
    """Return `_` for one user's language."""
    return translations(normalize_language(language)).gettext


def plural_translator(language: str | None) -> Ngettext:
    """Return `ngettext` for one user's language (plural forms from the catalog header)."""
    return translations(normalize_language(language)).ngettext
