"""Describing an exercise set's rhythm in words ("3 times a week for 2 weeks"), in en and es."""

from __future__ import annotations

__all__ = ["frequency_summary"]

_EN_NUMBERS = {1: "once", 2: "twice"}
_ES_NUMBERS = {1: "una vez", 2: "dos veces"}


def frequency_summary(days: list[int], length_days: int, *, repeat: bool, lang: str) -> str:
    """A short description of the rhythm of a set scheduled on ``days`` (sorted, distinct).

    English and Spanish; other languages get English.
    """
    spanish = lang.replace("_", "-").split("-", 1)[0].lower() == "es"
    length = length_days
    weekly = _per_week(days, length)
    if len(days) == length:
        rhythm = "todos los días" if spanish else "daily"
    elif weekly is not None:
        if spanish:
            rhythm = f"{_ES_NUMBERS.get(weekly, f'{weekly} veces')} por semana"
        else:
            rhythm = f"{_EN_NUMBERS.get(weekly, f'{weekly} times')} a week"
    else:
        rhythm = ""

    if repeat:
        if not rhythm:
            if spanish:
                return f"{len(days)} de cada {length} días, sin fecha de fin"
            return f"on {len(days)} of every {length} days, ongoing"
        return f"{rhythm}, sin fecha de fin" if spanish else f"{rhythm}, ongoing"

    if not rhythm:
        if spanish:
            return f"{len(days)} días en un periodo de {length} días"
        return f"on {len(days)} days over {length} days"
    if weekly is not None and length == 7 and len(days) != length:
        # A single week: "3 times in 7 days" reads better than "3 times a week for 7 days".
        if spanish:
            return f"{_ES_NUMBERS.get(weekly, f'{weekly} veces')} en 7 días"
        return f"{_EN_NUMBERS.get(weekly, f'{weekly} times')} in 7 days"
    return f"{rhythm} {_duration(length, spanish)}"


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


def _duration(length: int, spanish: bool) -> str:
    if length % 7 == 0 and length >= 14:
        weeks = length // 7
        return f"durante {weeks} semanas" if spanish else f"for {weeks} weeks"
    if spanish:
        return "durante 1 día" if length == 1 else f"durante {length} días"
    return "for 1 day" if length == 1 else f"for {length} days"
