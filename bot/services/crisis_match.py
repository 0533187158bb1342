"""The safety screen's text matching: normalisation, cue patterns, typo tolerance, negation.

Pure and Telegram-free. `CueMatcher.hits` returns every cue found in a text (by clause);
`bot.services.crisis` decides what they mean together. The cue file and its syntax:
bot/resources/crisis_cues.yaml.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

MAX_CHARS = 8192  # Telegram allows 4096; longer input is cut, never a slowdown
NEGATION_WINDOW = 5
FUZZY_MIN = 6  # words this long are typo-tolerant without a "~" (shorter ones: see "~")

# Clause boundaries: a negation never reaches across them.
_CLAUSE_BREAK = re.compile(r"[.,;:!?¡¿()\[\]{}\"“”«»…\n\r|/]+")
_WORD = re.compile(r"[a-z0-9]+")
_REPEAT = re.compile(r"(.)\1+")
_APOSTROPHES = str.maketrans("", "", "'’‘`´")
# Contractions and chat spellings that stand for several words (keys already collapsed:
# wanna -> wana). Negative contractions stay one word: they are negators ("dont").
_EXPAND = {
    "wana": ("want", "to"),
    "gona": ("going", "to"),
    "gota": ("got", "to"),
    "2": ("to",),
    "u": ("you",),
    "ur": ("your",),
    "ima": ("i", "am", "going", "to"),
    "im": ("i", "am"),
    "ive": ("i", "have"),
    "id": ("i", "would"),
    "hes": ("he", "is"),
    "shes": ("she", "is"),
    "theyre": ("they", "are"),
    "imma": ("i", "am", "going", "to"),
    "q": ("que",),
    "k": ("que",),
    "xq": ("porque",),
    "pq": ("porque",),
    "toy": ("estoy",),
    "kiero": ("quiero",),
    "qiero": ("quiero",),
    "pa": ("para",),
    "d": ("de",),
}
# Joined so that "my self" and "self harm" read like "myself" and "selfharm".
_JOIN = {
    ("my", "self"): "myself",
    ("self", "harm"): "selfharm",
    ("self", "harming"): "selfharm",
    ("un", "alive"): "unalive",
}
_END = frozenset({"$"})
FIRST_PERSON = frozenset(
    {"i", "me", "my", "myself", "mine", "meself", "am", "yo", "mi", "mis", "conmigo"}
)


def _personal(words: list[str]) -> bool:
    """Do the matched words themselves say it is about the writer ("kill myself", "me pega")?"""
    return any(w in FIRST_PERSON or w.endswith("rme") for w in words)


def collapse(word: str) -> str:
    return _REPEAT.sub(r"\1", word)


def fold(text: str) -> str:
    """Lowercase, without accents or apostrophes."""
    text = unicodedata.normalize("NFKD", text[:MAX_CHARS].lower().translate(_APOSTROPHES))
    return "".join(ch for ch in text if not unicodedata.combining(ch))


def clauses(text: str) -> list[list[str]]:
    """Normalised words, per clause."""
    result = []
    for part in _CLAUSE_BREAK.split(fold(text)):
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


def allowed_typos(term: str) -> int:
    return 2 if len(term) >= 9 else 1


@dataclass(frozen=True)
class Pattern:
    cue: str
    rule: str
    slots: tuple[frozenset[str] | int, ...]  # alternatives, or a gap of up to n words
    negatable: bool = True
    unless_before: frozenset[str] = field(default_factory=frozenset)
    unless_after: frozenset[tuple[str, ...]] = field(default_factory=frozenset)


@dataclass(frozen=True, slots=True)
class Hit:
    """A cue found in clause `clause`, by `rule`; `first_person` if its words say "I"."""

    cue: str
    rule: str
    clause: int
    first_person: bool = False


@dataclass(frozen=True)
class Negation:
    negators: frozenset[str]
    not_negating: frozenset[str]
    scope_end: frozenset[str]


class CueMatcher:
    """Compiled cue patterns; `hits` is pure and needs no I/O."""

    def __init__(
        self, patterns: list[Pattern], fuzzy: set[str], prefixes: set[str], negation: Negation
    ) -> None:
        self._negation = negation
        self._fuzzy = sorted(fuzzy)
        self._prefixes = sorted(prefixes)
        self._by_first: dict[str, list[Pattern]] = {}
        for pattern in patterns:
            first = pattern.slots[0]
            assert isinstance(first, frozenset), f"{pattern.rule} starts with a gap"
            for term in first:
                self._by_first.setdefault(term, []).append(pattern)
        self.keys = lru_cache(maxsize=8192)(self._keys)

    def _keys(self, word: str) -> frozenset[str]:
        """The pattern terms `word` stands for: itself, near spellings, prefixes."""
        keys = {word}
        if len(word) >= 5:
            for term in self._fuzzy:
                if term[:2] == word[:2] and term != word:
                    limit = allowed_typos(term)
                    if edit_distance(word, term, limit) <= limit:
                        keys.add(term)
        keys.update(f"{p}*" for p in self._prefixes if word.startswith(p))
        return frozenset(keys)

    def hits(self, words_by_clause: list[list[str]]) -> list[Hit]:
        """Every cue pattern in `clauses(text)` not negated (one hit per rule and clause)."""
        found: dict[tuple[str, int], Hit] = {}
        for index, words in enumerate(words_by_clause):
            keys = [self.keys(word) for word in words]
            for start in range(len(words)):
                for term in keys[start]:
                    for pattern in self._by_first.get(term, ()):
                        if (pattern.rule, index) in found:
                            continue
                        end = self._fires(pattern, words, keys, start)
                        if end is not None:
                            found[pattern.rule, index] = Hit(
                                pattern.cue, pattern.rule, index, _personal(words[start:end])
                            )
        return list(found.values())

    def _fires(
        self, pattern: Pattern, words: list[str], keys: list[frozenset[str]], start: int
    ) -> int | None:
        """Where the first match of `pattern` at `start` ends, or None."""
        for end, skipped in _match(pattern.slots, keys, start, 0, ()):
            if pattern.unless_before & set(words[max(0, start - 3) : start]):
                continue
            if any(tuple(words[end : end + len(seq)]) == seq for seq in pattern.unless_after):
                continue
            if pattern.negatable and (
                self._negated(words, start) or any(self._is_negator(words, i) for i in skipped)
            ):
                continue
            return end
        return None

    def _is_negator(self, words: list[str], i: int) -> bool:
        if words[i] not in self._negation.negators:
            return False
        return i + 1 >= len(words) or words[i + 1] not in self._negation.not_negating

    def _negated(self, words: list[str], start: int) -> bool:
        """Is there a negation within NEGATION_WINDOW words before `start`, in scope?"""
        for i in range(start - 1, max(-1, start - 1 - NEGATION_WINDOW), -1):
            if words[i] in self._negation.scope_end:
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


def _variants(source: str) -> list[list[str]]:
    """The slot lists of a pattern; an alternative written a_b stands for the words "a b".

    Each multi-word alternative becomes a variant of its own, so matching stays word by word.
    """
    variants: list[list[str]] = [[]]
    for slot in source.split():
        if slot.startswith("+") and slot[1:].isdigit():
            variants = [[*v, slot] for v in variants]
            continue
        single = [a for a in slot.split("|") if "_" not in a]
        multi = [a.split("_") for a in slot.split("|") if "_" in a]
        grown = [[*v, "|".join(single)] for v in variants] if single else []
        for words in multi:
            grown.extend(v + words for v in variants)
        variants = grown
    return variants


def _phrase_variants(source: str) -> list[list[str]]:
    """A modifier's list "a b|c|d e" is a list of phrases, each a sequence of words."""
    return [phrase.split() for phrase in source.split("|") if phrase.strip()]


