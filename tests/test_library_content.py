"""The built-in library: it loads, covers the required topics, and renders safely."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from bot.library import (
    CATEGORIES,
    MODES,
    RESPONSE_TYPES,
    Exercise,
    Library,
    builtin_exercises_dir,
    check_telegram_html,
    load_library,
    render_exercise,
    render_set,
    strip_telegram_html,
    validate_library,
    visible_length,
)
from bot.library.telegram_html import MAX_MESSAGE_LENGTH

BUILTIN = builtin_exercises_dir()
EXERCISE_SLUGS = sorted(path.stem for path in (BUILTIN / "exercises").glob("*.yaml"))
SET_SLUGS = sorted(path.stem for path in (BUILTIN / "sets").glob("*.yaml"))

HOSTILE_NAMES = [
    "<b>",
    "</b><i>",
    "&",
    "&amp;",
    '"',
    "' onclick='x",
    "👩‍❤️‍👨",
    "שרה",
    "مريم",
    "Ana & <Ben>",
    "\u202eevil\u202c",
    "x" * 64,
    "😀" * 64,
    ("<b>&\"'" * 11)[:64],
]


@pytest.fixture(scope="module")
def library() -> Library:
    result = load_library()
    assert result.warnings == []
    return result.library


def test_builtin_library_is_valid() -> None:
    assert validate_library(BUILTIN) == []


def test_counts(library: Library) -> None:
    assert len(library.exercises) >= 24
    assert len(library.sets) >= 8
    assert sorted(library.exercises) == EXERCISE_SLUGS
    assert sorted(library.sets) == SET_SLUGS


def test_every_text_in_english_and_spanish(library: Library) -> None:
    assert {"en", "es"} <= library.languages
    for exercise in library.exercises.values():
        assert {"en", "es"} <= exercise.languages, exercise.slug
        for texts in (exercise.title, exercise.prompt, exercise.reminder, exercise.rationale):
            assert {"en", "es"} <= set(texts), exercise.slug


def test_all_modes_responses_and_categories_are_used(library: Library) -> None:
    exercises = library.exercises.values()
    assert {e.mode for e in exercises} == set(MODES)
    assert {e.response for e in exercises} == set(RESPONSE_TYPES)
    assert {e.visibility for e in exercises} == {"private", "partner", "therapist"}
    assert {e.category for e in exercises} == set(CATEGORIES)


# Each topic the issue asks for, with a slug that covers it.
TOPICS = {
    "gratitude and appreciation": ["gratitude-three-things", "appreciation-out-loud"],
    "speaker-listener": ["speaker-listener"],
    "paraphrase and validate": ["paraphrase-and-validate"],
    "love maps": ["love-maps-inner-world", "love-maps-quiz", "open-ended-question"],
    "turning toward bids": ["notice-the-bids", "turn-toward-a-bid"],
    "soft start-up and I statements": ["soft-startup", "positive-need"],
    "repair attempts": ["repair-menu", "aftermath-conversation", "own-your-part"],
    "stress-reducing conversation": ["stress-reducing-conversation"],
    "flooding and self-soothing": ["flooding-check", "time-out-plan", "self-soothing-menu"],
    "DEAR MAN": ["dear-man"],
    "GIVE": ["give-skills"],
    "FAST": ["fast-self-respect"],
    "Check the Facts": ["check-the-facts"],
    "values and boundaries": ["shared-values", "kind-clear-boundary"],
    "quality time and rituals": ["phone-free-time", "reunion-ritual", "design-a-ritual"],
    "state of the union": ["state-of-the-union", "weekly-connection-scale"],
    "family of origin": ["family-of-origin", "family-traditions"],
    "self-esteem": ["my-positive-traits"],
    "dreams within conflict": ["dreams-within-conflict", "dream-listening"],
}


@pytest.mark.parametrize("topic", sorted(TOPICS))
def test_topic_is_covered(library: Library, topic: str) -> None:
    for slug in TOPICS[topic]:
        assert library.exercise(slug) is not None, f"{topic}: {slug} missing"


def test_required_sets(library: Library) -> None:
    gratitude = library.set("gratitude-week")
    assert gratitude is not None
    assert gratitude.frequency_summary("en") == "daily for 7 days"
    assert all(library.exercises[s].category == "appreciation" for s in gratitude.exercise_slugs)

    listening = library.set("listening-two-weeks")
    assert listening is not None
    assert listening.length_days == 14
    assert listening.frequency_summary("en") == "3 times a week for 2 weeks"
    assert sorted({item.day for item in listening.items}) == [1, 3, 5, 8, 10, 12]

    repair = library.set("repair-and-reconnect")
    assert repair is not None
    assert {library.exercises[s].category for s in repair.exercise_slugs} >= {"repair", "calm"}

    dbt = library.set("dbt-interpersonal")
    assert dbt is not None
    assert {"dear-man", "give-skills", "fast-self-respect", "check-the-facts"} <= set(
        dbt.exercise_slugs
    )

    habit = library.set("daily-connection")
    assert habit is not None
    assert habit.repeat
    # Open-ended, with a rest day each week (issue 17).
    assert habit.frequency_summary("en") == "6 times a week, ongoing"
    assert habit.frequency_summary("es") == "6 veces por semana, sin fecha de fin"
    assert all(habit.items_for_day(day) == [] for day in (7, 14, 21))


def test_modes_fit_the_exercises(library: Library) -> None:
    for exercise in library.exercises.values():
        if exercise.mode == "shared":
            assert exercise.visibility == "partner", exercise.slug
        if exercise.response == "choice":
            assert 2 <= len(exercise.choices) <= 5, exercise.slug
        else:
            assert exercise.choices == [], exercise.slug
    assert library.exercises["love-maps-quiz"].mode == "shared"
    assert library.exercises["flooding-check"].response == "scale"
    assert library.exercises["notice-the-bids"].response == "choice"
    assert library.exercises["reunion-ritual"].mode == "together"


SAFETY_SLUGS = [
    "speaker-listener",
    "soft-startup",
    "positive-need",
    "dreams-within-conflict",
    "dream-listening",
    "aftermath-conversation",
    "own-your-part",
    "time-out-plan",
    "dear-man",
    "fast-self-respect",
    "kind-clear-boundary",
    "state-of-the-union",
    "family-of-origin",
]


@pytest.mark.parametrize("slug", SAFETY_SLUGS)
def test_conflict_exercises_offer_a_safe_way_out(library: Library, slug: str) -> None:
    exercise = library.exercises[slug]
    keywords = {"en": ("safe", "stop"), "es": ("segur", "salvo", "parar")}
    for lang, prompt in exercise.prompt.items():
        assert "{{ therapist }}" in prompt, f"{slug}.{lang} should point to the therapist"
        assert any(word in prompt for word in keywords[lang]), f"{slug}.{lang}: no way out"


@pytest.mark.parametrize("slug", EXERCISE_SLUGS)
def test_prompts_are_phone_sized(library: Library, slug: str) -> None:
    exercise = library.exercises[slug]
    for lang, prompt in exercise.prompt.items():
        words = len(strip_telegram_html(re.sub(r"{%.*?%}", "", prompt, flags=re.S)).split())
        assert 30 <= words <= 160, f"{slug}.{lang}: {words} words"
    assert exercise.source.strip()
    assert 1 <= exercise.minutes <= 60


def _texts_using(exercise: Exercise, lang: str) -> list[str]:
    sources = [exercise.prompt[lang], exercise.reminder[lang], exercise.rationale[lang]]
    if exercise.follow_up:
        sources.append(exercise.follow_up[lang])
    return sources


@pytest.mark.parametrize("slug", EXERCISE_SLUGS)
@pytest.mark.parametrize("lang", ["en", "es"])
def test_renders_valid_html_with_hostile_names(library: Library, slug: str, lang: str) -> None:
    exercise = library.exercises[slug]
    uses_recipient = any("recipient" in t for t in _texts_using(exercise, lang))
    uses_partner = any("partner" in t for t in _texts_using(exercise, lang))
    monday = dt.date(2026, 11, 23)
    for index, name in enumerate(HOSTILE_NAMES):
        other = HOSTILE_NAMES[-1 - index]
        for day in (1, 9, 366):
            rendered = render_exercise(
                exercise,
                lang,
                recipient=name,
                partner=other,
                therapist=name,
                day=day,
                on=monday + dt.timedelta(days=day),
            )
            assert rendered.lang == lang
            texts = {
                "prompt": rendered.prompt,
                "reminder": rendered.reminder,
                "rationale": rendered.rationale,
                "message": rendered.as_message(),
            }
            if rendered.follow_up is not None:
                texts["follow_up"] = rendered.follow_up
            for field, text in texts.items():
                assert check_telegram_html(text) is None, (field, name, text)
                assert visible_length(text) <= MAX_MESSAGE_LENGTH
            visible = strip_telegram_html(rendered.as_message() + rendered.reminder)
            if uses_recipient:
                assert name in visible, "the recipient's name must show up unchanged"
            if uses_partner:
                assert other in visible, "the partner's name must show up unchanged"
            for label in rendered.choices:
                assert check_telegram_html(label) is None
                assert len(label) <= 32


@pytest.mark.parametrize("slug", SET_SLUGS)
@pytest.mark.parametrize("lang", ["en", "es"])
def test_sets_render(library: Library, slug: str, lang: str) -> None:
    exercise_set = library.sets[slug]
    for therapist in HOSTILE_NAMES:
        rendered = render_set(exercise_set, lang, therapist=therapist)
        assert check_telegram_html(rendered.description) is None
        assert check_telegram_html(rendered.title) is None
        assert rendered.frequency
    for item in exercise_set.items:
        assert item.exercise in library.exercises
        assert 1 <= item.day <= exercise_set.length_days


def test_spanish_avoids_common_gendered_forms(library: Library) -> None:
    # Participles that assume the reader's gender; see docs/exercises.md.
    gendered = re.compile(
        r"\b(escuchado|comprendido|querido|cansado|listo|listos|juntos|desbordado|agradecido)\b"
    )
    for exercise in library.exercises.values():
        for texts in (exercise.prompt, exercise.reminder, exercise.follow_up or {}):
            spanish = texts.get("es", "")
            assert not gendered.search(spanish), (exercise.slug, gendered.findall(spanish))
