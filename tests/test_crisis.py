"""The crisis detector against the curated corpus in tests/crisis_corpus (docs/safety.md)."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from bot.services import crisis, crisis_corpus
from bot.services.crisis import Category, CrisisMatch, detect
from bot.services.crisis_corpus import read_corpus_file

CORPUS = Path(__file__).resolve().parent / "crisis_corpus"
# Documented ceilings: false positives allowed on each curated set that must stay quiet.
CEILINGS = {
    "negations_en.txt": 0,
    "negations_es.txt": 0,
    "ordinary_en.txt": 0,
    "ordinary_es.txt": 0,
}


def lines(pattern: str) -> list[str]:
    return [line for path in sorted(CORPUS.glob(pattern)) for line in read_corpus_file(path)]


def judgement_calls() -> list[tuple[str, str]]:
    calls = []
    for line in read_corpus_file(CORPUS / "judgement_calls.txt"):
        verdict, text = (part.strip() for part in line.split("|", 1))
        calls.append((verdict, text))
    return calls


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_corpus_is_big_enough_to_mean_something(language: str) -> None:
    assert len(lines(f"positives_{language}.txt")) >= 60
    quiet = lines(f"negations_{language}.txt") + lines(f"ordinary_{language}.txt")
    assert len(quiet) >= 45


@pytest.mark.parametrize("text", lines("positives_*.txt"))
def test_recall_on_the_curated_positives_is_total(text: str) -> None:
    assert detect(text) is not None, f"missed: {text!r}"


@pytest.mark.parametrize("name", sorted(CEILINGS))
def test_false_positives_stay_under_the_documented_ceiling(name: str) -> None:
    fired = [text for text in read_corpus_file(CORPUS / name) if detect(text) is not None]
    assert len(fired) <= CEILINGS[name], f"{name} fired on: {fired}"


@pytest.mark.parametrize(("verdict", "text"), judgement_calls())
def test_judgement_calls_are_decided_as_documented(verdict: str, text: str) -> None:
    assert verdict in {"fire", "quiet"}
    assert (detect(text) is not None) == (verdict == "fire"), text


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("suicde", Category.SUICIDE),
        ("i want to kil myself", Category.SUICIDE),
        ("I want to kill my self", Category.SUICIDE),
        ("I waaaant to dieeee", Category.SUICIDE),
        ("QUIERO MORIRME", Category.SUICIDE),
        ("me qiero matar", Category.SUICIDE),
        ("quiero suisidarme", Category.SUICIDE),
        ("Él me golpeó", Category.VIOLENCE),
        ("el me golpeo", Category.VIOLENCE),
        ("he hits me 😢", Category.VIOLENCE),
        ("I'm afriad of my husband", Category.FEAR),
        ("i dont feel safe at home", Category.FEAR),
        ("he is abusve", Category.ABUSE),
        ("I've been self-harming", Category.SELF_HARM),
    ],
)
def test_typos_accents_case_and_stretched_letters(text: str, category: Category) -> None:
    match = detect(text)
    assert match is not None and match.category is category, (text, match)


@pytest.mark.parametrize(
    "text",
    [
        "I'm not suicidal, but I don't want to live anymore",  # the negation stops at the comma
        "I'm not okay and I want to die",  # ... and at "and"
        "no one knows he hits me",  # "no one" negates nothing
        "I can't stop thinking about killing myself",  # neither does "can't stop"
        "I don't want to die but I don't want to live like this",
    ],
)
def test_negation_never_hides_a_crisis_next_to_it(text: str) -> None:
    assert detect(text) is not None, text


def test_the_result_names_a_category_and_rule_never_the_words() -> None:
    match = detect("I want to kill myself tonight")
    assert match == CrisisMatch(Category.SUICIDE, match.rule if match else "")
    assert match is not None and re.fullmatch(r"[a-z_]+\.(en|es|any)\.\d+", match.rule)


def test_a_long_message_is_checked_quickly() -> None:
    text = ("we talked about money and the kids and it went well " * 100)[:4096]
    crisis.default_detector()
    started = time.perf_counter()
    assert detect(text) is None
    assert detect(text[:4080] + " I want to die") is not None  # found at the very end
    assert time.perf_counter() - started < 0.5


def test_the_report_command_prints_recall_and_false_positives(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert crisis_corpus.main(["--corpus", str(CORPUS)]) == 0
    out = capsys.readouterr().out
    assert "positives_en.txt: recall" in out and "ordinary_es.txt: false positives" in out
    assert "missed positives: 0; false positives: 0" in out


def test_the_report_command_fails_on_a_missed_positive(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "positives_xx.txt").write_text("I want to die\nthe weather is nice\n")
    assert crisis_corpus.main(["--corpus", str(tmp_path)]) == 1
    assert "MISSED: the weather is nice" in capsys.readouterr().out
