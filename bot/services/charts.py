"""Progress pictures: the last four weeks as a calendar heat map, one panel per partner.

Drawn with matplotlib's object API (`Figure` + the Agg canvas), never `pyplot`: pyplot
keeps global state and is not safe from the worker threads handlers render in
(`asyncio.to_thread`). Colours are soft and nothing is red: an empty day is a
day, not a failure.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from babel.dates import format_date, get_day_names
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from bot.i18n import normalize_language, translator
from bot.services.progress import CHART_DAYS, Cell, CoupleProgress

WEEKS = CHART_DAYS // 7
NOTHING_DUE = "#eeeeee"
PAUSED = "#e3def3"
TEXT = "#4a4a4a"
# From "not yet" (a warm, pale sand) to "all done" (a calm green).
SHADES = LinearSegmentedColormap.from_list("twofold", ["#fbeedd", "#cfe6c9", "#6fb38a"])
DPI = 100
# Emoji in a name have no glyph in the bundled font: drawn as a box, not worth a warning.
warnings.filterwarnings("ignore", message=r"Glyph \d+ .* missing from font", category=UserWarning)


@dataclass(frozen=True)
class Series:
    """One partner's days: `cells` covers the CHART_DAYS days ending on `end`."""

    name: str
    cells: Mapping[date, Cell]
    end: date


def _colour(cell: Cell | None) -> str | tuple[float, float, float, float]:
    if cell is None or (cell.due == 0 and not cell.paused):
        return NOTHING_DUE
    if cell.paused:
        return PAUSED
    return SHADES(cell.done / cell.due)


def _draw_panel(figure: Figure, index: int, total: int, series: Series, language: str) -> None:
    axes = figure.add_subplot(1, total, index + 1)
    start = series.end - timedelta(days=CHART_DAYS - 1)
    for offset in range(CHART_DAYS):
        day = start + timedelta(days=offset)
        row, column = divmod(offset, 7)
        cell = series.cells.get(day)
        axes.add_patch(
            Rectangle(
                (column + 0.05, row + 0.05), 0.9, 0.9, facecolor=_colour(cell), edgecolor="white"
            )
        )
        label = str(day.day)
        if cell is not None and cell.due:
            label = f"{day.day}\n{cell.done}/{cell.due}"
        axes.text(column + 0.5, row + 0.5, label, ha="center", va="center", fontsize=8, color=TEXT)
    weekdays = get_day_names("abbreviated", locale=language)
    axes.set_xticks([c + 0.5 for c in range(7)])
    axes.set_xticklabels([weekdays[(start + timedelta(days=c)).weekday()] for c in range(7)])
    axes.set_yticks([r + 0.5 for r in range(WEEKS)])
    axes.set_yticklabels(
        [format_date(start + timedelta(days=7 * r), "d MMM", locale=language) for r in range(WEEKS)]
    )
    axes.set_xlim(0, 7)
    axes.set_ylim(WEEKS, 0)  # the oldest week on top, like a calendar
    axes.set_aspect("equal")
    axes.tick_params(length=0, labelsize=8, colors=TEXT)
    for spine in axes.spines.values():
        spine.set_visible(False)
    # A partner's name is their own text: never let matplotlib read `$` as math.
    axes.set_title(series.name, fontsize=11, color=TEXT, parse_math=False)


def heatmap_png(series: Sequence[Series], *, language: str, title: str = "") -> bytes:
    """The last four weeks of each series side by side, as PNG bytes (1000 px wide)."""
    language = normalize_language(language)
    _ = translator(language)
    figure = Figure(figsize=(10, 4.6), dpi=DPI, facecolor="white")
    FigureCanvasAgg(figure)
    panels = list(series)
    for index, one in enumerate(panels):
        _draw_panel(figure, index, len(panels), one, language)
    if title:
        figure.suptitle(title, fontsize=13, color=TEXT, parse_math=False)
    legend = _(
        "Greener: more of that day's exercises done · Grey: nothing planned · Lilac: a pause"
    )
    figure.text(0.5, 0.03, legend, ha="center", fontsize=9, color=TEXT, parse_math=False)
    figure.subplots_adjust(left=0.08, right=0.98, top=0.84, bottom=0.1, wspace=0.25)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    return buffer.getvalue()


def series_of(progress: CoupleProgress) -> list[Series]:
    """One series per partner, each in their own calendar."""
    return [Series(p.partner.display_name, p.cells, p.today) for p in progress.partners]
