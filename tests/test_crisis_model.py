"""The screen's statistical second opinion: shipped, deterministic, never trained on held-out."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bot.services import crisis_model, crisis_training
from bot.services.crisis import Level, assess, default_screen
from bot.services.crisis_corpus import read_all

CORPUS = Path(__file__).parent / "crisis_corpus"


def test_the_model_ships_with_the_package_and_loads_without_a_download() -> None:
    model = crisis_model.load()
    assert model is not None, "bot/resources/crisis_model.npz is missing"
    assert model.level_weights.shape == (crisis_model.BUCKETS, 3)
    assert 0.5 <= model.alert_threshold <= 1 and 0.5 <= model.check_in_threshold <= 1


def test_features_are_stable_and_fold_accents_and_case() -> None:
    assert crisis_model.features("No quiero VIVIR") == crisis_model.features("no quiero vívir")
    assert crisis_model.features("") == crisis_model.features("   ")  # never an empty row


def test_training_refuses_held_out_corpora(capsys: pytest.CaptureFixture[str]) -> None:
    code = crisis_training.main([str(CORPUS / "holdout_en.txt"), "--out", "/dev/null"])
    assert code == 2 and "never trained on" in capsys.readouterr().err


def test_the_model_only_ever_raises_what_the_rules_decided() -> None:
    model = crisis_model.default_model()
    assert model is not None
    order = [Level.NONE, Level.CHECK_IN, Level.ALERT]
    raised = 0
    for item in read_all(sorted(CORPUS.glob("dev_*.txt"))):
        rules = default_screen().assess(item.text)
        combined = assess(item.text)
        by_model = Level(model.level(model.opinion(item.text)))
        assert order.index(combined.level) == max(order.index(rules.level), order.index(by_model))
        if combined.level is rules.level:
            assert combined == rules  # the rules' reason and category stand when they decide
        else:
            raised += 1
            assert combined.reason == "model"
    assert raised > 0  # the model does add something on the development set


def test_a_tiny_training_run_learns_its_examples(tmp_path: Path) -> None:
    corpus = tmp_path / "tiny_en.txt"
    lines = [f"alert | suicide | direct | i will end my life tonight number {n}" for n in range(8)]
    lines += [f"none | ordinary | homework | we cooked pasta together number {n}" for n in range(8)]
    lines += [
        f"check_in | suicide | passive | sometimes i wish i could vanish {n}" for n in range(8)
    ]
    corpus.write_text("\n".join(lines), encoding="utf-8")
    model = crisis_training.train(read_all([corpus]), steps=60)
    opinion = model.opinion("i will end my life tonight")
    assert opinion.alert > opinion.none and opinion.category == "suicide"
    assert np.isfinite(model.level_weights).all()
