"""The exercise library: exercises and sets as YAML + Jinja2 files in ``exercises/``.

This is a domain layer: it never imports ``telegram``. See docs/exercises.md.
"""

from bot.library.categories import CATEGORIES, category_label
from bot.library.loader import load_library, scan_directory
from bot.library.models import (
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
    pick_language,
)
from bot.library.paths import builtin_exercises_dir
from bot.library.render import (
    TEMPLATE_VARIABLES,
    RenderedExercise,
    RenderedSet,
    render_exercise,
    render_set,
    weekday_name,
)
from bot.library.telegram_html import (
    MAX_CAPTION_LENGTH,
    MAX_MESSAGE_LENGTH,
    check_telegram_html,
    strip_telegram_html,
    utf16_length,
    visible_length,
)
from bot.library.validate import validate_library

__all__ = [
    "CATEGORIES",
    "MAX_CAPTION_LENGTH",
    "MAX_MESSAGE_LENGTH",
    "MODES",
    "REQUIRED_LANGUAGES",
    "RESPONSE_TYPES",
    "TEMPLATE_VARIABLES",
    "VISIBILITIES",
    "Exercise",
    "ExerciseSet",
    "Library",
    "LibraryError",
    "LibraryProblem",
    "LoadResult",
    "Mode",
    "RenderedExercise",
    "RenderedSet",
    "ResponseType",
    "SetItem",
    "Visibility",
    "builtin_exercises_dir",
    "category_label",
    "check_telegram_html",
    "load_library",
    "pick_language",
    "render_exercise",
    "render_set",
    "scan_directory",
    "strip_telegram_html",
    "utf16_length",
    "validate_library",
    "visible_length",
    "weekday_name",
]
