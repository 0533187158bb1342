"""Authoring without a programmer: every problem in one run, plain tips, suggestions."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.library import builtin_exercises_dir, category_label, load_library
from bot.library.spanish_forms import gendered_forms
from bot.library.validate import check_path
from tests.test_library_cli import run
from tests.test_library_loader import GOOD_EXERCISE, write_exercise, write_set


@pytest.fixture(autouse=True)
def no_operator_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EXERCISES_DIR", raising=False)


def exercise_text(slug: str, **replace: str) -> str:
    text = GOOD_EXERCISE.format(slug=slug, title="Test title")
    for old, new in replace.items():
        assert old in text, old
        text = text.replace(old, new)
    return text


def write(root: Path, relative: str, text: str) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# --------------------------------------------------------------------------- one run, every problem


def test_yaml_errors_and_field_problems_come_in_one_run(tmp_path: Path) -> None:
    text = exercise_text(
        "broken-twice",
        **{
            "  en: Test title": "  en: Repair: a first step",
            "  es: Título de prueba": "  es: Reparar: un primer paso",
            "mode: individual": "mode: individul",
            "category: appreciation": "category: apreciation",
            "  en: |\n    Because it helps.": "\ten: |\n    Because it helps.",
        },
    )
    text += "folow_up: {en: x, es: y}\n"
    path = write(tmp_path, "exercises/broken-twice.yaml", text)
    messages = [str(p) for p in check_path(path).problems]
    joined = "\n".join(messages)
    # The colon: where the parser stopped, in plain words, with the fix.
    assert "invalid YAML on line 3, column 13: the text after `en:` contains a colon" in joined
    assert 'like this: en: "Repair: a first step"' in joined
    assert "line 4: the text after `es:`" in joined
    # The tab, found before the parser gets there.
    assert "indented with a tab, and YAML needs spaces" in joined
    # ...and the file is still checked field by field.
    assert "mode: unknown mode 'individul' (did you mean 'individual'?)" in joined
    assert "category: unknown category 'apreciation' (did you mean 'appreciation'?)" in joined
    assert "folow_up: unknown field (did you mean 'follow_up'?)" in joined
    assert len(messages) == 6, messages


def test_a_repaired_file_never_loads(tmp_path: Path) -> None:
    text = exercise_text("colon-title", **{"  en: Test title": "  en: Repair: a first step"})
    write(tmp_path, "exercises/colon-title.yaml", text)
    result = load_library(tmp_path)
    assert "colon-title" not in result.library.exercises
    assert any("colon" in str(w) for w in result.warnings)


def test_tabs_alone(tmp_path: Path) -> None:
    text = exercise_text("tabbed", **{"  en: |\n    Because": "\ten: |\n    Because"})
    path = write(tmp_path, "exercises/tabbed.yaml", text)
    [problem] = check_path(path).problems
    assert problem.message.startswith("invalid YAML on line ")
    assert "replace each tab with two spaces" in problem.message


def test_colons_inside_blocks_and_quotes_are_fine(tmp_path: Path) -> None:
    text = exercise_text(
        "colons-ok",
        **{
            "  en: Test title": '  en: "Repair: a first step"',
            "Because it helps.": "Note: this helps. Also: this.",
        },
    )
    path = write(tmp_path, "exercises/colons-ok.yaml", text)
    assert check_path(path).problems == []


def test_other_yaml_errors_keep_the_general_tip(tmp_path: Path) -> None:
    path = write(tmp_path, "exercises/flow.yaml", "slug: flow\ntitle: {en: A: b, es: c}\n")
    [problem] = check_path(path).problems
    assert "invalid YAML on line 2" in problem.message
    assert "can't contain `:`" in problem.message


# --------------------------------------------------------------------------- files and folders


def test_validate_one_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = write_exercise(tmp_path, "single-good")
    code, out, err = run(["exercises", "validate", str(good)], capsys)
    assert (code, err) == (0, "")
    assert out == f"OK: {good}: 1 exercise\n"

    bad = write(tmp_path, "exercises/single-bad.yaml", exercise_text("single-bad").replace(
        "minutes: 5", "minutes: five"
    ))  # fmt: skip
    code, out, err = run(["exercises", "validate", str(bad)], capsys)
    assert code == 1 and out == ""
    assert "minutes: must be a whole number, got 'five'" in err
    assert err.splitlines()[-1] == f"{bad}: 1 problem found"


def test_validate_one_set_file_uses_its_folder_and_the_builtins(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_exercise(tmp_path, "mine")
    path = write_set(tmp_path, "my-week", ["mine", "gratitude-three-things"])
    code, out, _ = run(["exercises", "validate", str(path)], capsys)
    assert code == 0
    assert out == f"OK: {path}: 1 set\n"


def test_a_loose_file_is_recognised_by_its_fields(tmp_path: Path) -> None:
    path = write(tmp_path, "drafts/loose.yaml", exercise_text("loose"))
    assert check_path(path).problems == []
    assert check_path(path).exercises == 1


def test_validate_the_exercises_folder_itself(tmp_path: Path) -> None:
    write_exercise(tmp_path, "one")
    write(tmp_path, "exercises/two.yaml", exercise_text("two").replace("mode: individual", ""))
    report = check_path(tmp_path / "exercises")
    assert [(p.path.name, p.field) for p in report.problems] == [("two.yaml", "mode")]
    assert report.exercises == 1


def test_a_folder_without_subfolders_says_where_files_go(tmp_path: Path) -> None:
    [problem] = check_path(tmp_path).problems
    assert "put exercise files in exercises/ and set files in sets/" in problem.message


# --------------------------------------------------------------------------- suggestions, schedule


def test_schedule_entries_are_counted_from_one(tmp_path: Path) -> None:
    write_exercise(tmp_path, "mine")
    path = write_set(tmp_path, "typo-week", ["mine", "mine-typo", "gratitude-three-thing"])
    report = check_path(path, base=builtin_exercises_dir())
    shown = {(p.field, p.message) for p in report.problems}
    assert (
        "schedule entry 2, exercise",
        "unknown exercise 'mine-typo' (did you mean 'mine'?)",
    ) in shown
    assert (
        "schedule entry 3, exercise",
        "unknown exercise 'gratitude-three-thing' (did you mean 'gratitude-three-things'?)",
    ) in shown


def test_unknown_preview_slug_gets_a_suggestion(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["exercises", "preview", "gratitude-three-thing"], capsys)
    assert code == 1
    assert "(did you mean 'gratitude-three-things'?)" in err


# --------------------------------------------------------------------------- categories


def test_an_operator_folder_adds_categories(tmp_path: Path) -> None:
    write(tmp_path, "categories.yaml", "faith:\n  en: Faith and meaning\n  es: Fe y sentido\n")
    write_exercise(tmp_path, "our-faith", **{"category: appreciation": "category: faith"})
    assert check_path(tmp_path).problems == []
    library = load_library(tmp_path).library
    assert library.exercises["our-faith"].category == "faith"
    assert library.categories["faith"]["es"] == "Fe y sentido"
    assert "appreciation" in library.categories  # the built-in ones stay
    assert category_label("faith", "es", library.categories) == "Fe y sentido"
    assert category_label("faith", "en") == "faith"  # unknown to the built-in vocabulary
    assert category_label("appreciation", "es") == "Gratitud y aprecio"


def test_a_broken_categories_file_is_reported(tmp_path: Path) -> None:
    write(tmp_path, "categories.yaml", "Faith:\n  en: Faith\nhope:\n  en: Hope\n")
    write_exercise(tmp_path, "fine")
    fields = {(p.path.name, p.field) for p in check_path(tmp_path).problems}
    assert ("categories.yaml", "Faith") in fields
    assert ("categories.yaml", "hope.es") in fields
    # Without the folder's categories, the file still loads with built-in ones.
    assert "fine" in load_library(tmp_path).library.exercises


def test_the_builtin_categories_are_data() -> None:
    library = load_library().library
    assert library.categories["trust"] == {
        "en": "Rebuilding trust",
        "es": "Reconstruir la confianza",
    }


# --------------------------------------------------------------------------- Spanish


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Bienvenido/a, {{ recipient }}.", "Bienvenido/a"),
        ("Que {{ partner }} se sienta visto.", "{{ … }} se sienta visto"),
        ("Cuando estés lista, empieza.", "estés lista"),
        ("Si te sientes muy cansado, para.", "te sientes muy cansado"),
        ("¿Te sientes sola a veces?", "Te sientes sola"),
        ("¿Estás seguro?", "Estás seguro"),
        ("Para sentirte escuchado.", "sentirte escuchado"),
        ("Querida {{ recipient }}:", "Querida"),
        ("visto o vista", "visto o vista"),
    ],
)
def test_gendered_spanish_is_spotted(text: str, found: str) -> None:
    [message] = list(gendered_forms(text))
    assert f"«{found}" in message


@pytest.mark.parametrize(
    "text",
    [
        "Solo cinco minutos.",
        "Si hablar no se siente seguro, para aquí.",
        "Si abrirte con {{ partner }} no es seguro para ti, para.",
        "Las preguntas son bienvenidas.",
        "La lista está lista.",
        "Para sentir que te escuchan.",
        "y/o",
    ],
)
def test_neutral_spanish_passes(text: str) -> None:
    assert list(gendered_forms(text)) == []


def test_validate_shows_spanish_warnings_without_failing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_exercise(tmp_path, "gendered", **{"Porque ayuda.": "Para que te sientas escuchado."})
    code, out, err = run(["exercises", "validate", str(tmp_path)], capsys)
    assert code == 0
    assert "warning: " in err and "rationale.es: «te sientas escuchado»" in err
    assert out.strip().endswith("1 warning (see above)")
    assert "gendered" in load_library(tmp_path).library.exercises


# --------------------------------------------------------------------------- preview


def test_preview_a_folder_without_exercises_dir(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_exercise(tmp_path, "mine")
    code, out, _ = run(["exercises", "preview", "mine", "--dir", str(tmp_path)], capsys)
    assert code == 0
    assert "Hello Alex, say something kind to Sam." in out


def test_preview_a_file_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write_exercise(tmp_path, "mine")
    code, out, _ = run(["exercises", "preview", str(path), "--lang", "es"], capsys)
    assert code == 0
    assert "Hola Alex, dile algo amable a Sam." in out


def test_preview_a_broken_copy_of_a_builtin_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_exercise(tmp_path, "gratitude-three-things", **{"mode: individual": "mode: x"})
    code, out, err = run(["exercises", "preview", str(path)], capsys)
    assert code == 1 and out == ""
    assert "gratitude-three-things has problems" in err
    assert "mode: unknown mode 'x'" in err


def test_preview_a_file_outside_a_library_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "loose.yaml", exercise_text("loose"))
    code, _, err = run(["exercises", "preview", str(path)], capsys)
    assert code == 1
    assert "must be inside an exercises/ or sets/ folder" in err


def test_a_broken_builtin_categories_file_is_one_problem(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.library import categories

    write(tmp_path, "categories.yaml", "Bad:\n  en: x\n")
    write_exercise(tmp_path, "uses-a-category")
    monkeypatch.setattr(categories, "builtin_exercises_dir", lambda: tmp_path)
    [problem] = check_path(tmp_path).problems
    assert (problem.path.name, problem.field) == ("categories.yaml", "Bad")
