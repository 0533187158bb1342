"""The safety screen: levels, categories, negation, suppressors and the measured corpus.

The figures themselves are in docs/safety.md; the floors here only stop a regression.
The held-out files (holdout_*.txt) are never used to tune the cues: they are measured here
with floors set from the figures reported, so that a change that helps the development set
but hurts fresh text is noticed.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from bot.services import crisis_corpus
from bot.services.crisis import Assessment, Category, Level, assess
from bot.services.crisis_corpus import read_all

CORPUS = Path(__file__).resolve().parent / "crisis_corpus"
DEV = sorted(CORPUS.glob("dev_*.txt"))
HOLDOUT = sorted(CORPUS.glob("holdout_*.txt"))


def test_the_corpus_is_big_and_a_third_spanish() -> None:
    items = read_all([*DEV, *HOLDOUT])
    assert len(items) >= 600
    assert sum(item.language == "es" for item in items) >= len(items) / 3
    kinds = {item.kind for item in items}
    assert kinds >= {"suicide", "self_harm", "violence", "abuse", "fear", "harm_to_others"}
    styles = {item.style for item in items if item.expected is not Level.NONE}
    assert styles >= {"direct", "indirect", "plan_means", "slang", "typo", "embedded", "negation"}


@pytest.mark.parametrize(
    ("files", "recall_floor", "alert_ceiling", "check_in_ceiling"),
    # Measured 2026-12-02 with the model (docs/safety.md): development 94.2% / 1.0% / 6.2%,
    # held out 77.3% / 6.5% / 12.0%. Floors a little below, so a change cannot quietly
    # make either worse.
    [(DEV, 0.92, 0.02, 0.07), (HOLDOUT, 0.75, 0.08, 0.13)],
    ids=["development", "held-out"],
)
def test_measured_figures_do_not_regress(
    files: list[Path], recall_floor: float, alert_ceiling: float, check_in_ceiling: float
) -> None:
    _, figures = crisis_corpus.report(read_all(files))
    assert figures["recall_any"] >= recall_floor
    assert figures["ordinary_alert"] <= alert_ceiling
    assert figures["ordinary_check_in"] <= check_in_ceiling


@pytest.mark.parametrize(
    ("text", "level", "category"),
    [
        ("i swallowed what was left of my sleeping pills", Level.ALERT, Category.SUICIDE),
        ("I'm going to take all my pills tonight", Level.ALERT, Category.SUICIDE),
        ("kms", Level.ALERT, Category.SUICIDE),
        ("me quiero morir", Level.ALERT, Category.SUICIDE),
        ("i want to end my life tonight", Level.ALERT, Category.SUICIDE),
        ("he choked me last night", Level.ALERT, Category.VIOLENCE),
        ("me agarró del cuello", Level.ALERT, Category.VIOLENCE),
        ("he forced me to have sex", Level.ALERT, Category.ABUSE),
        ("I cut myself again last night", Level.ALERT, Category.SELF_HARM),
        ("he threatened to hurt the kids", Level.ALERT, Category.HARM_TO_OTHERS),
        ("some days i wish i could go to sleep and not wake up", Level.CHECK_IN, Category.SUICIDE),
        ("no quiero despertar mañana", Level.CHECK_IN, Category.SUICIDE),
        ("siento que soy una carga para todos", Level.CHECK_IN, Category.SUICIDE),
        ("mi novio me revisa el celular todos los días", Level.CHECK_IN, Category.ABUSE),
        ("I'm scared of him when he drinks", Level.CHECK_IN, Category.FEAR),
        ("lo voy a matar si vuelve a llegar tarde", Level.CHECK_IN, Category.HARM_TO_OTHERS),
    ],
)
def test_levels_and_categories(text: str, level: Level, category: Category) -> None:
    result = assess(text)
    assert (result.level, result.category) == (level, category), result


@pytest.mark.parametrize(
    "text",
    [
        "this traffic is killing me",
        "me muero de hambre",
        "I'd die for a coffee",
        "i took two pills for my headache",
        "I'm not suicidal, just tired",
        "the movie was about suicide",
        "years ago i tried to kill myself but therapy helped and im ok now",
        "we fought about the dishes again",
        "she cut her hair really short and it looks amazing",
    ],
)
def test_ordinary_text_is_left_alone(text: str) -> None:
    assert assess(text).level is Level.NONE, assess(text)


def test_a_suppressor_never_cancels_a_first_person_cue() -> None:
    assert assess("we watched a film about suicide and now i want to kill myself").level is (
        Level.ALERT
    )
    assert assess("i work in suicide prevention and tonight i took all my pills").level is (
        Level.ALERT
    )


def test_negation_never_hides_a_risk_next_to_it() -> None:
    assert assess("I'm not suicidal. I just want to die").level is not Level.NONE
    assert assess("no estoy bien, no quiero seguir viviendo").level is not Level.NONE


def test_typos_accents_and_stretched_letters() -> None:
    for text in ["i want to kil myslef", "quiero MATARME", "suicidaaaal", "me voy a suicidar"]:
        assert assess(text).level is not Level.NONE, text


def test_the_result_never_holds_the_words() -> None:
    result = assess("i swallowed what was left of my sleeping pills")
    assert isinstance(result, Assessment)
    assert "pills" not in repr(result) and "swallowed" not in repr(result)


def test_a_long_message_is_checked_quickly() -> None:
    text = "we talked about the dishes and the budget and it went well. " * 200
    began = time.perf_counter()
    assess(text)
    assert time.perf_counter() - began < 2.0  # a guard against runaway matching, not a target


def test_the_report_command_prints_figures_and_every_miss(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    corpus = tmp_path / "mini_en.txt"
    corpus.write_text(
        "alert | suicide | direct | I want to kill myself\n"
        "check_in | suicide | indirect | the weather is nice\n"
        "none | ordinary | hyperbole | this traffic is killing me\n",
        encoding="utf-8",
    )
    assert crisis_corpus.main([str(corpus)]) == 0
    out = capsys.readouterr().out
    assert "MISSED (check_in)" in out and "the weather is nice" in out
    assert "recall (alert or check-in) 50.0%" in out


def test_a_malformed_corpus_line_is_named(tmp_path: Path) -> None:
    corpus = tmp_path / "bad_en.txt"
    corpus.write_text("alert | suicide | text without a style\n", encoding="utf-8")
    with pytest.raises(crisis_corpus.CorpusError, match=r"bad_en\.txt:1"):
        crisis_corpus.read_items(corpus)
