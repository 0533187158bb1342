"""Describing an exercise set's rhythm in words ("3 times a week for 2 weeks").

The words come from the gettext catalogs (bot/locales), with the language's own plural
forms, so a new language needs a catalog and no code here.
"""

from __future__ import annotations

from bot.i18n import Gettext, Ngettext, plural_translator, translator

__all__ = ["frequency_summary"]


def frequency_summary(days: list[int], length_days: int, *, repeat: bool, lang: str) -> str:
    """A short description of the rhythm of a set scheduled on ``days`` (sorted, distinct)."""
    _, ngettext = translator(lang), plural_translator(lang)
    length, count = length_days, len(days)
    weekly = _per_week(days, length)
    if count == length:
        rhythm = _("daily")
    elif weekly is not None:
        rhythm = _times_a_week(_, ngettext, weekly)
    else:
        rhythm = ""

    if repeat:
        if not rhythm:
            return _("on {count} of every {length} days, ongoing").format(
                count=count, length=length
            )
        return _("{rhythm}, ongoing").format(rhythm=rhythm)

    if not rhythm:
        return _("on {count} days over {length} days").format(count=count, length=length)
    if weekly is not None and length == 7 and count != length:
        # A single week: "3 times in 7 days" reads better than "3 times a week for 7 days".
        return _times_in_a_week(_, ngettext, weekly)
    return _("{rhythm} {duration}").format(rhythm=rhythm, duration=_duration(ngettext, length))


def _times_a_week(_: Gettext, ngettext: Ngettext, weekly: int) -> str:
    if weekly == 1:
        return _("once a week")
    if weekly == 2:
        return _("twice a week")
    return ngettext("{n} time a week", "{n} times a week", weekly).format(n=weekly)


def _times_in_a_week(_: Gettext, ngettext: Ngettext, weekly: int) -> str:
    if weekly == 1:
        return _("once in 7 days")
    if weekly == 2:
        return _("twice in 7 days")
    return ngettext("{n} time in 7 days", "{n} times in 7 days", weekly).format(n=weekly)


def _per_week(days: list[int], length: int) -> int | None:
    """Days per week if every week of the schedule has the same number, else None."""
    if length % 7 or not days:
        return None
    counts = [0] * (length // 7)
    for day in days:
        counts[(day - 1) // 7] += 1
    if len(set(counts)) != 1 or counts[0] == 0:
        return None
    return counts[0]


def _duration(ngettext: Ngettext, length: int) -> str:
    if length % 7 == 0 and length >= 14:
        weeks = length // 7
        return ngettext("for {n} week", "for {n} weeks", weeks).format(n=weeks)
    return ngettext("for {n} day", "for {n} days", length).format(n=length)
