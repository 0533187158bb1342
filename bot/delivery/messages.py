"""The texts and buttons of scheduled messages, in the recipient's language."""

from __future__ import annotations

from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.delivery.audience import audience_line, duration_line, other_answered_line
from bot.delivery.buttons import ExerciseButton
from bot.i18n import N_, Gettext, translator
from bot.library import Exercise, Library, RenderedExercise, pick_language, render_exercise
from bot.services.completion import Action
from bot.services.deliveries import Job


def exercise_buttons(exercise: Exercise, language: str, _: Gettext) -> InlineKeyboardMarkup:
    """The answer buttons the exercise needs, then Done, Skip and Later.

    Done is on every exercise: a written exercise may have been done on paper or aloud.

    Callback data names only the action: the message a button sits on says which
    delivery it is, looked up within the presser's own chat (`completion.find`).
    """
    rows: list[list[InlineKeyboardButton]] = []
    if exercise.response == "scale":
        rows.append(
            [
                InlineKeyboardButton(str(n), callback_data=ExerciseButton(value=n).pack())
                for n in range(1, 6)
            ]
        )
    elif exercise.response == "choice":
        rows += [
            [
                InlineKeyboardButton(
                    choice_label(exercise, i, language),
                    callback_data=ExerciseButton(value=i).pack(),
                )
            ]
            for i in range(len(exercise.choices))
        ]
    rows.append([_button(_("Done"), Action.DONE), _button(_("Skip"), Action.SKIP)])
    rows.append(
        [
            _button(_("Later: 1 hour"), Action.SNOOZE_1),
            _button(_("Later: 3 hours"), Action.SNOOZE_3),
        ]
    )
    return InlineKeyboardMarkup(rows)


def _button(label: str, action: Action) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=ExerciseButton(action=action).pack())


def choice_label(exercise: Exercise, index: int, language: str) -> str:
    labels = exercise.choices[index]
    return labels[pick_language(labels, language)]


def how_to_answer(exercise: Exercise, _: Gettext) -> str | None:
    if exercise.response == "text":
        return _("Write your answer as a message here (or reply to this one).")
    if exercise.response == "letter":
        return _("Write your note as a message here (or reply to this one).")
    if exercise.mode == "together":
        return _("When you have done it together, each of you taps Done.")
    return None


NEUTRAL_LINE = N_("You have a new message in Twofold.")


def neutral_prefix(job: Job, text: str) -> str:
    """Start with a bland line when the partner asked for discreet lock-screen previews."""
    if not job.partner.neutral_notifications:
        return text
    return f"{translator(job.partner.language)(NEUTRAL_LINE)}\n\n{text}"


def _render(job: Job, exercise: Exercise, _: Gettext) -> RenderedExercise:
    """The exercise's texts for this partner (the same variables for prompt and reminder)."""
    return render_exercise(
        exercise,
        job.partner.language,
        recipient=job.partner.display_name,
        partner=job.other.display_name if job.other else _("your partner"),
        therapist=job.therapist.name,
        day=job.delivery.day,
        on=job.delivery.local_date,
    )


def exercise_message(job: Job, library: Library) -> tuple[str, InlineKeyboardMarkup] | None:
    """The scheduled exercise for `job`, or None if its exercise is no longer in the library.

    Title and how long it takes, the prompt, whether the partner has answered already,
    how to answer, who will see the answer, then the day and set. The follow-up is not
    here: it is asked once the person has answered (docs/exercises.md).
    """
    exercise = library.exercise(job.delivery.exercise_slug)
    exercise_set = library.set(job.assignment.set_slug)
    if exercise is None or exercise_set is None:
        return None
    language = job.partner.language
    _ = translator(language)
    rendered = _render(job, exercise, _)
    footer = _("Day {day} · {set}").format(
        day=job.delivery.day, set=exercise_set.title_in(language)
    )
    parts = [
        f"<b>{rendered.title}</b>\n<i>{duration_line(exercise.minutes, language)}</i>",
        rendered.prompt,
    ]
    answered = other_answered_line(exercise, job.partner, job.other, job.other_answer, _)
    if answered:
        parts.append(answered)
    if hint := how_to_answer(exercise, _):
        parts.append(hint)
    audience = audience_line(exercise, job.partner, job.other, _)
    parts.append(f"{audience}\n<i>{footer}</i>")
    text = "\n\n".join(parts)
    return neutral_prefix(job, text), exercise_buttons(exercise, language, _)


def reminder_message(job: Job, library: Library) -> tuple[str, InlineKeyboardMarkup] | None:
    """The exercise's own reminder, under its title (sent as a reply to the exercise)."""
    exercise = library.exercise(job.delivery.exercise_slug)
    if exercise is None:
        return None
    language = job.partner.language
    _ = translator(language)
    rendered = _render(job, exercise, _)
    parts = [f"<b>{rendered.title}</b>", rendered.reminder]
    answered = other_answered_line(exercise, job.partner, job.other, job.other_answer, _)
    if answered:
        parts.append(answered)
    return neutral_prefix(job, "\n\n".join(parts)), exercise_buttons(exercise, language, _)


def unreachable_notice(job: Job) -> str:
    t_ = translator(job.therapist.language)
    return t_(
        "{name} in <b>{label}</b> can't be reached on Telegram (they may have blocked the "
        "bot). Their exercises will wait until they are back."
    ).format(
        name=escape(job.partner.display_name, quote=False),
        label=escape(job.couple.label, quote=False),
    )
