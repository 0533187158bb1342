"""Reading library YAML strictly: YAML 1.2 booleans, no duplicate keys, friendly errors."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from bot.library.models import LibraryProblem

__all__ = ["read_yaml"]


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


def read_yaml(path: Path, problems: list[LibraryProblem]) -> dict[str, Any] | None:
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
