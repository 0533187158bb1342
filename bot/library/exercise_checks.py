"""Checking an exercise file and building its Exercise (cached per file content)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final, cast

from bot.library.file_checker import (
    EXERCISE_FIELDS,
    MAX_CHOICE_LABEL_LENGTH,
    MAX_CHOICES,
    MAX_MINUTES,
    MAX_TITLE_LENGTH,
    MIN_CHOICES,
    TEMPLATE_FIELDS,
    FileChecker,
    did_you_mean,
    sample_contexts,
)
from bot.library.models import (
    MODES,
    RESPONSE_TYPES,
    VISIBILITIES,
    Exercise,
    LibraryProblem,
    Mode,
    ResponseType,
    Visibility,
)
from bot.library.promise_checks import check_promises
from bot.library.render import TEMPLATE_VARIABLES
from bot.library.telegram_html import MAX_MESSAGE_LENGTH, visible_length
from bot.library.yaml_files import read_yaml

__all__ = ["Checked", "check_exercise", "load_exercise_file"]

#: What checking a file gives: the exercise (None if broken), its problems, its warnings.
Checked = tuple[Exercise | None, list[LibraryProblem], list[LibraryProblem]]


def check_exercise(
    path: Path, data: dict[str, Any], *, builtin: bool, categories: Mapping[str, object] | None
) -> Checked:
    """Check an exercise's fields against the ``categories`` vocabulary (None: any slug)."""
    check = FileChecker(path)
    check.unknown_fields(data, EXERCISE_FIELDS)
    check.require(data, EXERCISE_FIELDS)
    slug = check.slug(data)
    title = check.localised_map("title", data.get("title"), plain=True, max_length=MAX_TITLE_LENGTH)

    category = data.get("category")
    if category is not None and not isinstance(category, str):
        check.add("category", f"must be a category slug, got {category!r}")
    elif category is not None and categories is not None and category not in categories:
        check.add(
            "category",
            f"unknown category {category!r}{did_you_mean(category, categories)} "
            f"(expected one of: {', '.join(categories)}; "
            "a folder can add its own in categories.yaml)",
        )
    minutes = None
    if data.get("minutes") is not None:
        minutes = check.integer("minutes", data["minutes"], 1, MAX_MINUTES)
    mode = check.choice(data, "mode", MODES)
    response = check.choice(data, "response", RESPONSE_TYPES)
    visibility = check.choice(data, "visibility", VISIBILITIES)
    therapist_only = data.get("therapist_only", False)
    if not isinstance(therapist_only, bool):
        check.add("therapist_only", f"must be true or false, got {therapist_only!r}")
    sees_values = data.get("therapist_sees_values", False)
    if not isinstance(sees_values, bool):
        check.add("therapist_sees_values", f"must be true or false, got {sees_values!r}")
    elif sees_values and response not in (None, "scale", "choice"):
        check.add(
            "therapist_sees_values",
            "only a scale or choice exercise has a value to show; remove this line",
        )
    elif not sees_values and visibility == "therapist" and response in ("scale", "choice"):
        check.warn(
            "therapist_sees_values",
            "visibility: therapist, but the therapist won't see the value chosen; add "
            "therapist_sees_values: true if the prompt says they will",
        )
    source = data.get("source")
    if source is not None and (not isinstance(source, str) or not source.strip()):
        check.add("source", "must be text naming where the exercise comes from")
    if response == "letter" and (mode not in (None, "individual") or visibility != "partner"):
        check.add(
            "response",
            "a letter is written by one partner and delivered to the other as soon as it is "
            "written; use mode: individual and visibility: partner",
        )
    if mode == "shared" and visibility not in (None, "partner"):
        check.add(
            "visibility",
            "a shared exercise shows each answer to the partner once both have answered; "
            "use visibility: partner",
        )

    texts = {
        name: check.localised_map(name, data.get(name))
        for name in TEMPLATE_FIELDS
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
    for name in ("title", *TEMPLATE_FIELDS):
        check.spanish(name, data.get(name))
    if isinstance(raw_choices, list):
        for index, raw in enumerate(raw_choices):
            check.spanish(f"choices[{index}]", raw)

    contexts = {lang: list(sample_contexts(lang)) for lang in languages}
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

    check_promises(
        check, renders, mode=mode, response=response, visibility=visibility,
        sees_values=sees_values is True,
    )  # fmt: skip

    if (
        check.problems
        or slug is None
        or title is None
        or minutes is None
        or mode is None
        or response is None
        or visibility is None
    ):
        problems = check.problems or [LibraryProblem(path, None, "could not be read")]
        return None, problems, check.warnings
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
            therapist_only=therapist_only is True,
            therapist_sees_values=sees_values is True,
        ),
        [],
        check.warnings,
    )


# Checking an exercise renders every template many times; remember the result
# for unchanged files (the key includes the file's whole text and the vocabulary).
_EXERCISE_CACHE: dict[tuple[Path, bool, bytes, frozenset[str] | None], Checked] = {}
_EXERCISE_CACHE_SIZE: Final = 2048


def load_exercise_file(
    path: Path, *, builtin: bool, categories: Mapping[str, object] | None
) -> Checked:
    """Read and check one exercise file (every problem, even after a YAML error)."""
    try:
        vocabulary = frozenset(categories) if categories is not None else None
        key = (path, builtin, path.read_bytes(), vocabulary)
    except OSError:
        key = None
    if key is not None and key in _EXERCISE_CACHE:
        cached, cached_problems, cached_warnings = _EXERCISE_CACHE[key]
        return cached, list(cached_problems), list(cached_warnings)
    problems: list[LibraryProblem] = []
    warnings: list[LibraryProblem] = []
    data = read_yaml(path, problems)
    exercise = None
    if data is not None:
        exercise, more, warnings = check_exercise(
            path, data, builtin=builtin, categories=categories
        )
        problems += more
    if problems:
        exercise = None  # a YAML error repaired for checking still breaks the file
    if key is not None:
        if len(_EXERCISE_CACHE) >= _EXERCISE_CACHE_SIZE:
            _EXERCISE_CACHE.clear()
        _EXERCISE_CACHE[key] = (exercise, list(problems), list(warnings))
    return exercise, problems, warnings
