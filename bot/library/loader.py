"""Reading and checking library files, and loading the library."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, cast

import yaml
from jinja2 import TemplateSyntaxError, UndefinedError
from jinja2.exceptions import SecurityError

from bot.library.models import (
    CATEGORIES,
    MODES,
    REQUIRED_LANGUAGES,
    RESPONSE_TYPES,
    VISIBILITIES,
    Exercise,
    ExerciseSet,
    Library,
    LibraryError,
    LibraryProblem,
    LoadResult,
    Mode,
    ResponseType,
    SetItem,
    Visibility,
)
from bot.library.paths import EXERCISES_SUBDIR, SETS_SUBDIR, builtin_exercises_dir
from bot.library.render import (
    SET_TEMPLATE_VARIABLES,
    TEMPLATE_VARIABLES,
    compile_template,
    render_template,
    weekday_name,
)
from bot.library.telegram_html import MAX_MESSAGE_LENGTH, check_telegram_html, visible_length

__all__ = [
    "EXERCISE_FIELDS",
    "MAX_CHOICES",
    "MAX_CHOICE_LABEL_LENGTH",
    "MAX_TITLE_LENGTH",
    "SET_FIELDS",
    "library_files",
    "load_library",
    "scan_directory",
]

SLUG_RE: Final = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_SLUG_LENGTH: Final = 40
LANG_RE: Final = re.compile(r"^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})?$")

#: 64 characters of markup, the longest name Telegram allows.
HOSTILE_NAME: Final = ("<b>&\"'" * 11)[:64]

MAX_TITLE_LENGTH: Final = 60
MAX_CHOICE_LABEL_LENGTH: Final = 32
MIN_CHOICES: Final = 2
MAX_CHOICES: Final = 5
MAX_MINUTES: Final = 180
MAX_SET_DAYS: Final = 366

# field name -> required?
EXERCISE_FIELDS: Final[Mapping[str, bool]] = {
    "slug": True,
    "title": True,
    "category": True,
    "minutes": True,
    "mode": True,
    "response": True,
    "visibility": True,
    "source": True,
    "rationale": True,
    "prompt": True,
    "follow_up": False,
    "reminder": True,
    "choices": False,
}
SET_FIELDS: Final[Mapping[str, bool]] = {
    "slug": True,
    "title": True,
    "description": True,
    "repeat": False,
    "length_days": False,
    "schedule": True,
}
_TEMPLATE_FIELDS: Final = ("prompt", "follow_up", "reminder", "rationale")


# --------------------------------------------------------------------------- YAML


class _YamlLoader(yaml.SafeLoader):
    """Safe YAML with YAML 1.2 booleans (only true/false) and no duplicate keys.

    With YAML 1.1 rules ``en: Yes`` or a language called ``no`` would silently
    turn into booleans.
    """


_YamlLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_YamlLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool",
    re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"),
)


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    loader.flatten_mapping(node)
    seen: set[object] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            duplicate = key in seen
        except TypeError:
            raise yaml.constructor.ConstructorError(
                None, None, "a key must be a plain value", key_node.start_mark
            ) from None
        if duplicate:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node, deep=True)


_YamlLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


_YAML_TIP = "tip: write each text as a `|` block on its own indented lines, or in quotes"


def _read_yaml(path: Path, problems: list[LibraryProblem]) -> dict[str, Any] | None:
    def fail(message: str) -> None:
        problems.append(LibraryProblem(path, None, message))

    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        fail("not a UTF-8 text file")
        return None
    except OSError as exc:
        fail(f"can't read the file: {exc.strerror or exc}")
        return None
    try:
        data = yaml.load(text, Loader=_YamlLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        where = ""
        if exc.problem_mark is not None:
            mark = exc.problem_mark
            where = f" on line {mark.line + 1}, column {mark.column + 1}"
        tip = "" if isinstance(exc, yaml.constructor.ConstructorError) else f" ({_YAML_TIP})"
        fail(f"invalid YAML{where}: {exc.problem or exc}{tip}")
        return None
    except yaml.YAMLError as exc:
        fail(f"invalid YAML: {exc}")
        return None
    if data is None:
        fail("the file is empty")
        return None
    if not isinstance(data, dict):
        fail("expected a mapping of fields (slug: …, title: …) at the top level")
        return None
    return data


# --------------------------------------------------------------------------- checks


def _sample_contexts(lang: str) -> Iterator[dict[str, object]]:
    """Contexts used to test-render every template: ordinary and hostile names."""
    monday = dt.date(2026, 11, 23)
    for offset in range(7):
        yield {
            "recipient": "Alex",
            "partner": "Sam",
            "therapist": "Dr. Rivera",
            "day": offset + 1,
            "weekday": weekday_name(monday + dt.timedelta(days=offset), lang),
            "lang": lang,
        }
    yield {
        "recipient": HOSTILE_NAME,
        "partner": "👩‍❤️‍👨 שרה مريم &amp; <i>",
        "therapist": "Dr. <script>alert(1)</script>",
        "day": 366,
        "weekday": weekday_name(monday + dt.timedelta(days=2), lang),
        "lang": lang,
    }
    # The longest names Telegram allows (64 characters, each 2 UTF-16 code units).
    yield {
        "recipient": "𝓐" * 64,
        "partner": "𝓑" * 64,
        "therapist": "𝓒" * 64,
        "day": 1000,
        "weekday": weekday_name(monday + dt.timedelta(days=2), lang),
        "lang": lang,
    }


@dataclass
class _FileChecker:
    path: Path
    problems: list[LibraryProblem] = field(default_factory=list)
    # localised maps seen in this file: field name -> languages present
    localised: dict[str, frozenset[str]] = field(default_factory=dict)

    def add(self, field_name: str | None, message: str) -> None:
        self.problems.append(LibraryProblem(self.path, field_name, message))

    def unknown_fields(self, data: Mapping[Any, Any], known: Mapping[str, bool]) -> None:
        for key in data:
            if key not in known:
                expected = ", ".join(known)
                self.add(str(key), f"unknown field (expected one of: {expected})")

    def require(self, data: Mapping[Any, Any], known: Mapping[str, bool]) -> None:
        for key, required in known.items():
            if required and data.get(key) is None:
                self.add(key, "missing required field")

    def slug(self, data: Mapping[Any, Any]) -> str | None:
        value = data.get("slug")
        if value is None:
            return None
        if not isinstance(value, str) or not SLUG_RE.match(value):
            self.add("slug", "must be lower-case letters, digits and dashes, e.g. thank-you-note")
            return None
        if len(value) > MAX_SLUG_LENGTH:
            # Slugs travel inside button data, which Telegram caps at 64 bytes.
            self.add("slug", f"must be at most {MAX_SLUG_LENGTH} characters")
            return None
        if value != self.path.stem:
            self.add("slug", f"slug {value!r} does not match the file name {self.path.name!r}")
            return None
        return value

    def choice(self, data: Mapping[Any, Any], key: str, options: tuple[str, ...]) -> str | None:
        value = data.get(key)
        if value is None:
            return None
        if value not in options:
            self.add(key, f"unknown {key} {value!r} (expected one of: {', '.join(options)})")
            return None
        return cast(str, value)

    def integer(self, name: str, value: object, low: int, high: int) -> int | None:
        if isinstance(value, bool) or not isinstance(value, int):
            self.add(name, f"must be a whole number, got {value!r}")
            return None
        if not low <= value <= high:
            self.add(name, f"must be between {low} and {high}, got {value}")
            return None
        return value

    def localised_map(
        self, name: str, value: object, *, plain: bool = False, max_length: int | None = None
    ) -> dict[str, str] | None:
        """A {language: text} map. ``plain`` texts may not contain markup or templates."""
        if value is None:
            return None
        if not isinstance(value, dict):
            self.add(name, "must be a map of language codes to texts, e.g. {en: …, es: …}")
            return None
        texts: dict[str, str] = {}
        ok = True
        for lang, text in value.items():
            where = f"{name}.{lang}"
            if not isinstance(lang, str) or not LANG_RE.match(lang):
                self.add(where, "not a language code (use e.g. en, es, pt-BR)")
                ok = False
                continue
            if not isinstance(text, str):
                self.add(where, f"must be text, got {text!r} (put it in quotes)")
                ok = False
                continue
            if not text.strip():
                self.add(where, "is empty")
                ok = False
                continue
            if plain:
                text = text.strip()
                bad = [token for token in ("<", ">", "&", "{{", "{%", "{#") if token in text]
                if bad:
                    self.add(
                        where,
                        "must be plain text (no HTML, entities or template code): "
                        f"found {bad[0]!r}",
                    )
                    ok = False
                    continue
                if max_length is not None and len(text) > max_length:
                    self.add(where, f"is {len(text)} characters long; keep it under {max_length}")
                    ok = False
                    continue
            texts[lang] = text
        self.localised[name] = frozenset(texts) | (
            frozenset(k for k in value if isinstance(k, str)) if not ok else frozenset()
        )
        return texts if ok else None

    def translations(self) -> frozenset[str]:
        """Check every localised text has the same languages (at least the required ones)."""
        expected = frozenset(REQUIRED_LANGUAGES).union(*self.localised.values())
        for name, present in self.localised.items():
            for lang in sorted(expected - present):
                self.add(f"{name}.{lang}", "missing translation")
        return expected

    def template(
        self,
        name: str,
        texts: Mapping[str, str] | None,
        variables: tuple[str, ...],
        contexts: Mapping[str, list[dict[str, object]]],
    ) -> dict[str, list[str]]:
        """Compile and test-render a localised template; return renders per language."""
        renders: dict[str, list[str]] = {}
        for lang, source in (texts or {}).items():
            where = f"{name}.{lang}"
            try:
                compile_template(source)
            except TemplateSyntaxError as exc:
                self.add(where, f"template syntax error on line {exc.lineno}: {exc.message}")
                continue
            outputs: list[str] = []
            for context in contexts[lang]:
                try:
                    outputs.append(render_template(source, context))
                except UndefinedError as exc:
                    self.add(
                        where,
                        f"template uses an unknown variable: {exc.message} "
                        f"(available: {', '.join(variables)})",
                    )
                    break
                except SecurityError as exc:
                    self.add(where, f"template does something not allowed: {exc}")
                    break
                except Exception as exc:  # any runtime error in operator templates
                    self.add(where, f"template failed to render: {type(exc).__name__}: {exc}")
                    break
                error = check_telegram_html(outputs[-1], max_length=None)
                if error:
                    self.add(where, f"renders to invalid Telegram HTML: {error}")
                    break
                length = visible_length(outputs[-1])
                if length > MAX_MESSAGE_LENGTH:
                    self.add(
                        where,
                        f"renders to {length} characters; Telegram allows at most "
                        f"{MAX_MESSAGE_LENGTH}",
                    )
                    break
            else:
                renders[lang] = outputs
        return renders


def _check_exercise(
    path: Path, data: dict[str, Any], *, builtin: bool
) -> tuple[Exercise | None, list[LibraryProblem]]:
    check = _FileChecker(path)
    check.unknown_fields(data, EXERCISE_FIELDS)
    check.require(data, EXERCISE_FIELDS)
    slug = check.slug(data)
    title = check.localised_map("title", data.get("title"), plain=True, max_length=MAX_TITLE_LENGTH)

    category = data.get("category")
    if category is not None and category not in CATEGORIES:
        check.add(
            "category", f"unknown category {category!r} (expected one of: {', '.join(CATEGORIES)})"
        )
    minutes = None
    if data.get("minutes") is not None:
        minutes = check.integer("minutes", data["minutes"], 1, MAX_MINUTES)
    mode = check.choice(data, "mode", MODES)
    response = check.choice(data, "response", RESPONSE_TYPES)
    visibility = check.choice(data, "visibility", VISIBILITIES)
    source = data.get("source")
    if source is not None and (not isinstance(source, str) or not source.strip()):
        check.add("source", "must be text naming where the exercise comes from")
    if mode == "shared" and visibility not in (None, "partner"):
        check.add(
            "visibility",
            "a shared exercise shows each answer to the partner once both have answered; "
            "use visibility: partner",
        )

    texts = {
        name: check.localised_map(name, data.get(name))
        for name in _TEMPLATE_FIELDS
        if data.get(name) is not None
    }

    choices: list[dict[str, str]] = []
    raw_choices = data.get("choices")
    if response == "choice":
        if raw_choices is None:
            check.add("choices", "a choice exercise needs a list of choices")
        elif not isinstance(raw_choices, list) or not (
            MIN_CHOICES <= len(raw_choices) <= MAX_CHOICES
        ):
            check.add("choices", f"must be a list of {MIN_CHOICES} to {MAX_CHOICES} choices")
        else:
            for index, raw in enumerate(raw_choices):
                label = check.localised_map(
                    f"choices[{index}]", raw, plain=True, max_length=MAX_CHOICE_LABEL_LENGTH
                )
                if label is not None:
                    choices.append(label)
    elif raw_choices is not None:
        check.add("choices", "choices are only used with response: choice")

    languages = check.translations()

    contexts = {lang: list(_sample_contexts(lang)) for lang in languages}
    renders = {
        name: check.template(name, value, TEMPLATE_VARIABLES, contexts)
        for name, value in texts.items()
    }
    # The delivered message (title + prompt + follow-up) must fit in one message too.
    if title and "prompt" in renders:
        for lang, prompts in renders["prompt"].items():
            follow_ups = renders.get("follow_up", {}).get(lang, [""] * len(prompts))
            for prompt, follow_up in zip(prompts, follow_ups, strict=False):
                total = visible_length(f"{title.get(lang, '')}\n\n{prompt}\n\n{follow_up}")
                if total > MAX_MESSAGE_LENGTH:
                    check.add(
                        f"prompt.{lang}",
                        f"the message (title, prompt and follow-up) renders to {total} "
                        f"characters; Telegram allows at most {MAX_MESSAGE_LENGTH}",
                    )
                    break

    if (
        check.problems
        or slug is None
        or title is None
        or minutes is None
        or mode is None
        or response is None
        or visibility is None
    ):
        return None, check.problems or [LibraryProblem(path, None, "could not be read")]
    return (
        Exercise(
            slug=slug,
            title=title,
            category=str(category),
            minutes=minutes,
            rationale=texts["rationale"] or {},
            source=str(source).strip(),
            mode=cast(Mode, mode),
            response=cast(ResponseType, response),
            choices=choices,
            prompt=texts["prompt"] or {},
            follow_up=texts.get("follow_up"),
            reminder=texts["reminder"] or {},
            visibility=cast(Visibility, visibility),
            languages=languages,
            origin=path,
            builtin=builtin,
        ),
        [],
    )


# Checking an exercise renders every template many times; remember the result
# for unchanged files (the key includes the file's whole text).
_EXERCISE_CACHE: dict[tuple[Path, bool, bytes], tuple[Exercise | None, list[LibraryProblem]]] = {}
_EXERCISE_CACHE_SIZE: Final = 2048


def _load_exercise_file(
    path: Path, *, builtin: bool
) -> tuple[Exercise | None, list[LibraryProblem]]:
    try:
        key = (path, builtin, path.read_bytes())
    except OSError:
        key = None
    if key is not None and key in _EXERCISE_CACHE:
        cached, cached_problems = _EXERCISE_CACHE[key]
        return cached, list(cached_problems)
    problems: list[LibraryProblem] = []
    data = _read_yaml(path, problems)
    exercise = None
    if data is not None:
        exercise, problems = _check_exercise(path, data, builtin=builtin)
    if key is not None:
        if len(_EXERCISE_CACHE) >= _EXERCISE_CACHE_SIZE:
            _EXERCISE_CACHE.clear()
        _EXERCISE_CACHE[key] = (exercise, list(problems))
    return exercise, problems


def _check_set(
    path: Path,
    data: dict[str, Any],
    *,
    builtin: bool,
    known: Mapping[str, Exercise],
    broken: frozenset[str],
) -> tuple[ExerciseSet | None, list[LibraryProblem]]:
    check = _FileChecker(path)
    check.unknown_fields(data, SET_FIELDS)
    check.require(data, SET_FIELDS)
    slug = check.slug(data)
    title = check.localised_map("title", data.get("title"), plain=True, max_length=MAX_TITLE_LENGTH)
    description = check.localised_map("description", data.get("description"))

    repeat = data.get("repeat", False)
    if not isinstance(repeat, bool):
        check.add("repeat", f"must be true or false, got {repeat!r}")
        repeat = False

    items: list[SetItem] = []
    schedule = data.get("schedule")
    if schedule is not None:
        if not isinstance(schedule, list) or not schedule:
            check.add("schedule", "must be a non-empty list of {day: …, exercise: …} entries")
        else:
            items = _check_schedule(check, schedule, known, broken)

    last_day = max((item.day for item in items), default=0)
    length_days = last_day
    if data.get("length_days") is not None:
        length = check.integer("length_days", data["length_days"], 1, MAX_SET_DAYS)
        if length is not None:
            if length < last_day:
                check.add("length_days", f"is {length} but the schedule goes up to day {last_day}")
            length_days = length

    languages = check.translations()
    contexts: dict[str, list[dict[str, object]]] = {
        lang: [
            {"therapist": "Dr. Rivera", "lang": lang},
            {"therapist": HOSTILE_NAME, "lang": lang},
            {"therapist": "𝓒" * 64, "lang": lang},
        ]
        for lang in languages
    }
    check.template("description", description, SET_TEMPLATE_VARIABLES, contexts)

    if check.problems or slug is None or title is None or description is None or not items:
        return None, check.problems or [LibraryProblem(path, None, "could not be read")]
    return (
        ExerciseSet(
            slug=slug,
            title=title,
            description=description,
            items=sorted(items),
            repeat=repeat,
            length_days=length_days,
            origin=path,
            builtin=builtin,
        ),
        [],
    )


def _check_schedule(
    check: _FileChecker,
    schedule: list[Any],
    known: Mapping[str, Exercise],
    broken: frozenset[str],
) -> list[SetItem]:
    items: list[SetItem] = []
    seen: set[SetItem] = set()
    for index, entry in enumerate(schedule):
        where = f"schedule[{index}]"
        if not isinstance(entry, dict):
            check.add(where, "must be a mapping like {day: 1, exercise: some-slug}")
            continue
        for key in entry:
            if key not in ("day", "days", "exercise"):
                check.add(f"{where}.{key}", "unknown field (expected day or days, and exercise)")
        exercise = entry.get("exercise")
        if exercise is None:
            check.add(f"{where}.exercise", "missing required field")
        elif not isinstance(exercise, str) or exercise not in known:
            hint = (
                " (its file has problems, see above)"
                if isinstance(exercise, str) and exercise in broken
                else ""
            )
            check.add(f"{where}.exercise", f"unknown exercise {exercise!r}{hint}")
            exercise = None

        days: list[int] = []
        if ("day" in entry) == ("days" in entry):
            check.add(f"{where}.day", "give either day: N or days: [N, M, …]")
        elif "day" in entry:
            day = check.integer(f"{where}.day", entry["day"], 1, MAX_SET_DAYS)
            days = [day] if day is not None else []
        elif not isinstance(entry["days"], list) or not entry["days"]:
            check.add(f"{where}.days", "must be a non-empty list of day numbers")
        else:
            for position, raw_day in enumerate(entry["days"]):
                day = check.integer(f"{where}.days[{position}]", raw_day, 1, MAX_SET_DAYS)
                if day is not None:
                    days.append(day)
        if exercise is None:
            continue
        for day in days:
            item = SetItem(day=day, exercise=exercise)
            if item in seen:
                check.add(where, f"{exercise!r} is already scheduled on day {day}")
                continue
            seen.add(item)
            items.append(item)
    return items


# --------------------------------------------------------------------------- directories


def library_files(directory: Path, subdir: str) -> list[Path]:
    """The YAML files of ``directory/subdir`` (hidden files ignored), sorted."""
    folder = directory / subdir
    if not folder.is_dir():
        return []
    return sorted(
        path
        for path in folder.iterdir()
        if path.suffix in (".yaml", ".yml") and not path.name.startswith(".") and path.is_file()
    )


@dataclass
class ScanResult:
    """Everything found in one library directory."""

    exercises: dict[str, Exercise] = field(default_factory=dict)
    sets: dict[str, ExerciseSet] = field(default_factory=dict)
    problems: list[LibraryProblem] = field(default_factory=list)


def scan_directory(
    directory: Path, *, builtin: bool, known: Mapping[str, Exercise] | None = None
) -> ScanResult:
    """Read and check every file of a library directory.

    Files with problems are left out of the result and their problems listed.
    Sets may also use the exercises in ``known`` (the built-in library when
    scanning an operator directory).
    """
    result = ScanResult()
    if not directory.is_dir():
        result.problems.append(LibraryProblem(directory, None, "directory not found"))
        return result
    if not (directory / EXERCISES_SUBDIR).is_dir() and not (directory / SETS_SUBDIR).is_dir():
        result.problems.append(
            LibraryProblem(
                directory,
                None,
                f"no {EXERCISES_SUBDIR}/ or {SETS_SUBDIR}/ folder in this directory",
            )
        )
        return result

    origins: dict[str, Path] = {}
    broken: set[str] = set()
    for path in library_files(directory, EXERCISES_SUBDIR):
        exercise, problems = _load_exercise_file(path, builtin=builtin)
        if exercise is not None and exercise.slug in origins:
            problems = [
                LibraryProblem(
                    path, "slug", f"duplicate slug: also defined in {origins[exercise.slug].name}"
                )
            ]
            exercise = None
        if exercise is None:
            result.problems.extend(problems)
            broken.add(path.stem)
            continue
        origins[exercise.slug] = path
        result.exercises[exercise.slug] = exercise

    available = {**(known or {}), **result.exercises}
    set_origins: dict[str, Path] = {}
    for path in library_files(directory, SETS_SUBDIR):
        problems = []
        data = _read_yaml(path, problems)
        exercise_set = None
        if data is not None:
            exercise_set, problems = _check_set(
                path, data, builtin=builtin, known=available, broken=frozenset(broken)
            )
        if exercise_set is not None and exercise_set.slug in set_origins:
            problems = [
                LibraryProblem(
                    path,
                    "slug",
                    f"duplicate slug: also defined in {set_origins[exercise_set.slug].name}",
                )
            ]
            exercise_set = None
        if exercise_set is None:
            result.problems.extend(problems)
            continue
        set_origins[exercise_set.slug] = path
        result.sets[exercise_set.slug] = exercise_set
    return result


def load_library(extra_dir: Path | None = None, *, builtin_dir: Path | None = None) -> LoadResult:
    """Load the built-in library, then the operator's ``extra_dir`` on top of it.

    A problem in a built-in file raises :class:`LibraryError` listing every
    problem. Problems in operator files are returned as ``warnings`` and those
    files are skipped; operator exercises and sets override built-in ones with
    the same slug.
    """
    base_dir = builtin_dir if builtin_dir is not None else builtin_exercises_dir()
    base = scan_directory(base_dir, builtin=True)
    if base.problems:
        raise LibraryError(base.problems)
    if not base.exercises:
        raise LibraryError([LibraryProblem(base_dir, None, "no exercises found")])

    exercises = dict(base.exercises)
    sets = dict(base.sets)
    warnings: list[LibraryProblem] = []
    if extra_dir is not None:
        extra = scan_directory(extra_dir, builtin=False, known=base.exercises)
        warnings = extra.problems
        exercises.update(extra.exercises)
        sets.update(extra.sets)
    library = Library(
        exercises=dict(sorted(exercises.items())),
        sets=dict(sorted(sets.items())),
    )
    return LoadResult(library=library, warnings=warnings)
