"""The lines of an exercise message that say what it costs and who will see the answer.

Who sees what is decided in `bot.services.visibility`; this module only puts it into
words, so the line can never promise more (or less) than the bot does.
"""

from __future__ import annotations

from enum import StrEnum
from html import escape

from bot.db.models import Partner
from bot.i18n import Gettext, plural_translator
from bot.library import Exercise
from bot.services.deliveries import OtherAnswer
from bot.services.visibility import partner_may_see, therapist_may_read, therapist_may_see_value


class Reader(StrEnum):
    """Whether, and why, the therapist sees what this partner gives."""

    NONE = "none"
    WOULD = "would"  # the exercise is meant for them, but sharing is off in /settings
    SETTINGS = "settings"  # written text, shared in /settings
    EXERCISE = "exercise"  # a number or option the exercise shows the therapist


def duration_line(minutes: int, language: str) -> str:
    """ "About 10 minutes", in the partner's language."""
    ngettext = plural_translator(language)
    return ngettext("About {count} minute", "About {count} minutes", minutes).format(count=minutes)


def therapist_reader(exercise: Exercise, author: Partner) -> Reader:
    """Whether the therapist will see what `author` gives on this exercise (from now on)."""
    if exercise.response in ("scale", "choice"):
        seen = therapist_may_see_value(exercise=exercise)
        return Reader.EXERCISE if seen else Reader.NONE
    if therapist_may_read(author=author):
        return Reader.SETTINGS
    return Reader.WOULD if exercise.visibility == "therapist" else Reader.NONE


def _what(exercise: Exercise, _: Gettext) -> str:
    if exercise.response == "scale":
        return _("the number you choose")
    if exercise.response == "choice":
        return _("the option you choose")
    return _("your answer")


def audience_line(exercise: Exercise, me: Partner, other: Partner | None, _: Gettext) -> str:
    """One sentence: who will see `me`'s answer to this exercise."""
    partner = escape(other.display_name, quote=False) if other else _("your partner")
    if exercise.response == "letter":
        # Its own consent line: delivered when written, not when both have answered.
        if therapist_reader(exercise, me) is Reader.SETTINGS:
            text = _(
                "{partner} receives your note as soon as you send it; your therapist can read "
                "it too (you allowed it in /settings)."
            )
        else:
            text = _("{partner} receives your note as soon as you send it.")
        return text.format(partner=partner)
    if exercise.response == "done":
        if exercise.mode == "individual":
            return _("Only whether you did it is recorded, and your therapist sees that.")
        return _(
            "Only whether you did it is recorded; {partner} and your therapist see that."
        ).format(partner=partner)
    reader = therapist_reader(exercise, me)
    what = _what(exercise, _)
    if exercise.mode == "shared" and other is not None:
        mutual = partner_may_see(exercise=exercise, author=me, reader=other)
        if mutual and reader is Reader.SETTINGS:
            text = _(
                "{partner} sees {what} once you have both answered, and your therapist sees "
                "it too (you allowed it in /settings)."
            )
        elif mutual and reader is Reader.EXERCISE:
            text = _(
                "{partner} sees {what} once you have both answered, and your therapist sees it too."
            )
        elif mutual:
            text = _("{partner} sees {what} once you have both answered.")
        elif reader in (Reader.SETTINGS, Reader.EXERCISE):
            text = _("Only you and your therapist see {what}: sharing with each other is off.")
        else:
            text = _("Only you see {what}: sharing answers with each other is off.")
        return text.format(partner=partner, what=what)
    if reader is Reader.SETTINGS:
        text = _("Only you and your therapist see {what} (you allowed it in /settings).")
    elif reader is Reader.EXERCISE:
        text = _("Only you and your therapist see {what}.")
    elif reader is Reader.WOULD:
        text = _("Only you see {what}; your therapist would if you allowed it in /settings.")
    else:
        text = _("Only you see {what}.")
    return text.format(what=what)


def other_answered(exercise: Exercise, answer: OtherAnswer | None) -> bool:
    """Whether `answer` answers this exercise (as the reveal counts it: `pairs._answered`)."""
    if answer is None or exercise.mode != "shared":
        return False
    return answer.wrote if exercise.response == "text" else answer.chose


def other_answered_line(
    exercise: Exercise, me: Partner, other: Partner | None, answer: OtherAnswer | None,
    _: Gettext,
) -> str | None:  # fmt: skip
    """ "Ana has already answered", when the other partner answered before this arrived."""
    if other is None or not other_answered(exercise, answer):
        return None
    name = escape(other.display_name, quote=False)
    if partner_may_see(exercise=exercise, author=me, reader=other):
        text = _("{partner} has already answered; you'll see each other's answers once you answer.")
    else:
        text = _("{partner} has already answered.")
    return text.format(partner=name)
