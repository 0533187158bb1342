"""Crisis language in free text (English and Spanish): a small, pure keyword detector.

What it does, and its limits, are in docs/safety.md. In short: the text is normalised
(lowercase, accents stripped, apostrophes dropped, repeated letters collapsed, a few
slang contractions expanded), split into clauses at punctuation, and matched against
the curated phrase patterns in `bot/resources/crisis_patterns.yaml`. Key terms marked
`~` there also match with one typo (two for long words). A match preceded by a
negation in the same clause ("I'm not suicidal") does not count, unless the pattern
itself is a negative phrase ("I don't want to live"), which is matched as written.

The result names the category and the rule, never the text: nothing the person wrote
is copied anywhere by this module.

    uv run python -m bot.services.crisis_corpus --corpus tests/crisis_corpus

prints recall on the curated positives and false positives on the rest.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

PATTERNS_FILE = Path(__file__).resolve().parent.parent / "resources" / "crisis_patterns.yaml"
MAX_CHARS = 8192  # Telegram allows 4096; longer input is cut, never a slowdown

# Clause boundaries: a negation never reaches across them.
_CLAUSE_BREAK = re.compile(r"[.,;:!?¡¿()\[\]{}\"“”«»…\n\r|/]+")
_WORD = re.compile(r"[a-z0-9]+")
_REPEAT = re.compile(r"(.)\1+")
_APOSTROPHES = str.maketrans("", "", "'’‘`´")
# Slang spelled as one word but meaning several (keys are already collapsed: wanna -> wana).
_EXPAND = {
    "wana": ("want", "to"),
    "gona": ("going", "to"),
    "gota": ("got", "to"),
    "2": ("to",),
    "u": ("you",),
    "ima": ("i", "am", "going", "to"),
    "q": ("que",),
}
# Joined so that "my self" and "self harm" read like "myself" and "selfharm".
_JOIN = {("my", "self"): "myself", ("self", "harm"): "selfharm", ("self", "harming"): "selfharm"}
NEGATION_WINDOW = 5
_END = frozenset({"$"})


class Category(StrEnum):
    SUICIDE = "suicide"
    SELF_HARM = "self_harm"
    VIOLENCE = "violence"
    ABUSE = "abuse"
    FEAR = "fear"


@dataclass(frozen=True, slots=True)
class CrisisMatch:
    """What was detected: a category and the id of the rule, no words of the message."""

    category: Category
    rule: str


@dataclass(frozen=True)
class _Pattern:
    rule: str
    category: Category
    slots: tuple[frozenset[str] | int, ...]  # alternatives, or a gap of up to n words
    negatable: bool = True
    unless_before: frozenset[str] = field(default_factory=frozenset)
    unless_after: frozenset[tuple[str, ...]] = field(default_factory=frozenset)


def collapse(word: str) -> str:
    return _REPEAT.sub(r"\1", word)


def clauses(text: str) -> list[list[str]]:
    """Normalised words, per clause."""
    text = unicodedata.normalize("NFKD", text[:MAX_CHARS].lower().translate(_APOSTROPHES))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    result = []
    for part in _CLAUSE_BREAK.split(text):
        words: list[str] = []
        for raw in _WORD.findall(part):
            word = collapse(raw)
            words.extend(_EXPAND.get(word, (word,)))
        joined: list[str] = []
        for word in words:
            if joined and (joined[-1], word) in _JOIN:
                joined[-1] = _JOIN[joined[-1], word]
            else:
                joined.append(word)
        if joined:
            result.append(joined)
    return result


def edit_distance(a: str, b: str, limit: int) -> int:
    """Optimal string alignment distance (a transposition counts once), capped at limit+1."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        row = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            row[j] = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (ca != cb))
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                row[j] = min(row[j], previous2[j - 2] + 1)
        if min(row) > limit:
            return limit + 1
        previous2, previous = previous, row
    return previous[-1]


def _allowed_typos(term: str) -> int:
    return 2 if len(term) >= 9 else 1


