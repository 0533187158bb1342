"""Who may read what a partner wrote: decided here, and only here.

The rules (docs/progress.md):
- The author always sees their own answers.
- The other partner sees an answer only on a `shared` exercise, only once both partners
  have answered it, and only if *both* agreed to share with each other
  (`Partner.share_with_partner`). Mutual: nobody reads without being read.
- The therapist sees written text only from a partner who agreed at setup
  (`Partner.share_with_therapist`, changeable in /settings). That explicit consent covers
  every exercise. Completion facts (done, skipped, when, ratings) are always visible to
  the therapist; partners are told so when they consent.
"""

from __future__ import annotations

from bot.db.models import Partner
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


def therapist_may_read(*, author: Partner) -> bool:
    """May the couple's therapist read `author`'s written answers and reflections?"""
    return author.share_with_therapist
