"""The safety screen measured on labelled messages: recall per kind, style and language.

    uv run python -m bot.services.crisis_corpus tests/crisis_corpus/dev_*.txt
    uv run python -m bot.services.crisis_corpus tests/crisis_corpus/holdout_*.txt
    uv run python -m bot.services.crisis_corpus --text "some text to check"

A corpus file has one item per line, `LEVEL | KIND | STYLE | text` (# starts a comment);
its language is the file name's suffix (`dev_es.txt` is Spanish). LEVEL is what a careful
clinician would want (alert, check_in, none); KIND is the risk (suicide, ..., or ordinary);
STYLE is how it is written (direct, indirect, plan_means, slang, typo, embedded, negation)
or, for ordinary text, a tag (hyperbole, conflict, media, past_resolved, homework, ...).
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.services.crisis import Level, assess

ORDINARY = "ordinary"


@dataclass(frozen=True)
class Item:
    expected: Level
    kind: str
    style: str
    language: str
    text: str
    source: str


class CorpusError(ValueError):
    """A line that is not `LEVEL | KIND | STYLE | text`."""


def read_items(path: Path) -> list[Item]:
    language = path.stem.rsplit("_", 1)[-1]
    items = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = [part.strip() for part in line.split(" | ", 3)]
        if len(parts) != 4:
            raise CorpusError(f"{path}:{number}: expected LEVEL | KIND | STYLE | text")
        level, kind, style, text = parts
        try:
            expected = Level(level)
        except ValueError:
            raise CorpusError(f"{path}:{number}: unknown level {level!r}") from None
        items.append(Item(expected, kind, style, language, text, f"{path.name}:{number}"))
    return items


@dataclass
class Tally:
    total: int = 0
    alert: int = 0
    check_in: int = 0

    def add(self, level: Level) -> None:
        self.total += 1
        self.alert += level is Level.ALERT
        self.check_in += level is Level.CHECK_IN

    @property
    def flagged(self) -> int:
        return self.alert + self.check_in


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:5.1f}%" if whole else "    -"


def report(items: Sequence[Item]) -> tuple[str, dict[str, float]]:
    """A printable report and the headline figures."""
    risk: dict[tuple[str, str], Tally] = defaultdict(Tally)
    alerts_expected: dict[tuple[str, str], Tally] = defaultdict(Tally)
    ordinary: dict[tuple[str, str], Tally] = defaultdict(Tally)
    misses: list[str] = []
    for item in items:
        got = assess(item.text, item.language).level
        is_risk = item.expected is not Level.NONE
        groups = ("all", f"kind={item.kind}", f"style={item.style}", f"lang={item.language}")
        for group in groups:
            key = (group.split("=")[0], group)
            (risk if is_risk else ordinary)[key].add(got)
            if item.expected is Level.ALERT:
                alerts_expected[key].add(got)
        if is_risk and got is Level.NONE:
            misses.append(f"  MISSED ({item.expected}) {item.source}: {item.text}")
        elif not is_risk and got is not Level.NONE:
            misses.append(f"  FIRED ({got}) {item.source}: {item.text}")
        elif item.expected is Level.ALERT and got is Level.CHECK_IN:
            misses.append(f"  ONLY CHECK-IN {item.source}: {item.text}")
    lines = ["Risk items: alert-or-check-in recall; alert recall on items labelled alert"]
    for key in sorted(risk):
        tally, alerts = risk[key], alerts_expected.get(key, Tally())
        lines.append(
            f"  {key[1]:<24} n={tally.total:<4} any {_pct(tally.flagged, tally.total)}"
            f"   alert {_pct(alerts.alert, alerts.total)} (n={alerts.total})"
        )
    lines.append("Ordinary items: alert rate and check-in rate")
    for key in sorted(ordinary):
        tally = ordinary[key]
        lines.append(
            f"  {key[1]:<24} n={tally.total:<4} alert {_pct(tally.alert, tally.total)}"
            f"   check-in {_pct(tally.check_in, tally.total)}"
        )
    lines.append(f"Misses and false alarms ({len(misses)}):")
    lines.extend(misses)
    every, plain = risk[("all", "all")], ordinary[("all", "all")]
    alerts = alerts_expected[("all", "all")]
    figures = {
        "recall_any": every.flagged / every.total if every.total else 1.0,
        "recall_alert": alerts.alert / alerts.total if alerts.total else 1.0,
        "ordinary_alert": plain.alert / plain.total if plain.total else 0.0,
        "ordinary_check_in": plain.check_in / plain.total if plain.total else 0.0,
    }
    lines.append(
        "Headline: recall (alert or check-in) {recall_any:.1%}, alert recall {recall_alert:.1%}, "
        "alerts on ordinary {ordinary_alert:.1%}, check-ins on ordinary "
        "{ordinary_check_in:.1%}".format(**figures)
    )
    return "\n".join(lines), figures


def read_all(paths: Iterable[Path]) -> list[Item]:
    return [item for path in paths for item in read_items(path)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The safety screen on labelled messages.")
    parser.add_argument("files", nargs="*", type=Path, help="corpus files (LEVEL | KIND | ...)")
    parser.add_argument("--text", help="assess one text instead")
    args = parser.parse_args(argv)
    if args.text is not None:
        result = assess(args.text)
        print(f"{result.level} {result.category or ''} ({result.reason or '-'})")
        return 0
    if not args.files:
        parser.error("give corpus files or --text")
    text, _ = report(read_all(args.files))
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
