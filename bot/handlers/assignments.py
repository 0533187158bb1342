"""/assignments: a couple's sets with their progress, and Pause / Resume / Cancel."""

from __future__ import annotations

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.context import TwofoldContext
from bot.handlers.assign import STALE
from bot.handlers.common import (
    Caller,
    caller,
    command_argument,
    couple_not_found,
    esc,
    keyboard,
    not_for_you,
    reply,
)
from bot.i18n import N_
from bot.services import assignments, couples
from bot.services.assignments import Progress
from bot.services.couples import CoupleStatus, CoupleView

STATUS = {
    "active": N_("in progress"),
    "paused": N_("paused"),
    "cancelled": N_("cancelled"),
    "completed": N_("finished"),
}
# Delivery statuses counted in /assignments, in the order shown.
COUNTS = [
    (("done",), N_("{n} done")),
    (("skipped",), N_("{n} skipped")),
    (("missed",), N_("{n} missed")),
    (("sent", "sending"), N_("{n} open")),
    (("held",), N_("{n} on hold")),
    (("failed",), N_("{n} not delivered")),
    (("unreachable",), N_("{n} unreachable")),
]
MAX_LISTED = 20
# Buttons: asgs:<action>:<assignment id>, or asgs:list:<couple id> (the list again).
# "cancel" only asks to confirm (checks it can still change); "confirm" cancels.
CHANGES = {"pause": "pause", "resume": "resume", "cancel": "check", "confirm": "cancel"}
ACTIONS = (*CHANGES, "list")


def _progress(context: TwofoldContext, me: Caller, item: Progress) -> str:
    _ = me._
    exercise_set = context.services.library.set(item.assignment.set_slug)
    if item.day == 0:
        when = _("starts {date}").format(date=item.assignment.start_date.isoformat())
    elif exercise_set is None or exercise_set.repeat:
        when = _("day {day}, ongoing").format(day=item.day)
    else:
        when = _("day {day} of {length}").format(day=item.day, length=exercise_set.length_days)
    counts = [
        _(label).format(n=total)
        for statuses, label in COUNTS
        if (total := sum(item.counts.get(status, 0) for status in statuses))
    ]
    return " · ".join([when, *counts])


def _title(context: TwofoldContext, slug: str, language: str) -> str:
    exercise_set = context.services.library.set(slug)
    return exercise_set.title_in(language) if exercise_set else slug


def _listing(
    context: TwofoldContext, me: Caller, view: CoupleView, items: list[Progress]
) -> tuple[str, list[list[tuple[str, str]]]]:
    _, label = me._, esc(view.couple.label)
    if not items:
        text = _("No sets have been assigned to <b>{label}</b> yet. Send /assign to assign one.")
        return text.format(label=label), []
    lines = [_("Sets of <b>{label}</b>:").format(label=label)]
    rows: list[list[tuple[str, str]]] = []
    cancel = _("Cancel")
    for number, item in enumerate(items[:MAX_LISTED], start=1):
        assignment = item.assignment
        title = esc(_title(context, assignment.set_slug, me.identity.language))
        status = _(STATUS.get(assignment.status, assignment.status))
        lines += [f"{number}. <b>{title}</b> — {status}", f"    {_progress(context, me, item)}"]
        if view.status is CoupleStatus.ARCHIVED or assignment.status not in assignments.OPEN:
            continue
        action, word = (
            ("pause", _("Pause")) if assignment.status == "active" else ("resume", _("Resume"))
        )
        rows.append(
            [
                (f"{number}. {word}", f"asgs:{action}:{assignment.id}"),
                (f"{number}. {cancel}", f"asgs:cancel:{assignment.id}"),
            ]
        )
    return "\n".join(lines), rows


async def show_assignments(update: Update, context: TwofoldContext) -> None:
    """List a couple's assignments with progress and Pause / Resume / Cancel buttons."""
    me = await caller(update, context)
    if me.identity.therapist is None:
        await not_for_you(update, me)
        return
    public_id = couples.normalize_public_id(command_argument(update))
    if not public_id:
        await reply(
            update, me._("Send /assignments followed by a couple's id. /couples lists them.")
        )
        return
    async with context.services.database.session() as session:
        found = await assignments.progress_for(
            session=session,
            therapist=me.identity.therapist,
            public_id=public_id,
            now=context.services.clock.now(),
        )
    if found is None:
        await reply(update, couple_not_found(me, public_id))
        return
    text, rows = _listing(context, me, *found)
    await reply(update, text, keyboard(rows) if rows else None)


async def on_assignments_button(update: Update, context: TwofoldContext) -> None:
    """Pause, resume or cancel (once confirmed) an assignment; stale taps change nothing."""
    query = update.callback_query
    assert query is not None and query.data is not None
    _prefix, action, value = [*query.data.split(":", 2), "", ""][:3]
    me = await caller(update, context)
    _, therapist = me._, me.identity.therapist
    changed, found = None, None
    if therapist is not None and action in ACTIONS:
        async with context.services.database.session() as session:
            # Ids are small integers; anything else (a forged button) matches nothing.
            if action in CHANGES and value.isdigit() and len(value) < 10:
                changed = await assignments.change(
                    session=session,
                    therapist=therapist,
                    assignment_id=int(value),
                    action=CHANGES[action],
                    now=context.services.clock.now(),
                )
            public_id = value if action == "list" else changed.couple.public_id if changed else ""
            if public_id:
                found = await assignments.progress_for(
                    session=session,
                    therapist=therapist,
                    public_id=public_id,
                    now=context.services.clock.now(),
                )
    if found is None:
        await query.answer(_(STALE))
        return
    await query.answer()
    if action == "cancel" and changed is not None:
        assignment, couple = changed.assignment, changed.couple
        text = _(
            "Cancel <b>{title}</b> for <b>{label}</b>? Exercises that haven't been sent won't "
            "arrive. Everything done so far stays in the record."
        ).format(
            title=esc(_title(context, assignment.set_slug, me.identity.language)),
            label=esc(couple.label),
        )
        rows = [
            [
                (_("Yes, cancel it"), f"asgs:confirm:{assignment.id}"),
                (_("Keep it"), f"asgs:list:{couple.public_id}"),
            ]
        ]
        await query.edit_message_text(text, reply_markup=keyboard(rows))
        return
    text, rows = _listing(context, me, *found)
    await query.edit_message_text(text, reply_markup=keyboard(rows) if rows else None)


# --- partner: /pause, /resume, /quiet, /today --------------------------------------------


HANDLERS = [
    CommandHandler("assignments", show_assignments),
    CallbackQueryHandler(on_assignments_button, pattern=r"^asgs:"),
]
