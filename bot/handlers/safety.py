"""Safety: crisis replies, "I need help now", /safetyplan and /tell (docs/safety.md).

Nothing in these modules ever writes to the other partner's chat. One flow per module:
`crisis_help` (the crisis screen and "I need help now"), `safety_plan` (/safetyplan) and
`tell` (/tell and the therapist's reply); this module registers them and re-exports
what the text router and /start use.
"""

from __future__ import annotations

from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.handlers.crisis_help import HELP_NOW as HELP_NOW
from bot.handlers.crisis_help import help_now_button as help_now_button
from bot.handlers.crisis_help import on_help_now
from bot.handlers.crisis_help import screen_text as screen_text
from bot.handlers.crisis_help import send_help as send_help
from bot.handlers.safety_plan import PLAN_FLOW as PLAN_FLOW
from bot.handlers.safety_plan import on_plan_button, show_plan
from bot.handlers.safety_plan import on_plan_text as on_plan_text
from bot.handlers.tell import HANDLERS as TELL_HANDLERS
from bot.handlers.tell import REPLY_FLOW as REPLY_FLOW
from bot.handlers.tell import TELL_FLOW as TELL_FLOW
from bot.handlers.tell import on_reply_text as on_reply_text
from bot.handlers.tell import on_tell_text as on_tell_text
from bot.handlers.tell import tell

HANDLERS = [
    CommandHandler("safetyplan", show_plan),
    CommandHandler("tell", tell),
    CallbackQueryHandler(on_help_now, pattern=rf"^{HELP_NOW}$"),
    CallbackQueryHandler(on_plan_button, pattern=r"^sp:"),
    *TELL_HANDLERS,  # the therapist's Reply button under a /tell message
]
