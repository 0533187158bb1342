"""Reading library YAML strictly: YAML 1.2 booleans, no duplicate keys, friendly errors."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from bot.library.models import LibraryProblem
from bot.library.yaml_pitfalls import find_yaml_pitfalls

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
_FLOW_TIP = (
    "tip: a text inside {…} or […] can't contain `:` or `,`; write it on its own line "
    'in quotes instead, e.g. en: "Repair: a first step"'
)


def read_yaml(path: Path, problems: list[LibraryProblem]) -> dict[str, Any] | None:
    """Parse a library file; add every problem found to ``problems``.

    With a YAML syntax error the data may still be returned: when the errors are
    ones we recognise (tabs, an unquoted ``: `` in a text), the file is parsed
    again with them repaired so that the rest of it can be checked in the same
    run. Callers must treat the file as broken whenever ``problems`` grew.
    """

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
        data = _parse(text)
    except yaml.MarkedYAMLError as exc:
        data = _recover(text, exc, fail)
        if data is None:
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


def _parse(text: str) -> Any:
    return yaml.load(text, Loader=_YamlLoader)  # noqa: S506 - a SafeLoader subclass


def _error_line(exc: yaml.MarkedYAMLError) -> int | None:
    return exc.problem_mark.line + 1 if exc.problem_mark is not None else None


def _describe(exc: yaml.MarkedYAMLError, tip: str | None) -> str:
    where = ""
    if exc.problem_mark is not None:
        mark = exc.problem_mark
        where = f" on line {mark.line + 1}, column {mark.column + 1}"
    message = f"invalid YAML{where}: {exc.problem or exc}"
    return f"{message} ({tip})" if tip else message


def _recover(text: str, exc: yaml.MarkedYAMLError, fail: Callable[[str], None]) -> Any:
    """Report a YAML error plainly, then parse a repaired copy to check the rest."""
    issues = find_yaml_pitfalls(text)
    line = _error_line(exc)
    if isinstance(exc, yaml.constructor.ConstructorError):
        tip: str | None = None  # a duplicate key: the message says it all
    elif "flow" in str(exc.context or ""):
        tip = _FLOW_TIP
    else:
        tip = _YAML_TIP
    if line in issues:
        # Our words first; the parser's own words help when asking someone for help.
        where = _describe(exc, None).split(": ", 1)[0]
        fail(f"{where}: {issues[line].tip} (YAML says: {exc.problem})")
    else:
        fail(_describe(exc, tip))
    for number, issue in sorted(issues.items()):
        if number != line:
            fail(f"line {number}: {issue.tip}")
    if not issues or line not in issues:
        return None
    repaired = text.splitlines()
    for number, issue in issues.items():
        repaired[number - 1] = issue.repaired
    try:
        return _parse("\n".join(repaired) + "\n")
    except yaml.MarkedYAMLError as again:
        if _error_line(again) not in issues:
            fail(_describe(again, _YAML_TIP))
        return None
    except yaml.YAMLError:
        return None
