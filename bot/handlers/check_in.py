"""The safety check-in: a private, warm "are you safe right now?" with three answers.

Asked when the screen finds possible risk (Level.CHECK_IN). "Not sure" and "I need help"
give the crisis reply and flag the therapist; "I'm safe" thanks the person and keeps help
one tap away. Nothing here writes to the other partner's chat (docs/safety.md).
"""

from __future__ import annotations

from dataclasses import dataclass

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler

from bot.context import TwofoldContext
from bot.db.models import CheckInAnswer, FlagKind
from bot.handlers.common import Caller, caller, keyboard, reply
from bot.i18n import Gettext
from bot.services import check_ins

PREFIX = "ck"


@dataclass(frozen=True, slots=True)
class CheckInButton:
    """A check-in button's data: built and parsed here only."""

    check_in_id: int
    choice: CheckInAnswer

    def pack(self) -> str:
        return f"{PREFIX}:{self.check_in_id}:{self.choice.value}"

    @classmethod
    def parse(cls, data: str | None) -> CheckInButton | None:
        parts = (data or "").split(":")
        if len(parts) != 3 or parts[0] != PREFIX or not parts[1].isdigit() or len(parts[1]) > 18:
            return None
        try:
            return cls(int(parts[1]), CheckInAnswer(parts[2]))
        except ValueError:
            return None


def question(_: Gettext) -> str:
    return (
        _("Some of what you wrote makes me want to check in with you. Are you safe right now?")
        + "\n\n"
        + _("Only you see this. Your partner is never told.")
    )


def buttons(_: Gettext, check_in_id: int) -> InlineKeyboardMarkup:
    def pack(choice: CheckInAnswer) -> str:
        return CheckInButton(check_in_id, choice).pack()

    return keyboard(
        [
            [(_("I'm safe"), pack(CheckInAnswer.SAFE))],
            [(_("Not sure"), pack(CheckInAnswer.NOT_SURE))],
            [(_("I need help"), pack(CheckInAnswer.NEED_HELP))],
        ]
    )


async def ask(update: Update, context: TwofoldContext, me: Caller, message_id: int | None) -> None:
    """Ask the person privately whether they are safe (at most a few times a day)."""
    from bot.handlers.crisis_help import help_now_button  # (crisis_help imports this module)

    _ = me._
    async with context.services.database.session() as session:
        check_in_id = await check_ins.ask(
            session=session,
            telegram_id=me.identity.telegram_id,
            message_id=message_id,
            now=context.services.clock.now(),
        )
    if check_in_id is None:
        # Asked already (about this message, or often today): help stays one tap away,
        # and nothing cold follows.
        await reply(
            update,
            _("I'm here if you need support: the button below is always there for you."),
            help_now_button(_),
        )
        return
    await reply(update, question(_), buttons(_, check_in_id))


async def on_answer(update: Update, context: TwofoldContext) -> None:
    """Act on the person's answer to a check-in."""
    from bot.handlers.crisis_help import help_now_button, raise_flag, send_help  # (a cycle)

    query = update.callback_query
    assert query is not None
    me = await caller(update, context)
    _ = me._
    button = CheckInButton.parse(query.data)
    if button is None:
        await query.answer(_("This is no longer available."))
        return
    async with context.services.database.session() as session:
        ok = await check_ins.answer(
            session=session,
            check_in_id=button.check_in_id,
            telegram_id=me.identity.telegram_id,
            choice=button.choice,
            now=context.services.clock.now(),
        )
    if not ok:
        await query.answer(_("This is no longer available."))
        return
    await query.answer()
    await query.edit_message_reply_markup(None)
    if button.choice is CheckInAnswer.SAFE:
        await reply(
            update,
            _(
                "Thank you for telling me. If that changes, the button below is always here, "
                "and /safetyplan keeps your own plan close."
            ),
            help_now_button(_),
        )
        return
    flagged = await raise_flag(context, me, FlagKind.CHECK_IN)
    await send_help(context, me, extra=_privacy_line(_, flagged))


def _privacy_line(_: Gettext, flagged: bool) -> str:
    if flagged:
        return _(
            "Your therapist gets a private note that you may need support, without your "
            "words. Your partner is not told anything."
        )
    return _("Your partner is not told anything.")


HANDLERS = [CallbackQueryHandler(on_answer, pattern=rf"^{PREFIX}:")]