class Detector:
    """Compiled patterns; `detect` is pure and needs no I/O."""

    def __init__(
        self,
        patterns: list[_Pattern],
        fuzzy: set[str],
        prefixes: set[str],
        negation: dict[str, frozenset[str]],
    ) -> None:
        self._negators = negation["negators"]
        self._not_negating = negation["not_negating"]
        self._scope_end = negation["scope_end"]
        self._fuzzy = sorted(fuzzy)
        self._prefixes = sorted(prefixes)
        self._by_first: dict[str, list[_Pattern]] = {}
        for pattern in patterns:
            first = pattern.slots[0]
            assert isinstance(first, frozenset), f"{pattern.rule} starts with a gap"
            for term in first:
                self._by_first.setdefault(term, []).append(pattern)
        self.keys = lru_cache(maxsize=4096)(self._keys)

    def _keys(self, word: str) -> frozenset[str]:
        """The pattern terms `word` stands for: itself, near spellings, prefixes."""
        keys = {word}
        if len(word) >= 5:
            for term in self._fuzzy:
                if term[0] == word[0] and term != word:
                    limit = _allowed_typos(term)
                    if edit_distance(word, term, limit) <= limit:
                        keys.add(term)
        keys.update(f"{p}*" for p in self._prefixes if word.startswith(p))
        return frozenset(keys)

    def detect(self, text: str) -> CrisisMatch | None:
        """The first crisis pattern in `text` that is not negated, or None."""
        for words in clauses(text):
            keys = [self.keys(word) for word in words]
            for start in range(len(words)):
                for term in keys[start]:
                    for pattern in self._by_first.get(term, ()):
                        if self._fires(pattern, words, keys, start):
                            return CrisisMatch(pattern.category, pattern.rule)
        return None

    def _fires(
        self, pattern: _Pattern, words: list[str], keys: list[frozenset[str]], start: int
    ) -> bool:
        for end, skipped in _match(pattern.slots, keys, start, 0, ()):
            if pattern.unless_before & set(words[max(0, start - 3) : start]):
                continue
            if any(tuple(words[end : end + len(seq)]) == seq for seq in pattern.unless_after):
                continue
            if pattern.negatable and (
                self._negated(words, start) or any(self._is_negator(words, i) for i in skipped)
            ):
                continue
            return True
        return False

    def _is_negator(self, words: list[str], i: int) -> bool:
        if words[i] not in self._negators:
            return False
        following = set(words[i + 1 : i + 3])
        return not following & self._not_negating

    def _negated(self, words: list[str], start: int) -> bool:
        """Is there a negation within NEGATION_WINDOW words before `start`, in scope?"""
        for i in range(start - 1, max(-1, start - 1 - NEGATION_WINDOW), -1):
            if words[i] in self._scope_end:
                return False
            if self._is_negator(words, i):
                return True
        return False


def _match(
    slots: Sequence[frozenset[str] | int],
    keys: list[frozenset[str]],
    pos: int,
    index: int,
    skipped: tuple[int, ...],
) -> Iterable[tuple[int, tuple[int, ...]]]:
    """Every way the slots from `index` match from word `pos`: (end, skipped positions)."""
    if index == len(slots):
        yield pos, skipped
        return
    slot = slots[index]
    if isinstance(slot, int):
        for gap in range(slot + 1):
            if pos + gap <= len(keys):
                yield from _match(
                    slots, keys, pos + gap, index + 1, skipped + tuple(range(pos, pos + gap))
                )
        return
    if slot == _END:
        if pos == len(keys):
            yield from _match(slots, keys, pos, index + 1, skipped)
        return
    if pos < len(keys) and not slot.isdisjoint(keys[pos]):
        yield from _match(slots, keys, pos + 1, index + 1, skipped)


def _terms(text: str) -> frozenset[str]:
    return frozenset(collapse(word) for word in text.split("|") if word)


def _sequences(text: str) -> frozenset[tuple[str, ...]]:
    return frozenset(tuple(map(collapse, seq.split())) for seq in text.split("|") if seq)


def compile_patterns(data: dict[str, Any]) -> Detector:
    """Build a Detector from {macros: {name: alternatives}, patterns: {category: {lang: [...]}}}."""
    patterns: list[_Pattern] = []
    fuzzy: set[str] = set()
    prefixes: set[str] = set()
    macros = {f"{{{name}}}": str(value) for name, value in data.get("macros", {}).items()}

    def expand(text: str) -> str:
        for name, value in macros.items():
            text = text.replace(name, value)
        return text

    for category_name, by_language in data["patterns"].items():
        category = Category(category_name)
        for language, entries in by_language.items():
            for n, entry in enumerate(entries, 1):
                spec = entry if isinstance(entry, dict) else {"p": entry}
                source = expand(str(spec["p"]))
                negatable = not source.startswith("!")
                slots: list[frozenset[str] | int] = []
                for slot in source.lstrip("!").split():
                    if slot.startswith("+"):
                        slots.append(int(slot[1:]))
                        continue
                    alternatives = set()
                    for term in slot.split("|"):
                        word = collapse(term.rstrip("~*"))
                        if term.endswith("~"):
                            fuzzy.add(word)
                        if term.endswith("*"):
                            prefixes.add(word)
                            word += "*"
                        alternatives.add(word)
                    slots.append(frozenset(alternatives))
                patterns.append(
                    _Pattern(
                        rule=f"{category.value}.{language}.{n}",
                        category=category,
                        slots=tuple(slots),
                        negatable=negatable,
                        unless_before=_terms(expand(spec.get("unless_before", ""))),
                        unless_after=_sequences(expand(spec.get("unless_after", ""))),
                    )
                )
    negation = {key: _terms("|".join(map(str, words))) for key, words in data["negation"].items()}
    return Detector(patterns, fuzzy, prefixes, negation)


@lru_cache(maxsize=1)
def default_detector() -> Detector:
    with PATTERNS_FILE.open(encoding="utf-8") as handle:
        return compile_patterns(yaml.safe_load(handle))


def detect(text: str) -> CrisisMatch | None:
    """Crisis language in `text`, with the built-in patterns."""
    return default_detector().detect(text)
