"""The exercise message and its reminder: how long, who sees the answer, the partner's answer.

Issue 16: what the message says must be what the bot does. The audience line is checked
against `bot.services.visibility` for every built-in exercise and every sharing choice.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import event

from bot.db.engine import Database
from bot.db.models import Assignment, Couple, Delivery, Partner, Response, Therapist
from bot.delivery import messages
from bot.delivery.audience import audience_line, duration_line, other_answered_line
from bot.i18n import translator
from bot.library import Exercise, Library, load_library, render_exercise
from bot.library.promise_checks import promised_readers
from bot.library.telegram_html import strip_telegram_html
from bot.library.validate import check_path
from bot.services import deliveries
from bot.services.deliveries import Job, OtherAnswer
from bot.services.visibility import partner_may_see, therapist_may_read, therapist_may_see_value
from tests.delivery_world import World, world
from tests.test_library_loader import write_exercise

LIBRARY: Library = load_library().library
NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


def people(
    language: str = "en", *, me_therapist: bool = False, me_partner: bool = True,
    other_partner: bool = True,
) -> tuple[Partner, Partner]:  # fmt: skip
    ana = Partner(
        id=1, couple_id=1, slot=1, telegram_id=11, display_name="Ana", language=language,
        share_with_therapist=me_therapist, share_with_partner=me_partner,
    )  # fmt: skip
    ben = Partner(
        id=2, couple_id=1, slot=2, telegram_id=12, display_name="Ben", language=language,
        share_with_partner=other_partner,
    )  # fmt: skip
    return ana, ben


def job(
    slug: str, *, set_slug: str = "daily-connection", me: Partner | None = None,
    other: Partner | None = None, answer: OtherAnswer | None = None, alone: bool = False,
) -> Job:  # fmt: skip
    if me is None or other is None:
        me, other = people()
    delivery = Delivery(
        id=1, assignment_id=1, partner_id=me.id or 0, day=1, exercise_slug=slug,
        local_date=date(2026, 12, 2), scheduled_at=NOW, due_at=NOW,
    )  # fmt: skip
    return Job(
        delivery, me, None if alone else other,
        Couple(id=1, public_id="c1", therapist_id=1, label="C"),
        Therapist(id=1, telegram_id=3, name="Dr. Ruiz"),
        Assignment(id=1, couple_id=1, set_slug=set_slug, start_date=date(2026, 12, 2)),
        answer,
    )  # fmt: skip


def exercise(slug: str) -> Exercise:
    found = LIBRARY.exercise(slug)
    assert found is not None
    return found


def message(delivered: Job) -> str:
    rendered = messages.exercise_message(delivered, LIBRARY)
    assert rendered is not None
    return rendered[0]


def reminder(delivered: Job) -> str:
    rendered = messages.reminder_message(delivered, LIBRARY)
    assert rendered is not None
    return rendered[0]


def plain(html: str) -> str:
    return " ".join(strip_telegram_html(html).split())


# --- how long it takes ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "minutes", "expected"),
    [
        ("en", 1, "About 1 minute"),
        ("en", 10, "About 10 minutes"),
        ("es", 1, "Aproximadamente 1 minuto"),
        ("es", 10, "Unos 10 minutos"),
        ("es-MX", 45, "Unos 45 minutos"),
        ("de", 2, "About 2 minutes"),
    ],
)
def test_the_time_it_takes_is_localised_with_plural_forms(
    language: str, minutes: int, expected: str
) -> None:
    assert duration_line(minutes, language) == expected


def test_every_exercise_message_shows_its_minutes_and_no_follow_up() -> None:
    for slug, item in sorted(LIBRARY.exercises.items()):
        for language in ("en", "es"):
            me, other = people(language)
            text = message(job(slug, me=me, other=other))
            assert duration_line(item.minutes, language) in text, slug
            rendered = render_exercise(
                item, language, recipient="Ana", partner="Ben", therapist="Dr. Ruiz",
                on=date(2026, 12, 2),
            )  # fmt: skip
            if rendered.follow_up:
                # The follow-up is asked after the answer (the answer flow sends it).
                assert plain(rendered.follow_up) not in plain(text), (slug, language)
            assert plain(rendered.prompt) in plain(text), (slug, language)


def test_the_message_layout() -> None:
    rendered = messages.exercise_message(job("gratitude-three-things"), LIBRARY)
    assert rendered is not None
    text, buttons = rendered
    blocks = text.split("\n\n")
    assert blocks[0] == "<b>Three good things</b>\n<i>About 5 minutes</i>"
    assert blocks[-2] == "Write your answer as a message here (or reply to this one)."
    assert blocks[-1] == "Only you see your answer.\n<i>Day 1 · Daily connection habit</i>"
    assert buttons.inline_keyboard[0][0].text == "Done"


def test_discreet_previews_still_start_with_the_neutral_line() -> None:
    me, other = people()
    me.neutral_notifications = True
    text = message(job("gratitude-three-things", me=me, other=other))
    assert text.startswith("You have a new message in Twofold.\n\n<b>Three good things</b>")


# --- who will see the answer -----------------------------------------------------------


@pytest.mark.parametrize(
    ("slug", "sharing", "expected"),
    [
        ("gratitude-three-things", {}, "Only you see your answer."),
        (
            "gratitude-three-things",
            {"me_therapist": True},
            "Only you and your therapist see your answer (you allowed it in /settings).",
        ),
        (
            "what-we-want-from-therapy",
            {},
            "Only you see your answer; your therapist would if you allowed it in /settings.",
        ),
        ("open-ended-question", {}, "Ben sees your answer once you have both answered."),
        (
            "open-ended-question",
            {"me_therapist": True},
            "Ben sees your answer once you have both answered, and your therapist sees it "
            "too (you allowed it in /settings).",
        ),
        (
            "open-ended-question",
            {"other_partner": False},
            "Only you see your answer: sharing answers with each other is off.",
        ),
        (
            "open-ended-question",
            {"me_partner": False, "me_therapist": True},
            "Only you and your therapist see your answer: sharing with each other is off.",
        ),
        ("flooding-check", {"me_therapist": True}, "Only you see the number you choose."),
        ("weekly-connection-scale", {}, "Only you and your therapist see the number you choose."),
        ("private-safety-check-in", {}, "Only you and your therapist see the option you choose."),
        (
            "state-of-the-union",
            {},
            "Only whether you did it is recorded; Ben and your therapist see that.",
        ),
    ],
)
def test_the_audience_line(slug: str, sharing: dict[str, bool], expected: str) -> None:
    me, other = people(**sharing)
    assert audience_line(exercise(slug), me, other, translator("en")) == expected


def test_the_audience_line_in_spanish() -> None:
    me, other = people("es", me_therapist=True)
    _ = translator("es")
    assert (
        audience_line(exercise("open-ended-question"), me, other, _)
        == "Ben ve tu respuesta cuando hayan respondido, y tu terapeuta también (lo "
        "permitiste en /settings)."
    )
    assert audience_line(exercise("gratitude-three-things"), *people("es"), _) == (
        "Solo tú ves tu respuesta."
    )
    assert audience_line(exercise("state-of-the-union"), *people("es"), _) == (
        "Solo se registra si lo hiciste; Ben y tu terapeuta lo ven."
    )


def test_a_shared_exercise_without_a_partner_promises_no_one() -> None:
    me, _other = people()
    assert audience_line(exercise("open-ended-question"), me, None, translator("en")) == (
        "Only you see your answer."
    )


@pytest.mark.parametrize("slug", sorted(LIBRARY.exercises))
def test_the_audience_line_says_what_visibility_decides(slug: str) -> None:
    """For every exercise and every sharing choice: the partner and the therapist are
    named in the line exactly when `bot.services.visibility` lets them see the answer."""
    item = exercise(slug)
    for me_t, me_p, other_p in itertools.product((False, True), repeat=3):
        me, other = people(me_therapist=me_t, me_partner=me_p, other_partner=other_p)
        line = audience_line(item, me, other, translator("en"))
        if item.response == "done":
            assert line.startswith("Only whether you did it is recorded"), (slug, line)
            continue
        if item.response == "letter":  # delivered when written, with its own consent line
            assert line.startswith("Ben receives your note"), (slug, line)
            assert ("your therapist" in line) == therapist_may_read(author=me), (slug, line)
            continue
        partner_sees = partner_may_see(exercise=item, author=me, reader=other)
        assert line.startswith("Ben sees") == partner_sees, (slug, me_t, me_p, other_p, line)
        if item.response == "text":
            therapist_sees = therapist_may_read(author=me)
        else:
            therapist_sees = therapist_may_see_value(exercise=item)
        said = "your therapist see" in line or "your therapist sees" in line
        assert said == therapist_sees, (slug, me_t, me_p, other_p, line)


# --- the other partner answered first ---------------------------------------------------


def test_the_partner_answered_before_this_copy_arrived() -> None:
    shared = job("open-ended-question", answer=OtherAnswer(wrote=True, chose=False))
    text = message(shared)
    line = "Ben has already answered; you'll see each other's answers once you answer."
    assert line in text
    # After the prompt, before how to answer.
    assert text.index(line) < text.index("Write your answer as a message here")
    reminded = reminder(shared)
    assert line in reminded


def test_the_partner_answered_line_is_only_said_when_true() -> None:
    _ = translator("en")
    me, other = people()
    text_exercise = exercise("open-ended-question")
    # A tap on Done (or a number) does not answer a written exercise: no reveal will come.
    assert other_answered_line(text_exercise, me, other, OtherAnswer(False, True), _) is None
    assert other_answered_line(text_exercise, me, other, None, _) is None
    # Not shared: nothing is revealed, so nothing is announced.
    individual = exercise("gratitude-three-things")
    assert other_answered_line(individual, me, other, OtherAnswer(True, False), _) is None
    # Sharing with each other off: the answer is there, but it won't be shown.
    me, other = people(other_partner=False)
    assert (
        other_answered_line(text_exercise, me, other, OtherAnswer(True, False), _)
        == "Ben has already answered."
    )
    me, other = people("es")
    assert other_answered_line(
        text_exercise, me, other, OtherAnswer(True, False), translator("es")
    ) == ("Ben ya respondió; verán la respuesta de la otra persona cuando respondas.")


def test_names_in_the_lines_are_escaped() -> None:
    me, other = people()
    other.display_name = "<b>Ben & co</b>"
    line = other_answered_line(
        exercise("open-ended-question"), me, other, OtherAnswer(True, False), translator("en")
    )
    assert line is not None and line.startswith("&lt;b&gt;Ben &amp; co&lt;/b&gt; has already")


# --- the reminder -----------------------------------------------------------------------


def test_every_reminder_is_the_exercises_own_text() -> None:
    for slug, item in sorted(LIBRARY.exercises.items()):
        for language in ("en", "es"):
            me, other = people(language)
            text = reminder(job(slug, me=me, other=other))
            rendered = render_exercise(
                item, language, recipient="Ana", partner="Ben", therapist="Dr. Ruiz",
                day=1, on=date(2026, 12, 2),
            )  # fmt: skip
            assert text == f"<b>{rendered.title}</b>\n\n{rendered.reminder}", slug
            assert "is still open. Whenever it suits you" not in text  # the old generic line


# --- the validator: no promised reader the exercise does not give -------------------------


@pytest.mark.parametrize(
    ("text", "readers"),
    [
        ("Sam will be able to read what you write.", {"partner"}),
        ("This note is meant for <b>Sam</b> to read.", {"partner"}),
        ("Once you are done, you'll see each other's answers.", {"partner"}),
        ("Sam podrá leer lo que escribas.", {"partner"}),
        ("Tu pareja la verá mañana.", {"partner"}),
        ("Dr. Rivera will see the number you choose.", {"therapist"}),
        ("Para que tu terapeuta lo lea antes de la sesión.", {"therapist"}),
        ("Cuando lo termines, podrá leerlo.", {"someone"}),
        ("Sam won't see this. Sam no lo verá. Dr. Rivera never sees it.", set()),
        ("Would you like Sam to hear about it?", set()),
        ("Twofold passes your note on to Sam as soon as you send it.", {"partner"}),
        ("Twofold le entrega tu nota a Sam en cuanto la envíes.", {"partner"}),
        ("Twofold doesn't pass it on: give it to Sam yourself.", set()),
        ("Twofold no se la entrega: dásela a Sam tú.", set()),
        ("Sam can't read it; nunca lo verá.", set()),
    ],
)
def test_promised_readers(text: str, readers: set[str]) -> None:
    assert set(promised_readers(text)) == readers


def _problems(tmp_path: Path, **replace: str) -> list[str]:
    path = write_exercise(tmp_path, "promise", **replace)
    return [str(problem) for problem in check_path(path).problems]


def test_the_validator_rejects_a_promise_the_mode_does_not_keep(tmp_path: Path) -> None:
    problems = _problems(
        tmp_path,
        **{
            "say something kind to {{ partner }}.": (
                "write something kind: {{ partner }} will read it."
            ),
            "dile algo amable a {{ partner }}.": "escribe algo amable: {{ partner }} lo leerá.",
        },
    )
    assert any("prompt.en: promises a reader" in p and "Sam will read" in p for p in problems)
    assert any("prompt.es: promises a reader" in p and "Sam lo leerá" in p for p in problems)
    assert all("mode: shared" in p for p in problems if "promises" in p)


def test_the_validator_rejects_a_therapist_promise_on_a_private_exercise(tmp_path: Path) -> None:
    problems = _problems(
        tmp_path,
        **{"A gentle reminder.": "A gentle reminder: {{ therapist }} will read it."},
    )
    assert any("reminder.en: promises a reader" in p for p in problems)
    assert not any("reminder.es" in p for p in problems)


def test_the_validator_accepts_promises_the_exercise_keeps(tmp_path: Path) -> None:
    shared = {
        "mode: individual": "mode: shared",
        "visibility: private": "visibility: partner",
        "say something kind to {{ partner }}.": "{{ partner }} will see it once you both answer.",
        "dile algo amable a {{ partner }}.": "{{ partner }} lo verá cuando hayan respondido.",
    }
    assert _problems(tmp_path, **shared) == []
    therapist = {
        "visibility: private": "visibility: therapist",
        "A gentle reminder.": "If you allowed it, {{ therapist }} will read it.",
    }
    assert _problems(tmp_path / "t", **therapist) == []


def test_the_builtin_library_keeps_its_promises() -> None:
    problems = [str(p) for p in check_path(Path("exercises")).problems]
    assert not [p for p in problems if "promises a reader" in p]


# --- load_jobs: the other partner's answer, one query for the batch ------------------------


@pytest.fixture
async def w(database: Database) -> AsyncIterator[World]:
    async with world(database, NOW, rate_limits=False) as w:
        yield w


async def test_load_jobs_knows_whether_the_other_partner_answered(w: World) -> None:
    couple, (ana, ben) = await w.couple(
        (1001, "Ana", "UTC", "08:00"), (1002, "Ben", "UTC", "09:00")
    )
    c2, (kai, lea) = await w.couple((1003, "Kai", "UTC", "08:00"), (1004, "Lea", "UTC", "09:00"))
    await w.assign(couple, "daily-connection", date(2026, 12, 2))
    await w.assign(c2, "weekly-check-in", date(2026, 12, 2))
    rows = await w.deliveries()
    by = {(d.partner_id, d.item): d for d in rows if d.day == 1}
    async with w.database.session() as session:
        session.add(Response(delivery_id=by[ana.id, 0].id, partner_id=ana.id, text_ct=b"x"))
        # Kai chose a number on item 1 (the scale) and only tapped Done on item 0.
        session.add(Response(delivery_id=by[kai.id, 1].id, partner_id=kai.id, value=4))
        session.add(Response(delivery_id=by[kai.id, 0].id, partner_id=kai.id))
    ids = [by[p, i].id or 0 for p, i in [(ben.id, 0), (ana.id, 0), (lea.id, 0), (lea.id, 1)]]
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(w.database.engine.sync_engine, "before_cursor_execute", count)
    try:
        async with w.database.session() as session:
            jobs = await deliveries.load_jobs(session=session, ids=ids)
    finally:
        event.remove(w.database.engine.sync_engine, "before_cursor_execute", count)
    answers = {(job.partner.id, job.delivery.item): job.other_answer for job in jobs}
    assert answers[ben.id, 0] == OtherAnswer(wrote=True, chose=False)
    assert answers[ana.id, 0] is None  # Ben has not answered
    assert answers[lea.id, 0] is None  # a bare Done is no answer to reveal
    assert answers[lea.id, 1] == OtherAnswer(wrote=False, chose=True)
    # Deliveries, therapists, partners, and one query for all the answers.
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 4
