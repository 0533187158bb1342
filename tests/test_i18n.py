"""Every text the bot shows has a complete, well-formed translation in every language."""

from __future__ import annotations

import html
import re
import string
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from bot.handlers.menu import COMMANDS
from bot.i18n import EXTRACT_KEYWORDS, LANGUAGES, LOCALES_DIR, normalize_language, translator
from bot.library import check_telegram_html

MENU_DESCRIPTIONS = {text for commands in COMMANDS.values() for _name, text in commands}
BOT_DIR = Path(__file__).resolve().parents[1] / "bot"
TRANSLATED = sorted(set(LANGUAGES) - {"en"})


def source_messages() -> set[str]:
    """Every string the code passes to a translator, found the way Babel extracts them."""
    return {message for message in extracted() if isinstance(message, str)}


def extracted() -> set[str | tuple[str, ...]]:
    """Every message as Babel extracts it: a string, or (singular, plural) for `ngettext`."""
    found = extract_from_dir(
        str(BOT_DIR), method_map=[("**.py", "python")], keywords=EXTRACT_KEYWORDS
    )
    return {message for _file, _line, message, _comments, _context in found if message}


def placeholders(text: str) -> set[str]:
    return {name for _lit, name, _spec, _conv in string.Formatter().parse(text) if name}


def test_extraction_finds_the_user_facing_strings() -> None:
    # Guards the tests below: if extraction silently found nothing, they would pass.
    messages = source_messages()
    assert len(messages) > 100
    assert "I don't know that command. Send /help to see what I can do." in messages
    assert "Create a couple and get its invite links" in messages  # marked with N_


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_message_is_translated(language: str) -> None:
    with (LOCALES_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as po:
        catalog = read_po(po, locale=language)
    problems = []
    for message in sorted(extracted(), key=str):
        entry = catalog.get(message)
        source = message if isinstance(message, str) else message[-1]
        forms = entry.string if entry is not None else ""
        translations = list(forms) if isinstance(forms, tuple) else [forms]
        if entry is None or not all(translations):
            problems.append(f"missing: {message!r}")
        elif entry.fuzzy:
            problems.append(f"fuzzy (needs review): {message!r}")
        for translation in translations if entry is not None and all(translations) else []:
            if placeholders(str(translation)) != placeholders(source):
                problems.append(f"placeholders differ: {message!r} -> {translation!r}")
                continue
            sample = re.sub(r"\{[a-z_]+\}", "x", str(translation))
            if message in MENU_DESCRIPTIONS:  # plain text in the menu, escaped in /help
                sample = html.escape(sample, quote=False)
            if error := check_telegram_html(sample):
                problems.append(f"invalid HTML ({error}): {translation!r}")
    assert not problems, f"{language}: " + "\n".join(problems)


def test_a_user_is_addressed_in_their_language() -> None:
    message = "I can only read text messages. Send /help to see what I can do."
    assert translator("en")(message) == message
    assert translator("es")(message) != message
    assert translator("es-MX")(message) == translator("es")(message)
    assert translator("de")(message) == message  # unsupported: English


@pytest.mark.parametrize(
    ("code", "expected"), [("es-MX", "es"), ("pt_BR", "en"), (None, "en"), ("ES", "es")]
)
def test_telegram_language_codes_map_to_supported_languages(
    code: str | None, expected: str
) -> None:
    assert normalize_language(code) == expected
