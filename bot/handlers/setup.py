"""Guided setup and later changes: name, time zone, delivery time, language, sharing.

Every step offers buttons and accepts a typed answer; the step a user is on lives in
`conversation_states`, so it survives restarts. Onboarding walks through all steps;
/settings and the one-line commands change a single one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.context import TwofoldContext
from bot.db.models import Partner, Therapist
from bot.handlers.common import Caller, caller, command_argument, esc, keyboard, not_for_you, reply
from bot.handlers.setup_share import SHARE_PAST, asks_about_the_past, share_past, sharing_since
from bot.handlers.setup_steps import (
    FIELDS,
    ONBOARDING,
    SETTINGS,
    THERAPIST_FIELDS,
    prompt_sharepast,
    saved_text,
)
from bot.i18n import LANGUAGES, Gettext, translator
from bot.services import conversations, membership, visibility
from bot.services.identity import Role
from bot.services.preferences import PreferenceError

FLOW = "setup"


async def _ask(update: Update, _: Gettext, step: str, data: dict[str, Any]) -> None:
    prompt = prompt_sharepast if step == SHARE_PAST else FIELDS[step].prompt
    text, markup = prompt(_, data)
    message = update.effective_message
    assert message is not None
    await message.get_bot().send_message(message.chat_id, text, reply_markup=markup)


async def begin_onboarding(
    update: Update, context: TwofoldContext, partner: Partner, first_name: str
) -> None:
    """Start the guided setup right after a partner joined."""
    data = {"mode": "onboarding", "first_name": first_name[:64]}
    async with context.services.database.session() as session:
        await conversations.begin(
            session=session,
            telegram_id=partner.telegram_id,
            flow=FLOW,
            step=ONBOARDING[0],
            now=context.services.clock.now(),
            data=data,
        )
    await _ask(update, translator(partner.language), ONBOARDING[0], data)


async def _begin_single(update: Update, context: TwofoldContext, me: Caller, step: str) -> None:
    user = update.effective_user
    assert user is not None
    data = {"mode": "single", "first_name": user.first_name[:64]}
    async with context.services.database.session() as session:
        await conversations.begin(
            session=session,
            telegram_id=me.identity.telegram_id,
            flow=FLOW,
            step=step,
            now=context.services.clock.now(),
            data=data,
        )
    await _ask(update, me._, step, data)


def _allowed(me: Caller, step: str) -> bool:
    if me.role is Role.PARTNER:
        return True
    return me.role is Role.THERAPIST and step in THERAPIST_FIELDS


async def _save(context: TwofoldContext, me: Caller, column: str, value: Any) -> None:
    async with context.services.database.session() as session:
        if me.identity.partner is not None and column == "share_with_therapist":
            # Reached at onboarding (nothing written yet: all of it), when turning it off,
            # or when it is already on (when it started stays as it was).
            await visibility.set_therapist_sharing(
                session=session,
                partner=me.identity.partner,
                share=bool(value),
                include_earlier=not me.identity.partner.share_with_therapist,
                now=context.services.clock.now(),
            )
        elif me.identity.partner is not None:
            await membership.update_preferences(
                session=session, partner=me.identity.partner, **{column: value}
            )
        else:
            assert isinstance(me.identity.therapist, Therapist)
            await membership.update_therapist(
                session=session, therapist=me.identity.therapist, **{column: value}
            )


async def apply(update: Update, context: TwofoldContext, me: Caller, step: str, text: str) -> bool:
    """Validate and store one answer; on bad input explain, change nothing, return False."""
    field, _ = FIELDS[step], me._
    try:
        value = field.parse(text)
    except PreferenceError as exc:
        lines = [_(field.invalid).format(value=esc(text[:64]))]
        if exc.suggestions:
            lines.append(
                _("Did you mean: {options}?").format(options=esc(", ".join(exc.suggestions)))
            )
        await reply(update, "\n".join(lines))
        return False
    await _save(context, me, field.column, value)
    return True


async def continue_flow(update: Update, context: TwofoldContext, me: Caller, text: str) -> None:
    """Take the answer to the current step, typed or tapped, and move on."""
    telegram_id = me.identity.telegram_id
    async with context.services.database.session() as session:
        state = await conversations.current(session=session, telegram_id=telegram_id)
    if state is None or state.flow != FLOW or not _allowed(me, state.step):
        return
    step = state.step
    if step == SHARE_PAST:
        await share_past(update, context, me, text)
        return
    if asks_about_the_past(me, step, state.data, text):
        async with context.services.database.session() as session:
            await conversations.advance(
                session=session, state=state, step=SHARE_PAST, now=context.services.clock.now()
            )
        await _ask(update, me._, SHARE_PAST, state.data)
        return
    if step == "name" and text == "keep":
        text = str(state.data.get("first_name") or "")
    if not await apply(update, context, me, step, text):
        await _ask(update, me._, step, state.data)
        return
    me = await caller(update, context)  # the language may just have changed
    onboarding = state.data.get("mode") == "onboarding"
    position = ONBOARDING.index(step) if onboarding else len(ONBOARDING)
    async with context.services.database.session() as session:
        if position + 1 < len(ONBOARDING):
            await conversations.advance(
                session=session,
                state=state,
                step=ONBOARDING[position + 1],
                now=context.services.clock.now(),
            )
        else:
            await conversations.end(session=session, telegram_id=telegram_id)
            if onboarding and me.identity.partner is not None:
                await membership.update_preferences(
                    session=session, partner=me.identity.partner, setup_done=True
                )
    if position + 1 < len(ONBOARDING):
        await _ask(update, me._, ONBOARDING[position + 1], state.data)
    elif onboarding:
        await reply(update, _all_set(me))
    else:
        value = _current_value(me, step)
        await reply(update, saved_text(me._, step, value))


def _current_value(me: Caller, step: str) -> str:
    person: Partner | Therapist | None = me.identity.partner or me.identity.therapist
    assert person is not None
    value = getattr(person, FIELDS[step].column)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _all_set(me: Caller) -> str:
    partner = me.identity.partner
    assert partner is not None
    return me._(
        "All set! Exercises will arrive at {time} ({zone}). Your therapist will assign the "
        "first ones. Send /settings to change anything, or /help to see what you can do."
    ).format(time=partner.delivery_time, zone=esc(partner.timezone))


async def on_setup_button(update: Update, context: TwofoldContext) -> None:
    """Take a tapped answer, if it belongs to the step the user is on."""
    query = update.callback_query
    assert query is not None and query.data is not None
    _prefix, step, value = [*query.data.split(":", 2), "", ""][:3]
    me = await caller(update, context)
    async with context.services.database.session() as session:
        state = await conversations.current(session=session, telegram_id=me.identity.telegram_id)
    known = step in FIELDS or step == SHARE_PAST
    if state is None or state.flow != FLOW or state.step != step or not known:
        await query.answer(me._("This is no longer available."))
        return
    await query.answer()
    await query.edit_message_reply_markup(None)
    await continue_flow(update, context, me, value)


def one_line(step: str) -> Callable[[Update, TwofoldContext], Any]:
    """`/timezone Europe/Berlin` sets at once; `/timezone` alone asks with buttons."""

    async def command(update: Update, context: TwofoldContext) -> None:
        me = await caller(update, context)
        if not _allowed(me, step):
            await not_for_you(update, me)
            return
        argument = command_argument(update)
        if not argument:
            await _begin_single(update, context, me, step)
            return
        if await apply(update, context, me, step, argument):
            me = await caller(update, context)
            await reply(update, saved_text(me._, step, _current_value(me, step)))

    command.__doc__ = f"Change the {step} setting."
    return command


async def show_settings(update: Update, context: TwofoldContext) -> None:
    """Show the current settings with a button to change each."""
    me = await caller(update, context)
    _ = me._
    if me.role is Role.STRANGER:
        await not_for_you(update, me)
        return
    steps = [s for s in SETTINGS if _allowed(me, s)]
    labels = {
        "name": _("Name"),
        "timezone": _("Time zone"),
        "time": _("Delivery time"),
        "language": _("Language"),
        "share": _("Reflections visible to your therapist"),
        "partnershare": _("Shared answers visible to your partner"),
        "discreet": _("Discreet notifications"),
    }
    lines = [_("Your settings:")]
    for step in steps:
        value = _current_value(me, step)
        shown = {"yes": _("yes"), "no": _("no")}.get(value, LANGUAGES.get(value, value))
        if step == "share" and value == "yes":
            shown = sharing_since(me, shown)
        lines.append(f"• {labels[step]}: <b>{esc(shown)}</b>")
    lines.append(_("Tap what you would like to change."))
    rows = [[(labels[s], f"settings:{s}")] for s in steps]
    await reply(update, "\n".join(lines), keyboard(rows))


async def on_settings_button(update: Update, context: TwofoldContext) -> None:
    """Start changing the tapped setting."""
    query = update.callback_query
    assert query is not None and query.data is not None
    step = query.data.removeprefix("settings:")
    me = await caller(update, context)
    if step not in FIELDS or not _allowed(me, step):
        await query.answer(me._("This is no longer available."))
        return
    await query.answer()
    await _begin_single(update, context, me, step)


HANDLERS = [
    CommandHandler("settings", show_settings),
    CommandHandler("name", one_line("name")),
    CommandHandler("timezone", one_line("timezone")),
    CommandHandler("time", one_line("time")),
    CommandHandler("language", one_line("language")),
    CallbackQueryHandler(on_setup_button, pattern=r"^setup:"),
    CallbackQueryHandler(on_settings_button, pattern=r"^settings:"),
]
