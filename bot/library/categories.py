"""The category vocabulary: ``categories.yaml`` of the library, plus the operator's own."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Final

from bot.library.file_checker import MAX_TITLE_LENGTH, SLUG_RE, FileChecker
from bot.library.models import REQUIRED_LANGUAGES, LibraryError, LibraryProblem, pick_language
from bot.library.paths import builtin_exercises_dir
from bot.library.yaml_files import read_yaml

__all__ = [
    "CATEGORIES",
    "CATEGORIES_FILE",
    "Categories",
    "category_label",
    "read_categories",
]

CATEGORIES_FILE: Final = "categories.yaml"

#: slug -> {language: display name}
Categories = Mapping[str, Mapping[str, str]]


def read_categories(path: Path) -> tuple[dict[str, dict[str, str]], list[LibraryProblem]]:
    """Read and check a ``categories.yaml``; a missing file is no categories, not a problem."""
    if not path.is_file():
        return {}, []
    problems: list[LibraryProblem] = []
    data = read_yaml(path, problems)
    if data is None or problems:
        return {}, problems
    check = FileChecker(path)
    categories: dict[str, dict[str, str]] = {}
    for slug, names in data.items():
        if not isinstance(slug, str) or not SLUG_RE.match(slug):
            check.add(str(slug), "a category must be lower-case letters, digits and dashes")
            continue
        labels = check.localised_map(slug, names, plain=True, max_length=MAX_TITLE_LENGTH)
        if labels is None:
            continue
        missing = [lang for lang in REQUIRED_LANGUAGES if lang not in labels]
        for lang in missing:
            check.add(f"{slug}.{lang}", "missing translation")
        if not missing:
            categories[slug] = labels
    if check.problems:
        return {}, check.problems
    return categories, []


@lru_cache(maxsize=8)
def _builtin(directory: Path) -> dict[str, dict[str, str]]:
    categories, problems = read_categories(directory / CATEGORIES_FILE)
    if problems:
        raise LibraryError(problems)
    if not categories:
        raise LibraryError([LibraryProblem(directory / CATEGORIES_FILE, None, "no categories")])
    return categories


class _BuiltinCategories(Mapping[str, Mapping[str, str]]):
    """The built-in vocabulary, read from the library's ``categories.yaml`` on first use."""

    def _data(self) -> dict[str, dict[str, str]]:
        return _builtin(builtin_exercises_dir())

    def __getitem__(self, key: str) -> Mapping[str, str]:
        return self._data()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data())

    def __len__(self) -> int:
        return len(self._data())

    def __repr__(self) -> str:
        return f"CATEGORIES({dict(self._data())!r})"


#: The built-in category vocabulary (slug -> {language: display name}).
CATEGORIES: Final[Categories] = _BuiltinCategories()


def category_label(category: str, lang: str, categories: Categories | None = None) -> str:
    """Display name of a category in ``lang`` (the slug itself if unknown).

    ``categories`` is the vocabulary to use (a loaded library's, which includes
    the operator's own); the built-in one by default.
    """
    labels = (categories or CATEGORIES).get(category)
    if not labels:
        return category
    return labels[pick_language(labels, lang)]
