"""/start (with or without an invite code) and /help."""

from __future__ import annotations

from telegram import Update

from bot.context import TwofoldContext
from bot.handlers import join, safety
from bot.handlers.common import caller, esc, reply
from bot.handlers.menu import help_lines, publish_menu_for
from bot.services import therapists
from bot.services.identity import Role


async def start(update: Update, context: TwofoldContext) -> None:
    """Open an invite link, or greet the user according to their role."""
    user = update.effective_user
    assert user is not None
    me = await caller(update, context)
    if context.args:
        await join.show_consent(update, context, me, context.args[0])
        return
    _ = me._
    if me.identity.therapist is not None:
        async with context.services.database.session() as session:
            await therapists.name_from_telegram(
                session=session, therapist=me.identity.therapist, first_name=user.first_name
            )
    if me.role is Role.THERAPIST:
        text = _(
            "Welcome back, {name}. Here you can create couples and follow their homework. "
            "Send /help to see your commands."
        )
    elif me.role is Role.PARTNER:
        text = _("Hello, {name}. Your exercises arrive here. Send /help to see what you can do.")
    else:
        text = _(
            "Hello, {name}. I'm Twofold, a companion for the homework your couples therapist "
            "gives you. To join, open the invite link your therapist sent you."
        )
    await reply(update, text.format(name=esc(user.first_name)))
    await publish_menu_for(context.bot, me.identity)


async def help_command(update: Update, context: TwofoldContext) -> None:
    """List the commands the user's role may use."""
    me = await caller(update, context)
    _ = me._
    lines = [_("Here is what you can do:"), "", *help_lines(me.role, _), ""]
    lines.append(
        _(
            "Twofold is not an emergency service and is not monitored in real time. "
            "If you are in danger, call your local emergency number."
        )
    )
    # Every role, strangers included: help is one tap away (docs/safety.md).
    await reply(update, "\n".join(lines), safety.help_now_button(_))