def compile_cues(data: dict[str, Any]) -> CueMatcher:
    """Build a CueMatcher from {macros, cues: {name: {patterns: {lang: [...]}}}, negation}."""
    patterns: list[Pattern] = []
    fuzzy: set[str] = set()
    prefixes: set[str] = set()
    macros = {f"{{{name}}}": str(value) for name, value in data.get("macros", {}).items()}

    def expand(text: str) -> str:
        for name, value in macros.items():
            text = text.replace(name, value)
        return text

    for cue, spec in data["cues"].items():
        phrase_mode = bool(spec.get("phrases"))  # modifiers list phrases
        for language, entries in spec["patterns"].items():
            for n, entry in enumerate(entries, 1):
                item = entry if isinstance(entry, dict) else {"p": entry}
                source = expand(str(item["p"]))
                body = source.lstrip("!")
                variants = _phrase_variants(body) if phrase_mode else _variants(body)
                for v, words in enumerate(variants):
                    slots: list[frozenset[str] | int] = []
                    for slot in words:
                        if slot.startswith("+") and slot[1:].isdigit():
                            slots.append(int(slot[1:]))
                            continue
                        alternatives = set()
                        for term in slot.split("|"):
                            word = collapse(fold(term.rstrip("~*")))
                            auto = not phrase_mode and len(word) >= FUZZY_MIN and word.isalpha()
                            if term.endswith("~") or auto:
                                fuzzy.add(word)
                            if term.endswith("*"):
                                prefixes.add(word)
                                word += "*"
                            alternatives.add(word)
                        slots.append(frozenset(alternatives))
                    patterns.append(
                        Pattern(
                            cue=cue,
                            rule=f"{cue}.{language}.{n}" + (f".{v}" if v else ""),
                            slots=tuple(slots),
                            negatable=not source.startswith("!"),
                            unless_before=_terms(fold(expand(item.get("unless_before", "")))),
                            unless_after=_sequences(fold(expand(item.get("unless_after", "")))),
                        )
                    )
    negation = Negation(
        **{key: _terms("|".join(map(str, words))) for key, words in data["negation"].items()}
    )
    return CueMatcher(patterns, fuzzy, prefixes, negation)
