"""A small statistical second opinion for the safety screen (docs/safety.md, "The model").

The cue rules (`bot.services.crisis`) are precise but only know the phrasings someone
thought of. This model reads character and word n-grams, so it also recognises the
misspelt, indirect and slang ways people write about risk. It is a linear model over
hashed features (a few hundred thousand weights in `bot/resources/crisis_model.npz`,
trained by `bot.services.crisis_training` on the training and development corpora, never
on the held-out ones), loaded once, with no download and no text kept.

It only ever raises the level the rules gave (see `crisis.assess`); it never lowers one.
"""

from __future__ import annotations

import re
import unicodedata
import zlib
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise
from pathlib import Path

import numpy as np
import numpy.typing as npt

MODEL_FILE = Path(__file__).resolve().parent.parent / "resources" / "crisis_model.npz"
BUCKETS = 1 << 18
LEVELS = ("none", "check_in", "alert")
CATEGORIES = ("suicide", "self_harm", "violence", "abuse", "fear", "harm_to_others")

_WORD = re.compile(r"[a-z0-9']+")


def normalise(text: str) -> str:
    """Lower case, accents folded, so "no quiero vivir" and "no quiero vívir" agree."""
    folded = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in folded if not unicodedata.combining(c))


def features(text: str) -> list[int]:
    """Hashed feature ids: words, word pairs and character 3-5-grams inside words."""
    words = _WORD.findall(normalise(text))
    grams: list[str] = [f"w:{w}" for w in words]
    grams += [f"b:{a} {b}" for a, b in pairwise(words)]
    grams.append("always")  # so no message has an empty row
    for word in words:
        padded = f" {word} "
        for size in (3, 4, 5):
            grams += [f"c:{padded[i : i + size]}" for i in range(len(padded) - size + 1)]
    return sorted({zlib.crc32(g.encode()) % BUCKETS for g in grams})


@dataclass(frozen=True, slots=True)
class Opinion:
    """The model's probabilities for one message."""

    none: float
    check_in: float
    alert: float
    category: str

    @property
    def risk(self) -> float:
        return self.check_in + self.alert


class CrisisModel:
    """Weights and thresholds, as trained; `opinion` scores one message."""

    def __init__(
        self,
        level_weights: npt.NDArray[np.float32],
        level_bias: npt.NDArray[np.float32],
        category_weights: npt.NDArray[np.float32],
        category_bias: npt.NDArray[np.float32],
        thresholds: npt.NDArray[np.float32],
    ) -> None:
        self.level_weights, self.level_bias = level_weights, level_bias
        self.category_weights, self.category_bias = category_weights, category_bias
        # [alert probability for an alert, risk probability for a check-in]
        self.alert_threshold, self.check_in_threshold = (float(t) for t in thresholds)

    def opinion(self, text: str) -> Opinion:
        ids = features(text)
        levels = _softmax(self.level_weights[ids].sum(axis=0) + self.level_bias)
        categories = self.category_weights[ids].sum(axis=0) + self.category_bias
        return Opinion(
            none=float(levels[0]),
            check_in=float(levels[1]),
            alert=float(levels[2]),
            category=CATEGORIES[int(np.argmax(categories))],
        )

    def level(self, opinion: Opinion) -> str:
        if opinion.alert >= self.alert_threshold:
            return "alert"
        if opinion.risk >= self.check_in_threshold:
            return "check_in"
        return "none"

    def save(self, path: Path) -> None:
        np.savez_compressed(
            path,
            level_weights=self.level_weights.astype(np.float16),
            level_bias=self.level_bias,
            category_weights=self.category_weights.astype(np.float16),
            category_bias=self.category_bias,
            thresholds=np.array([self.alert_threshold, self.check_in_threshold], np.float32),
        )


def _softmax(scores: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
    shifted = np.exp(scores - scores.max())
    result: npt.NDArray[np.float32] = shifted / shifted.sum()
    return result


def load(path: Path = MODEL_FILE) -> CrisisModel | None:
    """The trained model, or None if the file is missing (the rules then work alone)."""
    if not path.is_file():
        return None
    with np.load(path) as data:
        return CrisisModel(
            data["level_weights"].astype(np.float32),
            data["level_bias"].astype(np.float32),
            data["category_weights"].astype(np.float32),
            data["category_bias"].astype(np.float32),
            data["thresholds"].astype(np.float32),
        )


@lru_cache(maxsize=1)
def default_model() -> CrisisModel | None:
    return load()
