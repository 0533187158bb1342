"""docs/schema: generated from the checker's vocabulary, and every built-in file fits it.

``jsonschema`` is not a dependency, so a small validator for the keywords the
schemas use lives here; a schema using any other keyword fails the test.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from bot.library import CATEGORIES, MODES, RESPONSE_TYPES, VISIBILITIES, builtin_exercises_dir
from bot.library.loader import EXERCISE_FIELDS, SET_FIELDS, library_files
from bot.library.schema import SCHEMA_FILES, schema_files
from bot.library.yaml_files import read_yaml

SCHEMA_DIR = Path(__file__).resolve().parents[1] / "docs" / "schema"
REGENERATE = "uv run twofold exercises schema --write docs/schema"
KNOWN = {
    "$schema", "title", "description", "type", "enum", "const", "pattern", "minLength",
    "maxLength", "minimum", "maximum", "minItems", "maxItems", "items", "properties",
    "required", "additionalProperties", "propertyNames", "anyOf", "oneOf", "allOf", "if",
    "then", "else", "not",
}  # fmt: skip
TYPES = {
    "object": dict,
    "array": list,
    "string": str,
    "integer": int,
    "boolean": bool,
}


def errors(schema: dict[str, Any], value: Any, where: str = "") -> list[str]:
    """What is wrong with ``value`` under ``schema`` ([] if it fits)."""
    unknown = set(schema) - KNOWN
    assert not unknown, f"the test validator doesn't know {unknown}"
    found: list[str] = []
    expected = schema.get("type")
    if expected is not None:
        kind = TYPES[expected]
        is_bool = isinstance(value, bool)
        if not isinstance(value, kind) or (is_bool and kind is int):
            return [f"{where}: not {expected}"]
    if "enum" in schema and value not in schema["enum"]:
        found.append(f"{where}: {value!r} not in enum")
    if "const" in schema and value != schema["const"]:
        found.append(f"{where}: {value!r} is not {schema['const']!r}")
    if isinstance(value, str):
        if "pattern" in schema and not re.search(schema["pattern"], value):
            found.append(f"{where}: {value!r} doesn't match")
        if len(value) < schema.get("minLength", 0) or len(value) > schema.get("maxLength", 1e9):
            found.append(f"{where}: length")
    number = isinstance(value, int) and not isinstance(value, bool)
    if number and not schema.get("minimum", -1e9) <= value <= schema.get("maximum", 1e9):
        found.append(f"{where}: {value} out of range")
    if isinstance(value, list):
        if not schema.get("minItems", 0) <= len(value) <= schema.get("maxItems", 1e9):
            found.append(f"{where}: number of items")
        for index, item in enumerate(value):
            found += errors(schema.get("items", {}), item, f"{where}[{index}]")
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        found += [
            f"{where}.{key}: missing" for key in schema.get("required", []) if key not in value
        ]
        for key, item in value.items():
            if "propertyNames" in schema:
                found += errors(schema["propertyNames"], key, f"{where} key {key!r}")
            if key in properties:
                found += errors(properties[key], item, f"{where}.{key}")
            elif schema.get("additionalProperties") is False:
                found.append(f"{where}.{key}: not allowed")
            elif isinstance(schema.get("additionalProperties"), dict):
                found += errors(schema["additionalProperties"], item, f"{where}.{key}")
    for sub in schema.get("allOf", []):
        found += errors(sub, value, where)
    if "anyOf" in schema and all(errors(sub, value, where) for sub in schema["anyOf"]):
        found.append(f"{where}: matches none of anyOf")
    if "oneOf" in schema and sum(not errors(sub, value) for sub in schema["oneOf"]) != 1:
        found.append(f"{where}: must match exactly one of oneOf")
    if "not" in schema and not errors(schema["not"], value):
        found.append(f"{where}: matches 'not'")
    if "if" in schema:
        branch = "then" if not errors(schema["if"], value) else "else"
        if branch in schema:
            found += errors(schema[branch], value, where)
    return found


def load(name: str) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads((SCHEMA_DIR / name).read_text("utf-8"))
    return schema


def test_published_schemas_are_current() -> None:
    for name, text in schema_files(CATEGORIES).items():
        path = SCHEMA_DIR / name
        assert path.is_file(), f"missing {path}; run: {REGENERATE}"
        assert path.read_text("utf-8") == text, f"{path} is out of date; run: {REGENERATE}"
    assert {p.name for p in SCHEMA_DIR.glob("*.json")} == set(SCHEMA_FILES)


def test_schemas_match_the_loader() -> None:
    exercise, exercise_set = load("exercise.schema.json"), load("set.schema.json")
    assert set(exercise["properties"]) == set(EXERCISE_FIELDS)
    assert exercise["required"] == [k for k, required in EXERCISE_FIELDS.items() if required]
    assert set(exercise_set["properties"]) == set(SET_FIELDS)
    assert exercise_set["required"] == [k for k, required in SET_FIELDS.items() if required]
    properties = exercise["properties"]
    assert properties["mode"]["enum"] == list(MODES)
    assert properties["response"]["enum"] == list(RESPONSE_TYPES)
    assert properties["visibility"]["enum"] == list(VISIBILITIES)
    assert properties["category"]["anyOf"][0]["enum"] == list(CATEGORIES)


def _files(kind: str) -> list[Path]:
    return library_files(builtin_exercises_dir(), kind)


@pytest.mark.parametrize(
    ("kind", "schema_name"), [("exercises", "exercise.schema.json"), ("sets", "set.schema.json")]
)
def test_every_builtin_file_fits_the_schema(kind: str, schema_name: str) -> None:
    schema = load(schema_name)
    files = _files(kind)
    assert files
    for path in files:
        data = read_yaml(path, [])
        assert data is not None, path
        assert errors(schema, data) == [], path.name


def test_builtin_categories_fit_the_schema() -> None:
    data = read_yaml(builtin_exercises_dir() / "categories.yaml", [])
    assert errors(load("categories.schema.json"), data) == []


def test_the_schema_catches_common_mistakes() -> None:
    schema = load("exercise.schema.json")
    good = read_yaml(_files("exercises")[0], [])
    assert good is not None
    broken = dict(good, mode="solo", **{"follow-up": {"en": "x", "es": "y"}})
    broken["title"] = {"en": "Only English"}
    problems = "\n".join(errors(schema, broken))
    assert "'solo' not in enum" in problems
    assert "follow-up: not allowed" in problems
    assert ".title.es: missing" in problems
    shared = dict(good, mode="shared", visibility="private")
    assert errors(schema, shared)
    sets = load("set.schema.json")
    entry_with_both = {"day": 1, "days": [2], "exercise": "x"}
    assert errors(sets["properties"]["schedule"]["items"], entry_with_both)
    assert errors(sets["properties"]["schedule"]["items"], {"day": 0, "exercise": "x"})
