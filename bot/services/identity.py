"""Who is this Telegram user to Twofold: the single place roles are decided."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db.models import Partner, Therapist
from bot.i18n import normalize_language
from bot.services import therapists


class Role(StrEnum):
    THERAPIST = "therapist"
    PARTNER = "partner"
    STRANGER = "stranger"


@dataclass(frozen=True, slots=True)
class Identity:
    telegram_id: int
    role: Role
    language: str
    therapist: Therapist | None = None
    partner: Partner | None = None


async def identify(
    *, session: AsyncSession, telegram_id: int, language_code: str | None
) -> Identity:
    """Resolve the role; the stored language wins over Telegram's `language_code`."""
    therapist = await therapists.get(session=session, telegram_id=telegram_id)
    if therapist is not None:
        return Identity(telegram_id, Role.THERAPIST, therapist.language, therapist=therapist)
    partner = (
        await session.exec(
            select(Partner).where(
                Partner.telegram_id == telegram_id, col(Partner.is_current).is_(True)
            )
        )
    ).first()
    if partner is not None:
        return Identity(telegram_id, Role.PARTNER, partner.language, partner=partner)
    return Identity(telegram_id, Role.STRANGER, normalize_language(language_code))
