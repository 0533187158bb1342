"""Reusable conversations with the bot, written the way a person would click through them."""

from __future__ import annotations

import re
from datetime import date

from sqlmodel import col, select

from bot.context import TwofoldApp
from bot.db.models import Assignment, Couple, Partner
from bot.i18n import translator
from bot.services import planning, therapists
from tests.fakebotapi import FakeUser

LINK = re.compile(r"https://t\.me/\w+\?start=([A-Za-z0-9_-]+)")


def services(app: TwofoldApp):  # type: ignore[no-untyped-def]
    assert app.bot_data.services is not None
    return app.bot_data.services


async def grant_therapist(app: TwofoldApp, telegram_id: int, name: str = "") -> None:
    async with services(app).database.session() as session:
        await therapists.grant(session=session, telegram_id=telegram_id, name=name or None)


async def new_couple(therapist: FakeUser, label: str) -> tuple[str, str, str]:
    """Create a couple; return its public id and the two invite codes."""
    await therapist.send(f"/newcouple {label}")
    created = await therapist.wait_for(r"created \(id (\w+)\)|creada|creado")
    public_id = re.search(r"\(id (\w+)\)", created.text)
    codes = LINK.findall(created.text)
    assert public_id is not None and len(codes) == 2, created.text
    return public_id.group(1), codes[0], codes[1]


async def accept_invite(user: FakeUser, code: str, language: str = "en") -> None:
    _ = translator(language)
    await user.send(f"/start {code}")
    consent = await user.wait_for(re.escape(_("Before you join, please read this:")))
    await user.press(consent, _("Accept"))


# The setup prompts as the bot says them (msgids), so a Spanish partner's are found too.
NAME_PROMPT = "What name should your partner and your therapist see? Type it, or keep this one:"
ZONE_PROMPT = "Which time zone are you in? Tap one, or type its name, like Europe/Berlin."
TIME_PROMPT = (
    "At what time of day should your exercises arrive? Tap one, or type a time like "
    "08:30 or 8:30pm."
)
SHARE_PROMPT = (
    "May your therapist read your written reflections? Your therapist always sees whether "
    "you did an exercise. You can change this at any time in /settings."
)
ALL_SET = (
    "All set! Exercises will arrive at {time} ({zone}). Your therapist will assign the "
    "first ones. Send /settings to change anything, or /help to see what you can do."
)


async def onboard(
    user: FakeUser,
    code: str,
    *,
    language: str = "en",
    name: str | None = None,
    timezone: str = "Europe/Berlin",
    time: str = "08:00",
    choose_language: str = "English",
    share: bool = False,
) -> None:
    """Join with `code` and answer every setup step, typing where a person would."""
    _ = translator(language)
    await accept_invite(user, code, language)
    name_prompt = await user.wait_for(re.escape(_(NAME_PROMPT)[:20]))
    if name is None:
        await user.press(name_prompt, re.compile(".+"))
    else:
        await user.send(name)
    await user.wait_for(re.escape(_(ZONE_PROMPT)[:20]))
    await user.send(timezone)
    await user.wait_for(re.escape(_(TIME_PROMPT)[:15]))
    await user.send(time)
    language_prompt = await user.wait_for(re.escape(_("Which language do you prefer?")))
    await user.press(language_prompt, choose_language)
    _ = translator("es" if choose_language == "Español" else "en")
    share_prompt = await user.wait_for(re.escape(_(SHARE_PROMPT)[:20]))
    await user.press(share_prompt, _("Yes, share") if share else _("No, keep private"))
    await user.wait_for(re.escape(_(ALL_SET)[:6]))


async def assign(app: TwofoldApp, public_id: str, set_slug: str, start: date) -> None:
    """Assign a set as the /assign command would (its own tests drive the command)."""
    svc = services(app)
    exercise_set = svc.library.set(set_slug)
    assert exercise_set is not None
    async with svc.database.session() as session:
        couple = (await session.exec(select(Couple).where(Couple.public_id == public_id))).one()
        partners = (
            await session.exec(
                select(Partner).where(Partner.couple_id == couple.id, col(Partner.is_current))
            )
        ).all()
        assignment = Assignment(couple_id=couple.id, set_slug=set_slug, start_date=start)  # type: ignore[arg-type]
        session.add(assignment)
        await session.flush()
        await planning.plan_first(
            session=session, assignment=assignment, partners=partners,
            exercise_set=exercise_set, now=svc.clock.now(),
        )  # fmt: skip
