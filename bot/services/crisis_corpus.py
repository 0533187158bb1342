"""The crisis detector against a curated corpus: recall and false positives.

uv run python -m bot.services.crisis_corpus --corpus tests/crisis_corpus
uv run python -m bot.services.crisis_corpus "some text to check"
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.services.crisis import detect


def read_corpus_file(path: Path) -> list[str]:
    """One phrase per line; blank lines and lines starting with # are ignored."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def corpus_report(directory: Path) -> tuple[str, int, int]:
    """A printable report, the number of missed positives and of false positives."""
    out, missed, false = [], 0, 0
    for path in sorted(directory.glob("*.txt")):
        if path.name.startswith("judgement"):
            continue
        lines = read_corpus_file(path)
        hits = [line for line in lines if detect(line) is not None]
        if path.name.startswith("positives"):
            misses = [line for line in lines if detect(line) is None]
            missed += len(misses)
            out.append(f"{path.name}: recall {len(hits)}/{len(lines)}")
            out.extend(f"  MISSED: {line}" for line in misses)
        else:
            false += len(hits)
            out.append(f"{path.name}: false positives {len(hits)}/{len(lines)}")
            out.extend(f"  FIRED: {line}" for line in hits)
    return "\n".join(out), missed, false


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Crisis detector: check a text or a corpus.")
    parser.add_argument("--corpus", type=Path, help="folder of positives_*.txt and others")
    parser.add_argument("text", nargs="*", help="text to check")
    args = parser.parse_args(argv)
    if args.corpus:
        report, missed, false = corpus_report(args.corpus)
        print(report)
        print(f"missed positives: {missed}; false positives: {false}")
        return 1 if missed else 0
    match = detect(" ".join(args.text))
    print(f"{match.category.value} ({match.rule})" if match else "no crisis language")
    return 0


if __name__ == "__main__":
    sys.exit(main())
