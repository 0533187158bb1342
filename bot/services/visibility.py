"""Who may read what a partner wrote or chose: decided here, and only here.

The rules (docs/progress.md, "Who sees what"):
- The author always sees their own answers.
- The other partner sees an answer only on a `shared` exercise, only once both partners
  have answered it, and only if *both* agreed to share with each other
  (`Partner.share_with_partner`). Mutual: nobody reads without being read.
- The therapist sees written text only from a partner who agreed
  (`Partner.share_with_therapist`, changeable in /settings), and only text written since
  that partner started sharing (`Partner.therapist_sharing_since`; None: all of it, for
  consent given at setup or a partner who chose to include earlier answers).
- The therapist sees the number or option chosen on a scale or choice exercise only when
  the exercise says so (`therapist_sees_values`, and its prompt tells the partner).
  Completion facts (done, skipped, when, helpfulness ratings) are always visible to the
  therapist; partners are told so when they consent.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db.models import Partner, Response
from bot.library import Exercise


def partner_may_see(*, exercise: Exercise, author: Partner, reader: Partner) -> bool:
    """May `reader` see `author`'s answer once both have answered this exercise?"""
    if author.id == reader.id:
        return True
    return (
        exercise.mode == "shared"
        and author.couple_id == reader.couple_id
        and author.share_with_partner
        and reader.share_with_partner
    )


def partner_receives_letter(*, exercise: Exercise, author: Partner, reader: Partner) -> bool:
    """Is `author`'s answer a letter that `reader` receives as soon as it is written?

    A `letter` exercise says so in its own consent line; writing it is the author's consent.
    """
    return (
        exercise.response == "letter"
        and author.id != reader.id
        and author.couple_id == reader.couple_id
        and reader.is_current
    )


def therapist_may_read(*, author: Partner, response: Response | None = None) -> bool:
    """May the couple's therapist read `author`'s written answers (this one, if given)?"""
    if not author.share_with_therapist:
        return False
    since = author.therapist_sharing_since
    if response is None or since is None:
        return True
    # An answer edited after sharing started was still first written while private.
    return response.answered_at >= since


def therapist_may_see_value(*, exercise: Exercise | None) -> bool:
    """May the therapist see the number or option chosen on this exercise?"""
    return exercise is not None and exercise.therapist_sees_values


async def set_therapist_sharing(
    *,
    session: AsyncSession,
    partner: Partner,
    share: bool,
    include_earlier: bool,
    now: datetime,
) -> Partner:
    """Turn sharing with the therapist on (from `now`, or for everything) or off."""
    fresh = await session.get(Partner, partner.id, populate_existing=True)
    assert fresh is not None
    if share and not fresh.share_with_therapist:
        fresh.therapist_sharing_since = None if include_earlier else now
    elif share and include_earlier:
        fresh.therapist_sharing_since = None
    fresh.share_with_therapist = share
    session.add(fresh)
    await session.flush()
    partner.share_with_therapist = fresh.share_with_therapist
    partner.therapist_sharing_since = fresh.therapist_sharing_since
    return fresh
