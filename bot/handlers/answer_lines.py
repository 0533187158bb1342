"""Lines about scale answers and written answers, shared by /report, /brief and /progress.

What a reader may see is decided before (bot/services/visibility.py); these only word it.
Plain text (the /brief PDF draws it as-is): escape it before putting it in a message.
"""

from __future__ import annotations

from bot.i18n import Gettext
from bot.library import Library
from bot.services.summaries import Scale, Written

RECENT = 6  # values listed after the latest; older ones are in /export


def _title(library: Library, slug: str, language: str) -> str:
    exercise = library.exercise(slug)
    return exercise.title_in(language) if exercise else slug


def _trend(_: Gettext, scale: Scale) -> str:
    if scale.trend is None:
        return ""
    before = scale.values[-2]
    if scale.trend == "up":
        return _("up from {before}").format(before=before)
    if scale.trend == "down":
        return _("down from {before}").format(before=before)
    return _("the same as the time before")


def scale_text(_: Gettext, library: Library, language: str, scale: Scale) -> str:
    """`latest 4/5, up from 3 (answers: 3, 4)`, or the option chosen last on a choice."""
    exercise = library.exercise(scale.exercise)
    if exercise is not None and exercise.response == "choice":
        labels = exercise.choice_labels(language)
        chosen = labels[scale.latest] if 0 <= scale.latest < len(labels) else str(scale.latest)
        text = _("latest: “{choice}”").format(choice=chosen)
        if len(scale.values) > 1:
            text += " " + _("(answers: {n})").format(n=len(scale.values))
        return text
    parts = [_("latest {value}/5").format(value=scale.latest)]
    if trend := _trend(_, scale):
        parts.append(trend)
    text = ", ".join(parts)
    if len(scale.values) > 1:
        shown = ", ".join(map(str, scale.values[-RECENT:]))
        if len(scale.values) > RECENT:
            shown = f"…, {shown}"
        text += " " + _("(answers: {values})").format(values=shown)
    return text


def scale_lines(
    _: Gettext, library: Library, language: str, scales: list[Scale], *, names: bool = True
) -> list[str]:
    """One line per partner and exercise; `names=False` when they are all the reader's."""
    lines = []
    for scale in scales:
        title = _title(library, scale.exercise, language)
        who = f"{scale.partner}, " if names else ""
        lines.append(f"{who}{title}: {scale_text(_, library, language, scale)}")
    return lines


def written_lines(_: Gettext, written: list[Written]) -> list[str]:
    """For the therapist: per partner, written answers shared with them and kept private."""
    lines = []
    for line in written:
        parts = []
        if line.readable:
            parts.append(_("{n} shared with you").format(n=line.readable))
        if line.private:
            parts.append(_("{n} kept private").format(n=line.private))
        total = _("written answers: {n}").format(n=line.total)
        lines.append(f"{line.partner}: {total} ({', '.join(parts)})")
    return lines
