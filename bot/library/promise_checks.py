"""Texts must not promise a reader the exercise's mode or visibility does not give.

A curated list of phrases ("Sam will read", "is meant for Sam to read", "Sam podrá
leer", "verá", …) is matched against every rendered prompt, follow-up and reminder in
every language. Who may read what is decided in `bot.services.visibility`:

- the other partner sees an answer only on a `shared` exercise, and receives a note
  only from a `letter` exercise;
- the therapist reads written answers of partners who allowed it, so a text may say so
  only with `visibility: therapist`; a number or option only with
  `therapist_sees_values: true`.

The list errs on the side of missing a phrase rather than flagging an innocent one:
"would you like Sam to hear about it?" (the person tells them) is fine.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Final

from bot.library.file_checker import FileChecker

__all__ = ["check_promises", "promised_readers"]

# The names the validator renders templates with (`file_checker.sample_contexts`).
_PARTNER: Final = r"(?:Sam|your partner|tu pareja)"
_THERAPIST: Final = r"(?:Dr\. Rivera|your therapist|tu terapeuta)"
_TAG_RE: Final = re.compile(r"<[^>]+>")


def _phrases(who: str) -> list[str]:
    """Ways of saying `who` will read or see what the person writes, in English and Spanish."""
    return [
        # English
        rf"\b{who}\s+(?:will|would|can|could|is going to|gets to)\s+"
        rf"(?:also\s+)?(?:be able to\s+|get to\s+)?(?:read|see)\b",
        rf"\b{who}'ll\s+(?:be able to\s+)?(?:read|see)\b",
        rf"\b(?:meant|written|intended|here)\s+for\s+{who}\s+to\s+(?:read|see)\b",
        rf"\bfor\s+{who}'s\s+eyes\b",
        rf"\b(?:we|Twofold|the bot|I)(?:\s+will|'ll)?\s+(?:send|show|pass|share|deliver)(?:s|es)?"
        rf"\s+(?:it|this|them|your \w+)\s+(?:on\s+)?(?:to|with)\s+{who}\b",
        # Spanish
        rf"\b{who}\s+(?:también\s+)?(?:podrá|va a|puede)\s+(?:leer|ver)(?:lo|la|los|las)?\b",
        rf"\b{who}\s+(?:también\s+)?(?:lo |la |los |las )?(?:verá|leerá)\b",
        rf"\bpara que\s+{who}\s+(?:lo |la |los |las )?(?:lea|vea|pueda leer|pueda ver)\b",
        rf"\bTwofold\s+(?:le |se (?:lo|la) )?(?:entrega|entregará|envía|enviará|pasa|pasará|"
        rf"muestra|mostrará)\s+(?:\w+\s+){{0,3}}?a\s+{who}\b",
    ]


_PARTNER_PHRASES: Final = [
    *_phrases(_PARTNER),
    r"\byou(?:'ll| will)\s+(?:both\s+)?see each other'?s\b",
    r"\b(?:verán|leerán|podrán ver|podrán leer)\s+(?:la|las)\s+respuestas?\s+de\s+la\s+otra",
]
_THERAPIST_PHRASES: Final = _phrases(_THERAPIST)
# Without a named reader ("podrá leerlo", "verá"): someone other than the author will.
_SOMEONE_PHRASES: Final = [
    r"\b(?:will|can) be (?:read|seen) by\b",
    r"\bpodrán?\s+(?:leer|ver)(?:lo|la|los|las)?\b",
    r"\b(?:lo |la |los |las )?(?:verá|leerá)\b",
]
_READERS: Final = {
    "partner": re.compile("|".join(_PARTNER_PHRASES), re.IGNORECASE),
    "therapist": re.compile("|".join(_THERAPIST_PHRASES), re.IGNORECASE),
    "someone": re.compile("|".join(_SOMEONE_PHRASES), re.IGNORECASE),
}
# "Sam won't see it", "nunca lo verá": a promise of privacy, not of a reader.
_NEGATION_RE: Final = re.compile(r"\b(?:no|not|never|nunca|won't|can't|cannot|jamás)\W*\w*\W*$")


def promised_readers(text: str) -> dict[str, str]:
    """The readers `text` promises ("partner", "therapist") and the phrase that does."""
    plain = " ".join(_TAG_RE.sub("", text).split())
    found: dict[str, str] = {}
    for reader, pattern in _READERS.items():
        for match in pattern.finditer(plain):
            if not _NEGATION_RE.search(plain[max(0, match.start() - 24) : match.start()]):
                found[reader] = match.group(0)
                break
    if "someone" in found and ("partner" in found or "therapist" in found):
        del found["someone"]  # the named reader says more
    return found


def _allowed(reader: str, *, mode: str, response: str, visibility: str, sees_values: bool) -> bool:
    if reader == "partner":
        return mode == "shared" or response == "letter"  # a letter is delivered when written
    if reader == "someone":
        return mode == "shared" or response == "letter" or visibility == "therapist" or sees_values
    if response in ("scale", "choice"):
        return sees_values
    return visibility == "therapist"


_WHY: Final = {
    "someone": "only the author sees answers of an exercise that is not shared and private",
    "partner": (
        "the other partner only sees answers of a shared exercise (mode: shared), or a note "
        "of a letter exercise (response: letter)"
    ),
    "therapist": (
        "the therapist only reads written answers of a visibility: therapist exercise, and "
        "only sees a number or option with therapist_sees_values: true"
    ),
}


def check_promises(
    check: FileChecker,
    renders: Mapping[str, Mapping[str, list[str]]],
    *,
    mode: str | None,
    response: str | None,
    visibility: str | None,
    sees_values: bool,
) -> None:
    """Report each rendered text that promises a reader this exercise does not allow."""
    if mode is None or response is None or visibility is None:
        return  # already reported; nothing reliable to compare with
    for name in ("prompt", "follow_up", "reminder"):
        for lang, outputs in renders.get(name, {}).items():
            found: dict[str, str] = {}
            for text in outputs:
                for reader, phrase in promised_readers(text).items():
                    found.setdefault(reader, phrase)
            if "someone" in found and ("partner" in found or "therapist" in found):
                del found["someone"]  # the same phrase, rendered with other names
            for reader, phrase in found.items():
                allowed = _allowed(
                    reader, mode=mode, response=response, visibility=visibility,
                    sees_values=sees_values,
                )  # fmt: skip
                if not allowed:
                    check.add(
                        f"{name}.{lang}",
                        f"promises a reader the bot will not give: “{phrase}”, but {_WHY[reader]}",
                    )
