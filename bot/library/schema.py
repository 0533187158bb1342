"""JSON Schemas of the library's file formats, built from the checker's own vocabulary.

Editors use them to complete and check files as they are typed (docs/exercises.md,
"Editor support"). They describe the shape only; ``twofold exercises validate``
also renders the templates and checks what a schema can't.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final

from bot.library.categories import Categories
from bot.library.file_checker import (
    EXERCISE_FIELDS,
    LANG_RE,
    MAX_CHOICE_LABEL_LENGTH,
    MAX_CHOICES,
    MAX_MINUTES,
    MAX_SET_DAYS,
    MAX_SLUG_LENGTH,
    MAX_TITLE_LENGTH,
    MIN_CHOICES,
    SET_FIELDS,
    SLUG_RE,
)
from bot.library.models import MODES, REQUIRED_LANGUAGES, RESPONSE_TYPES, VISIBILITIES

__all__ = ["SCHEMA_FILES", "categories_schema", "exercise_schema", "schema_files", "set_schema"]

#: file name in docs/schema -> what it describes
SCHEMA_FILES: Final = {
    "exercise.schema.json": "exercises/<slug>.yaml",
    "set.schema.json": "sets/<slug>.yaml",
    "categories.schema.json": "categories.yaml",
}

_EXERCISE_HELP: Final[Mapping[str, str]] = {
    "slug": "Short name: lower-case letters, digits and dashes; the same as the file name.",
    "title": "Plain text (no HTML, no {{ }}), up to 60 characters, in every language.",
    "category": "One of the categories of categories.yaml (yours may add more).",
    "minutes": "Roughly how long it takes, 1 to 180.",
    "mode": "individual: alone; shared: answers revealed once both answered; together: jointly.",
    "response": "done, text (written), scale (1 to 5) or choice (list the choices).",
    "visibility": "Who sees a response by default: private, partner or therapist.",
    "source": "Where the exercise comes from: author, book or paper.",
    "rationale": "Two or three sentences on why it helps. A template.",
    "prompt": "The exercise itself, as sent. A template.",
    "follow_up": "A question asked after the person responds. A template.",
    "reminder": "A gentle nudge if it hasn't been done yet. A template.",
    "choices": "For response: choice, 2 to 5 answers, each up to 32 characters.",
    "therapist_only": "true: only a therapist who chose it assigns it; never suggested.",
    "therapist_sees_values": "true: the therapist sees the number or option chosen; say so.",
}
_SET_HELP: Final[Mapping[str, str]] = {
    "slug": "Short name: lower-case letters, digits and dashes; the same as the file name.",
    "title": "Plain text, up to 60 characters, in every language.",
    "description": "What the program is about. A template ({{ therapist }}, {{ lang }}).",
    "repeat": "true for an open-ended habit that starts again after length_days.",
    "length_days": "How many days the set lasts; defaults to the last scheduled day.",
    "schedule": "Entries of day: N (or days: [N, M]) and exercise: <slug>. Days start at 1.",
    "therapist_only": "true: only a therapist who chose it assigns it; never suggested.",
}


def _texts(description: str, *, max_length: int | None = None) -> dict[str, Any]:
    text: dict[str, Any] = {"type": "string", "minLength": 1}
    if max_length is not None:
        text["maxLength"] = max_length
    return {
        "type": "object",
        "description": description,
        "propertyNames": {"pattern": LANG_RE.pattern},
        "additionalProperties": text,
        "required": list(REQUIRED_LANGUAGES),
    }


def _slug() -> dict[str, Any]:
    return {"type": "string", "pattern": SLUG_RE.pattern, "maxLength": MAX_SLUG_LENGTH}


def _document(title: str, body: dict[str, Any]) -> dict[str, Any]:
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": title, **body}


def exercise_schema(categories: Categories) -> dict[str, Any]:
    """The schema of an exercise file; ``categories`` are offered for completion."""
    properties: dict[str, Any] = {
        "slug": _slug(),
        "title": _texts("", max_length=MAX_TITLE_LENGTH),
        # Operators may add categories, so any slug is allowed; the built-in ones are listed.
        "category": {"anyOf": [{"enum": list(categories)}, _slug()]},
        "minutes": {"type": "integer", "minimum": 1, "maximum": MAX_MINUTES},
        "mode": {"enum": list(MODES)},
        "response": {"enum": list(RESPONSE_TYPES)},
        "visibility": {"enum": list(VISIBILITIES)},
        "source": {"type": "string", "minLength": 1},
        "rationale": _texts(""),
        "prompt": _texts(""),
        "follow_up": _texts(""),
        "reminder": _texts(""),
        "choices": {
            "type": "array",
            "minItems": MIN_CHOICES,
            "maxItems": MAX_CHOICES,
            "items": _texts("A button label.", max_length=MAX_CHOICE_LABEL_LENGTH),
        },
        "therapist_only": {"type": "boolean"},
        "therapist_sees_values": {"type": "boolean"},
    }
    for name, schema in properties.items():
        schema["description"] = _EXERCISE_HELP[name]
    return _document(
        "Twofold exercise",
        {
            "type": "object",
            "properties": properties,
            "required": [name for name, required in EXERCISE_FIELDS.items() if required],
            "additionalProperties": False,
            "allOf": [
                {
                    "if": {"properties": {"response": {"const": "choice"}}},
                    "then": {"required": ["choices"]},
                    "else": {"not": {"required": ["choices"]}},
                },
                {
                    "if": {"properties": {"mode": {"const": "shared"}}},
                    "then": {"properties": {"visibility": {"const": "partner"}}},
                },
            ],
        },
    )


def set_schema() -> dict[str, Any]:
    """The schema of a set file."""
    day = {"type": "integer", "minimum": 1, "maximum": MAX_SET_DAYS}
    entry = {
        "type": "object",
        "properties": {
            "day": day,
            "days": {"type": "array", "minItems": 1, "items": day},
            "exercise": _slug(),
        },
        "required": ["exercise"],
        "oneOf": [{"required": ["day"]}, {"required": ["days"]}],
        "additionalProperties": False,
    }
    properties: dict[str, Any] = {
        "slug": _slug(),
        "title": _texts("", max_length=MAX_TITLE_LENGTH),
        "description": _texts(""),
        "repeat": {"type": "boolean"},
        "length_days": day | {},
        "schedule": {"type": "array", "minItems": 1, "items": entry},
        "therapist_only": {"type": "boolean"},
    }
    for name, schema in properties.items():
        schema["description"] = _SET_HELP[name]
    return _document(
        "Twofold exercise set",
        {
            "type": "object",
            "properties": properties,
            "required": [name for name, required in SET_FIELDS.items() if required],
            "additionalProperties": False,
        },
    )


def categories_schema() -> dict[str, Any]:
    """The schema of a ``categories.yaml``: slug -> display name per language."""
    return _document(
        "Twofold exercise categories",
        {
            "type": "object",
            "propertyNames": {"pattern": SLUG_RE.pattern},
            "additionalProperties": _texts(
                "The category's display name.", max_length=MAX_TITLE_LENGTH
            ),
        },
    )


def schema_files(categories: Categories) -> dict[str, str]:
    """The text of each file of docs/schema, by name."""
    documents = {
        "exercise.schema.json": exercise_schema(categories),
        "set.schema.json": set_schema(),
        "categories.schema.json": categories_schema(),
    }
    return {
        name: json.dumps(document, indent=2, ensure_ascii=False) + "\n"
        for name, document in documents.items()
    }
