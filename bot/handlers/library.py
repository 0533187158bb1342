"""/library: therapists browse the sets, then a set's exercises, each with a preview."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.context import TwofoldContext
from bot.handlers.common import Caller, caller, esc, keyboard, not_for_you, reply
from bot.i18n import N_
from bot.library import Library, category_label, render_exercise, render_set
from bot.services.identity import Role

MODES = {
    "individual": N_("each partner on their own"),
    "shared": N_("shared: answers revealed once both answered"),
    "together": N_("done together"),
}
RESPONSES = {
    "done": N_("mark as done"),
    "text": N_("a written answer"),
    "scale": N_("a scale from 1 to 5"),
    "choice": N_("a choice"),
}

# Sample names for previews: neutral, and short enough to show layout honestly.
SAMPLE_RECIPIENT, SAMPLE_PARTNER = "Alex", "Sam"


def _tagged(title: str, therapist_only: bool, me: Caller) -> str:
    """A button label, marked when the item is for therapists to assign only."""
    if not therapist_only:
        return title
    tag = me._("therapist only")
    return f"{title} · {tag}"


def _sets_menu(library: Library, me: Caller) -> tuple[str, list[list[tuple[str, str]]]]:
    lang = me.identity.language
    rows = [
        [
            (
                _tagged(exercise_set.title_in(lang), library.set_is_therapist_only(slug), me),
                f"lib:set:{slug}",
            )
        ]
        for slug, exercise_set in sorted(library.sets.items())
    ]
    return me._("Exercise sets. Tap one to see its exercises."), rows


THERAPIST_ONLY_NOTE = N_(
    "Therapist only: never suggested to partners. Assign it when you judge it fits."
)


async def show_library(update: Update, context: TwofoldContext) -> None:
    """List the exercise sets as buttons."""
    me = await caller(update, context)
    if me.role is not Role.THERAPIST:
        await not_for_you(update, me)
        return
    text, rows = _sets_menu(context.services.library, me)
    await reply(update, text, keyboard(rows))


async def on_library_button(update: Update, context: TwofoldContext) -> None:
    """Open a set, an exercise preview, or go back to the sets."""
    query = update.callback_query
    assert query is not None and query.data is not None
    me = await caller(update, context)
    library = context.services.library
    _, kind, slug = [*query.data.split(":", 2), "", ""][:3]
    if me.role is not Role.THERAPIST:
        await query.answer(me._("This is no longer available."))
        return
    lang = me.identity.language
    therapist = me.identity.therapist.name if me.identity.therapist else ""
    exercise_set, exercise = library.set(slug), library.exercise(slug)
    if kind == "sets":
        text, rows = _sets_menu(library, me)
    elif kind == "set" and exercise_set is not None:
        rendered = render_set(exercise_set, lang, therapist=therapist)
        parts = [f"<b>{esc(rendered.title)}</b> — {esc(rendered.frequency)}", rendered.description]
        if library.set_is_therapist_only(slug):
            parts.append(f"<i>{esc(me._(THERAPIST_ONLY_NOTE))}</i>")
        text = "\n\n".join(parts)
        rows = [
            [(_tagged(item.title_in(lang), item.therapist_only, me), f"lib:ex:{item.slug}")]
            for item in library.exercises_in_set(slug)
        ]
        rows.append([(me._("« All sets"), "lib:sets")])
    elif kind == "ex" and exercise is not None:
        preview = render_exercise(
            exercise,
            lang,
            recipient=SAMPLE_RECIPIENT,
            partner=SAMPLE_PARTNER,
            therapist=therapist or SAMPLE_PARTNER,
            on=context.services.clock.now().date(),
        )
        about = me._("{category} · {minutes} min · {mode} · answer: {response}").format(
            category=esc(category_label(exercise.category, lang, library.categories)),
            minutes=exercise.minutes,
            mode=me._(MODES[exercise.mode]),
            response=me._(RESPONSES[exercise.response]),
        )
        if exercise.therapist_only:
            about = f"{about}\n{esc(me._(THERAPIST_ONLY_NOTE))}"
        # Rendered fields are already Telegram HTML; only our own labels need escaping.
        text = "\n\n".join(
            [
                preview.as_message(),
                f"<i>{about}</i>",
                f"{preview.rationale} <i>({preview.source})</i>",
            ]
        )
        rows = [[(me._("« All sets"), "lib:sets")]]
    else:
        await query.answer(me._("This is no longer available."))
        return
    await query.answer()
    await query.edit_message_text(text, reply_markup=keyboard(rows))


HANDLERS = [
    CommandHandler("library", show_library),
    CallbackQueryHandler(on_library_button, pattern=r"^lib:"),
]
