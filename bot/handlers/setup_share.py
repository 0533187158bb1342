"""After "share with my therapist" is turned on in /settings: from now on, or also the
answers written while it was off (docs/progress.md, "Sharing turned on later").

Asked as its own step (`sharepast`) of the setup flow, with two buttons; typing a
button's label (or "new" / "all") works too.
"""

from __future__ import annotations

from typing import Any

from babel.dates import format_date
from telegram import Update

from bot.context import TwofoldContext
from bot.handlers.common import Caller, reply
from bot.handlers.setup_steps import SAVED, parse_share, prompt_sharepast
from bot.i18n import Gettext
from bot.services import conversations, visibility
from bot.services.localtime import local_today
from bot.services.preferences import PreferenceError

SHARE_PAST = "sharepast"


def _choice(_: Gettext, text: str) -> str | None:
    """`new` (from now on), `all` (include earlier answers), or None."""
    typed = " ".join(text.split()).casefold()
    if typed in ("new", _("From now on").casefold()):
        return "new"
    if typed in ("all", _("Include my earlier answers").casefold()):
        return "all"
    return None


def asks_about_the_past(me: Caller, step: str, data: dict[str, Any], text: str) -> bool:
    """Turning therapist sharing on in /settings: ask whether earlier answers are included."""
    partner = me.identity.partner
    if step != "share" or partner is None or partner.share_with_therapist:
        return False
    if data.get("mode") == "onboarding":
        return False
    try:
        return parse_share(text)
    except PreferenceError:
        return False


async def share_past(update: Update, context: TwofoldContext, me: Caller, text: str) -> None:
    """Store "from now on" (`new`) or "include my earlier answers" (`all`), then confirm."""
    partner = me.identity.partner
    if partner is None:
        return
    choice = _choice(me._, text)
    if choice is None:
        text, markup = prompt_sharepast(me._, {})
        await reply(update, text, markup)
        return
    async with context.services.database.session() as session:
        await visibility.set_therapist_sharing(
            session=session,
            partner=partner,
            share=True,
            include_earlier=choice == "all",
            now=context.services.clock.now(),
        )
        await conversations.end(session=session, telegram_id=me.identity.telegram_id)
    await reply(update, me._(SAVED[f"{SHARE_PAST}:{choice}"]))


def sharing_since(me: Caller, shown: str) -> str:
    """ "yes" in /settings, with the day sharing started when earlier answers stay private."""
    partner = me.identity.partner
    if partner is None or partner.therapist_sharing_since is None:
        return shown
    day = local_today(partner.therapist_sharing_since, partner.timezone)
    when = format_date(day, "d MMM yyyy", locale=me.identity.language)
    return me._("{yes}, from {date} on").format(yes=shown, date=when)
