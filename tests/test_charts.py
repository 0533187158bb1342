"""The progress picture: a real PNG of a sensible size, whatever the names say."""

from __future__ import annotations

import io
import struct
from datetime import date, timedelta

import pytest
from matplotlib.image import imread

from bot.services.charts import Series, heatmap_png
from bot.services.progress import CHART_DAYS, Cell

END = date(2026, 11, 23)


def cells(pattern: list[Cell]) -> dict[date, Cell]:
    return {END - timedelta(days=n): pattern[n % len(pattern)] for n in range(CHART_DAYS)}


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_heat_map_is_a_real_png_of_a_sensible_size(language: str) -> None:
    ana = Series("Ana", cells([Cell(1, 1, False), Cell(0, 2, False), Cell(0, 0, True)]), END)
    ben = Series("Ben", cells([Cell(2, 2, False), Cell(0, 0, False)]), END)

    data = heatmap_png([ana, ben], language=language, title="Ana & Ben")

    width, height = png_size(data)
    assert 600 <= width <= 1600 and 300 <= height <= 1200
    assert 10_000 <= len(data) <= 300_000
    pixels = imread(io.BytesIO(data), format="png")
    assert pixels.shape[:2] == (height, width)


def test_names_are_text_not_math_and_empty_history_still_draws() -> None:
    data = heatmap_png(
        [Series("$\\frac{1}{0}$ 🙂", {}, END), Series("Ben_", cells([Cell(0, 0, False)]), END)],
        language="en",
        title="$$$",
    )

    assert png_size(data)[0] == 1000


def test_pictures_differ_when_the_days_differ() -> None:
    done = heatmap_png([Series("Ana", cells([Cell(1, 1, False)]), END)], language="en")
    none = heatmap_png([Series("Ana", cells([Cell(0, 1, False)]), END)], language="en")

    assert done != none
