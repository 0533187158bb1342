"""Domain models of the exercise library (no I/O, no Telegram)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Literal, get_args

from bot.i18n import LANGUAGES
from bot.library.set_rhythm import frequency_summary

__all__ = [
    "FALLBACK_LANGUAGE",
    "MODES",
    "REQUIRED_LANGUAGES",
    "RESPONSE_TYPES",
    "VISIBILITIES",
    "Exercise",
    "ExerciseSet",
    "Library",
    "LibraryError",
    "LibraryProblem",
    "LoadResult",
    "Mode",
    "ResponseType",
    "SetItem",
    "Visibility",
    "pick_language",
]

Mode = Literal["individual", "shared", "together"]
ResponseType = Literal["done", "text", "scale", "choice", "letter"]
Visibility = Literal["private", "partner", "therapist"]

MODES: Final[tuple[str, ...]] = get_args(Mode)
RESPONSE_TYPES: Final[tuple[str, ...]] = get_args(ResponseType)
VISIBILITIES: Final[tuple[str, ...]] = get_args(Visibility)

FALLBACK_LANGUAGE: Final = "en"
#: Every text in every exercise and set must exist in every language the bot speaks
#: (one list, bot.i18n.LANGUAGES): adding a language means translating the library too.
REQUIRED_LANGUAGES: Final[tuple[str, ...]] = tuple(LANGUAGES)


def pick_language(texts: Mapping[str, str], lang: str) -> str:
    """The language of ``texts`` to use for ``lang``.

    Exact match, then the base language (``es-MX`` -> ``es``), then English,
    then whatever exists.
    """
    if lang in texts:
        return lang
    base = lang.replace("_", "-").split("-", 1)[0].lower()
    if base in texts:
        return base
    if FALLBACK_LANGUAGE in texts:
        return FALLBACK_LANGUAGE
    return next(iter(sorted(texts)))


@dataclass(frozen=True)
class LibraryProblem:
    """One problem in one library file: ``path: field: message``.

    ``field`` names the place in the file (``prompt.es``, ``schedule entry 3,
    exercise``: entries counted from 1) or is None for the whole file.
    """

    path: Path
    field: str | None
    message: str

    def __str__(self) -> str:
        shown = _display_path(self.path)
        if self.field:
            return f"{shown}: {self.field}: {self.message}"
        return f"{shown}: {self.message}"


def _display_path(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        return str(path)


class LibraryError(Exception):
    """The built-in library is broken; ``problems`` lists every problem found."""

    def __init__(self, problems: list[LibraryProblem]) -> None:
        self.problems = list(problems)
        count = len(self.problems)
        lines = [f"the exercise library has {count} problem{'s' if count != 1 else ''}:"]
        lines += [f"  {problem}" for problem in self.problems]
        super().__init__("\n".join(lines))


@dataclass(frozen=True)
class Exercise:
    """One exercise. Text fields map a language code to a Jinja2 template."""

    slug: str
    title: dict[str, str]  # plain text (no HTML, no variables): safe for buttons
    category: str
    minutes: int
    rationale: dict[str, str]
    source: str
    mode: Mode
    response: ResponseType
    choices: list[dict[str, str]]  # plain-text button labels, only for response == "choice"
    prompt: dict[str, str]
    follow_up: dict[str, str] | None
    reminder: dict[str, str]
    visibility: Visibility
    languages: frozenset[str]
    origin: Path
    builtin: bool = True
    #: Assigned only by a therapist who chose it; never suggested in a list partners see.
    therapist_only: bool = False
    #: The therapist sees the number or option chosen (the prompt must say so).
    therapist_sees_values: bool = False

    def __hash__(self) -> int:
        return hash((self.slug, self.origin))

    def title_in(self, lang: str) -> str:
        """The title in ``lang`` (with the usual fallback). Plain text, HTML-safe."""
        return self.title[pick_language(self.title, lang)]

    def choice_labels(self, lang: str) -> list[str]:
        """Button labels for a ``choice`` exercise in ``lang``. Plain text, HTML-safe."""
        return [choice[pick_language(choice, lang)] for choice in self.choices]


@dataclass(frozen=True, order=True)
class SetItem:
    """Exercise ``exercise`` (a slug) is due on ``day`` (1-based) of its set."""

    day: int
    exercise: str


@dataclass(frozen=True)
class ExerciseSet:
    """A program: which exercises on which days.

    ``items`` are sorted by day (several items may share a day). If ``repeat``
    is true the program is open-ended: after ``length_days`` it starts again
    from day 1, and ``length_days`` is the length of the cycle.
    """

    slug: str
    title: dict[str, str]  # plain text
    description: dict[str, str]  # Jinja2 templates (variables: therapist, lang)
    items: list[SetItem]
    repeat: bool
    length_days: int
    origin: Path
    builtin: bool = True
    #: Assigned only by a therapist who chose it; never suggested in a list partners see.
    therapist_only: bool = False

    def __hash__(self) -> int:
        return hash((self.slug, self.origin))

    def title_in(self, lang: str) -> str:
        """The title in ``lang`` (with the usual fallback). Plain text, HTML-safe."""
        return self.title[pick_language(self.title, lang)]

    @property
    def languages(self) -> frozenset[str]:
        return frozenset(self.title) & frozenset(self.description)

    @property
    def exercise_slugs(self) -> list[str]:
        """Distinct exercise slugs in schedule order."""
        return list(dict.fromkeys(item.exercise for item in self.items))

    def cycle_day(self, day: int) -> int | None:
        """Map a 1-based day since the start to the day in the schedule.

        None when the day is before the start (``day < 1``) or after the end of a
        non-repeating set.
        """
        if day < 1:
            return None
        if self.repeat:
            return (day - 1) % self.length_days + 1
        return day if day <= self.length_days else None

    def items_for_day(self, day: int) -> list[SetItem]:
        """Items due on ``day`` (1-based, counted from the start of the set).

        Repeating sets wrap around after ``length_days``. Days before the start
        or after the end of a non-repeating set have no items (no exception).
        """
        schedule_day = self.cycle_day(day)
        if schedule_day is None:
            return []
        return [item for item in self.items if item.day == schedule_day]

    def is_finished(self, day: int) -> bool:
        """True once ``day`` is past the end of a non-repeating set."""
        return not self.repeat and day > self.length_days

    def frequency_summary(self, lang: str) -> str:
        """A short description of the rhythm, e.g. "3 times a week for 2 weeks".

        English and Spanish; other languages get English.
        """
        days = sorted({item.day for item in self.items})
        return frequency_summary(days, self.length_days, repeat=self.repeat, lang=lang)


@dataclass(frozen=True)
class Library:
    """The loaded library. Lookups return None for unknown slugs (no KeyError)."""

    exercises: dict[str, Exercise] = field(default_factory=dict)
    sets: dict[str, ExerciseSet] = field(default_factory=dict)
    #: The category vocabulary (built-in plus the operator's): slug -> {language: name}.
    categories: dict[str, dict[str, str]] = field(default_factory=dict)

    def exercise(self, slug: str) -> Exercise | None:
        return self.exercises.get(slug)

    def set(self, slug: str) -> ExerciseSet | None:
        return self.sets.get(slug)

    def set_is_therapist_only(self, slug: str) -> bool:
        """True for a therapist-only set, or one that schedules a therapist-only exercise."""
        exercise_set = self.sets.get(slug)
        if exercise_set is None:
            return False
        return exercise_set.therapist_only or any(
            exercise.therapist_only for exercise in self.exercises_in_set(slug)
        )

    def suggestable_sets(self) -> list[ExerciseSet]:
        """Sets a list shown to partners may offer: never therapist-only ones (sorted by slug)."""
        return [s for slug, s in sorted(self.sets.items()) if not self.set_is_therapist_only(slug)]

    def suggestable_exercises(self) -> list[Exercise]:
        """Exercises a list shown to partners may offer: never therapist-only ones."""
        return [e for _, e in sorted(self.exercises.items()) if not e.therapist_only]

    def exercises_in_set(self, slug: str) -> list[Exercise]:
        """Distinct exercises of a set in schedule order ([] for an unknown set)."""
        exercise_set = self.sets.get(slug)
        if exercise_set is None:
            return []
        return [self.exercises[s] for s in exercise_set.exercise_slugs if s in self.exercises]

    @property
    def languages(self) -> frozenset[str]:
        """Languages in which *every* exercise and set is available."""
        items: list[frozenset[str]] = [e.languages for e in self.exercises.values()]
        items += [s.languages for s in self.sets.values()]
        if not items:
            return frozenset()
        return frozenset.intersection(*items)


@dataclass(frozen=True)
class LoadResult:
    """What :func:`load_library` returns: the library plus skipped operator problems."""

    library: Library
    warnings: list[LibraryProblem] = field(default_factory=list)
