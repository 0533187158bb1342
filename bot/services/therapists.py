"""The therapist role, granted and revoked by the operator from the CLI."""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db.models import Therapist

MAX_NAME_LENGTH = 64


class InvalidTherapistError(ValueError):
    """The operator gave an id or name Telegram could never have produced."""


def _check(telegram_id: int, name: str | None) -> None:
    # Telegram user ids are positive; group and channel ids are negative.
    if telegram_id <= 0:
        raise InvalidTherapistError("a Telegram user id is a positive number")
    if name is not None and not 0 < len(name.strip()) <= MAX_NAME_LENGTH:
        raise InvalidTherapistError(f"the name must be 1-{MAX_NAME_LENGTH} characters")


async def grant(*, session: AsyncSession, telegram_id: int, name: str | None = None) -> Therapist:
    """Give `telegram_id` the therapist role (again, if it was removed); idempotent."""
    _check(telegram_id, name)
    therapist = await get(session=session, telegram_id=telegram_id, active_only=False)
    if therapist is None:
        therapist = Therapist(telegram_id=telegram_id, name=(name or "").strip())
    else:
        therapist.active = True
        if name is not None:
            therapist.name = name.strip()
    session.add(therapist)
    await session.flush()
    return therapist


async def revoke(*, session: AsyncSession, telegram_id: int) -> bool:
    """Take the role away; the row stays because couples and their history point to it."""
    therapist = await get(session=session, telegram_id=telegram_id)
    if therapist is None:
        return False
    therapist.active = False
    session.add(therapist)
    return True


async def get(
    *, session: AsyncSession, telegram_id: int, active_only: bool = True
) -> Therapist | None:
    query = select(Therapist).where(Therapist.telegram_id == telegram_id)
    if active_only:
        query = query.where(col(Therapist.active).is_(True))
    return (await session.exec(query)).first()


async def list_active(*, session: AsyncSession) -> list[Therapist]:
    query = select(Therapist).where(col(Therapist.active).is_(True)).order_by(col(Therapist.id))
    return list((await session.exec(query)).all())


async def name_from_telegram(
    *, session: AsyncSession, therapist: Therapist, first_name: str
) -> None:
    """Fill in a name the operator left out with the one Telegram shows."""
    if not therapist.name and first_name.strip():
        therapist.name = first_name.strip()[:MAX_NAME_LENGTH]
        session.add(therapist)
