"""The tables. Timestamps are aware UTC; local times are computed, never stored.

Identity is the numeric Telegram user id (`telegram_id`), never the username,
which can change or be absent.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, ForeignKey, Index, Integer, text
from sqlmodel import Field, SQLModel

from bot.db.types import UTCDateTime


def utcnow() -> datetime:
    return datetime.now(UTC)


class Therapist(SQLModel, table=True):
    """A person the operator granted the therapist role (`twofold therapist add`)."""

    __tablename__ = "therapists"

    id: int | None = Field(default=None, primary_key=True)
    telegram_id: int = Field(sa_type=BigInteger, unique=True)
    name: str = Field(max_length=64)
    timezone: str = Field(default="UTC", max_length=64)
    language: str = Field(default="en", max_length=8)
    # Removing the role keeps the row: the couples and their history still need an owner.
    active: bool = Field(default=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Couple(SQLModel, table=True):
    """Two partner slots owned by one therapist. Status is derived, not stored."""

    __tablename__ = "couples"

    id: int | None = Field(default=None, primary_key=True)
    # Short id shown to the therapist (`/couple k7m2qx`); random so ids cannot be enumerated.
    public_id: str = Field(max_length=12, unique=True)
    therapist_id: int = Field(
        sa_column=Column(Integer, ForeignKey("therapists.id"), nullable=False, index=True)
    )
    label: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    archived_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Partner(SQLModel, table=True):
    """One person's membership in one couple, with their delivery preferences.

    A person who leaves keeps the row (`is_current` false, `left_at` set) so the
    therapist's record stays whole; they may later join another couple.
    """

    __tablename__ = "partners"
    __table_args__ = (
        # One current couple per person, and one current person per slot. Partial
        # indexes because former memberships must not block a new one.
        Index(
            "uq_partners_current_person",
            "telegram_id",
            unique=True,
            sqlite_where=text("is_current"),
            postgresql_where=text("is_current"),
        ),
        Index(
            "uq_partners_current_slot",
            "couple_id",
            "slot",
            unique=True,
            sqlite_where=text("is_current"),
            postgresql_where=text("is_current"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    couple_id: int = Field(
        sa_column=Column(Integer, ForeignKey("couples.id"), nullable=False, index=True)
    )
    slot: int = Field(ge=1, le=2)
    telegram_id: int = Field(sa_type=BigInteger, index=True)
    display_name: str = Field(max_length=64)
    timezone: str = Field(default="UTC", max_length=64)
    delivery_time: str = Field(default="09:00", max_length=5)
    language: str = Field(default="en", max_length=8)
    share_with_therapist: bool = Field(default=False)
    share_with_partner: bool = Field(default=True)
    setup_done: bool = Field(default=False)
    is_current: bool = Field(default=True)
    consented_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    joined_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    left_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Invite(SQLModel, table=True):
    """A one-time link for one slot. Only the SHA-256 of the code is stored."""

    __tablename__ = "invites"

    id: int | None = Field(default=None, primary_key=True)
    couple_id: int = Field(
        sa_column=Column(Integer, ForeignKey("couples.id"), nullable=False, index=True)
    )
    slot: int = Field(ge=1, le=2)
    code_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    used_by: int | None = Field(default=None, sa_type=BigInteger)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ConversationState(SQLModel, table=True):
    """Where a user is inside a guided flow.

    Kept in the database, not in PTB's per-process persistence, so a step survives
    a restart and any instance behind a webhook load balancer can continue it.
    """

    __tablename__ = "conversation_states"

    telegram_id: int = Field(
        sa_type=BigInteger, primary_key=True, sa_column_kwargs={"autoincrement": False}
    )
    flow: str = Field(max_length=32)
    step: str = Field(max_length=32)
    data: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
