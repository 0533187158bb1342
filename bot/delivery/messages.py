"""The texts and buttons of scheduled messages, in the recipient's language."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.i18n import Gettext, translator
from bot.library import Library, render_exercise
from bot.services.deliveries import Job


def exercise_buttons(delivery_id: int, _: Gettext) -> InlineKeyboardMarkup:
    """Done / Skip / Later. The id is checked against the presser when pressed."""
    prefix = f"dl:{delivery_id}"
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(_("Done"), callback_data=f"{prefix}:done"),
                InlineKeyboardButton(_("Skip"), callback_data=f"{prefix}:skip"),
            ],
            [
                InlineKeyboardButton(_("Later: 1 hour"), callback_data=f"{prefix}:s1"),
                InlineKeyboardButton(_("Later: 3 hours"), callback_data=f"{prefix}:s3"),
            ],
        ]
    )


def exercise_message(job: Job, library: Library) -> tuple[str, InlineKeyboardMarkup] | None:
    """The scheduled exercise for `job`, or None if its exercise is no longer in the library."""
    exercise = library.exercise(job.delivery.exercise_slug)
    exercise_set = library.set(job.assignment.set_slug)
    if exercise is None or exercise_set is None:
        return None
    language = job.partner.language
    _ = translator(language)
    rendered = render_exercise(
        exercise,
        language,
        recipient=job.partner.display_name,
        partner=job.other.display_name if job.other else _("your partner"),
        therapist=job.therapist.name,
        day=job.delivery.day,
        on=job.delivery.local_date,
    )
    footer = _("Day {day} · {set}").format(
        day=job.delivery.day, set=exercise_set.title_in(language)
    )
    text = f"{rendered.as_message()}\n\n<i>{footer}</i>"
    assert job.delivery.id is not None
    return text, exercise_buttons(job.delivery.id, _)


def reminder_message(job: Job, library: Library) -> tuple[str, InlineKeyboardMarkup] | None:
    exercise = library.exercise(job.delivery.exercise_slug)
    if exercise is None:
        return None
    _ = translator(job.partner.language)
    text = _(
        "A gentle reminder: “{title}” is still open. Whenever it suits you; skipping is fine too."
    ).format(title=exercise.title_in(job.partner.language))
    assert job.delivery.id is not None
    return text, exercise_buttons(job.delivery.id, _)


def unreachable_notice(job: Job) -> str:
    from html import escape

    t_ = translator(job.therapist.language)
    return t_(
        "{name} in <b>{label}</b> can't be reached on Telegram (they may have blocked the "
        "bot). Their exercises will wait until they are back."
    ).format(
        name=escape(job.partner.display_name, quote=False),
        label=escape(job.couple.label, quote=False),
    )
