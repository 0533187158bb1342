"""The tables. Timestamps are aware UTC; local times are computed, never stored.

Identity is the numeric Telegram user id (`telegram_id`), never the username,
which can change or be absent.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    UniqueConstraint,
    text,
)
from sqlmodel import Field, SQLModel

from bot.db import defaults
from bot.db.types import EnumText, UTCDateTime


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
    digest_enabled: bool = Field(default=True)  # the Monday 08:00 weekly digest
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
    last_brief_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # /brief window
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
    timezone: str = Field(default=defaults.TIMEZONE, max_length=64)
    delivery_time: str = Field(default=defaults.DELIVERY_TIME, max_length=5)
    language: str = Field(default=defaults.LANGUAGE, max_length=8)
    share_with_therapist: bool = Field(default=defaults.SHARE_WITH_THERAPIST)
    # When sharing with the therapist last started; None: everything (consent at setup,
    # or the partner chose to include earlier answers). See bot/services/visibility.py.
    therapist_sharing_since: datetime | None = Field(default=None, sa_type=UTCDateTime)
    share_with_partner: bool = Field(default=defaults.SHARE_WITH_PARTNER)
    setup_done: bool = Field(default=False)
    is_current: bool = Field(default=True)
    # Pause: paused_at set; paused_until None means "until /resume".
    paused_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    paused_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    quiet_start: str = Field(default=defaults.QUIET_START, max_length=5)
    quiet_end: str = Field(default=defaults.QUIET_END, max_length=5)
    # Set when Telegram answers 403 (the person blocked the bot); cleared when they return.
    unreachable_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Scheduled messages open with a bland line, so lock-screen previews reveal nothing.
    neutral_notifications: bool = Field(default=False)
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


class AssignmentStatus(StrEnum):
    """Where an assignment stands (stored as the value in `assignments.status`)."""

    ACTIVE = "active"
    PAUSED = "paused"  # by the therapist; nothing is sent, days are held
    CANCELLED = "cancelled"
    COMPLETED = "completed"  # a finite set whose last day has passed


class DeliveryStatus(StrEnum):
    """Where one delivery stands (stored as the value in `deliveries.status`)."""

    PLANNED = "planned"  # due at `due_at`
    SENDING = "sending"  # claimed by a dispatcher until `lease_until`
    SENT = "sent"
    DONE = "done"
    SKIPPED = "skipped"
    MISSED = "missed"  # past the grace window after downtime
    HELD = "held"  # the couple or the assignment was paused that day
    CANCELLED = "cancelled"
    FAILED = "failed"  # Telegram refused it for good
    UNREACHABLE = "unreachable"  # the partner had blocked the bot


class Assignment(SQLModel, table=True):
    """A set assigned to a couple, from a start date in each partner's own calendar."""

    __tablename__ = "assignments"

    id: int | None = Field(default=None, primary_key=True)
    couple_id: int = Field(
        sa_column=Column(Integer, ForeignKey("couples.id"), nullable=False, index=True)
    )
    set_slug: str = Field(max_length=64)
    start_date: date
    status: AssignmentStatus = Field(
        default=AssignmentStatus.ACTIVE, sa_type=EnumText(AssignmentStatus)
    )
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    paused_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Delivery(SQLModel, table=True):
    """One exercise for one partner on one day of an assignment: the unit of dispatch.

    The database is the source of truth for what is due. The unique key makes planning
    idempotent: planning the same occurrence twice never creates a second delivery.
    """

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint(
            "assignment_id", "partner_id", "day", "item", name="uq_delivery_occurrence"
        ),
        # The dispatcher's only queries: what is due (status, due_at) and what to remind.
        Index("ix_deliveries_status_due", "status", "due_at"),
        Index("ix_deliveries_remind_at", "remind_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    assignment_id: int = Field(
        sa_column=Column(Integer, ForeignKey("assignments.id"), nullable=False)
    )
    partner_id: int = Field(
        sa_column=Column(Integer, ForeignKey("partners.id"), nullable=False, index=True)
    )
    day: int  # 1-based day of the set; keeps counting in repeating sets
    item: int = 0  # position among the exercises of that day
    exercise_slug: str = Field(max_length=64)
    local_date: date  # the partner's calendar day this belongs to
    # When it should arrive (the partner's time that day); the grace window counts from it.
    scheduled_at: datetime = Field(sa_type=UTCDateTime)
    # When the dispatcher may next try: moves for retries, quiet hours and snoozes.
    due_at: datetime = Field(sa_type=UTCDateTime)
    status: DeliveryStatus = Field(default=DeliveryStatus.PLANNED, sa_type=EnumText(DeliveryStatus))
    attempts: int = 0
    unknown_outcomes: int = 0  # sends whose result never came back (may have arrived)
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Set (durably) just before the request to Telegram leaves, cleared when its answer is
    # recorded. A claim whose lease expired without it was never attempted: simply due
    # again. Only with it may the message have arrived (an unknown outcome).
    send_started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    telegram_message_id: int | None = Field(default=None, sa_type=BigInteger)
    completed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    remind_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    reminders_sent: int = 0
    last_error: str | None = Field(default=None, max_length=200)


class Response(SQLModel, table=True):
    """A partner's answer to one delivery. Free text is stored only encrypted."""

    __tablename__ = "responses"

    id: int | None = Field(default=None, primary_key=True)
    delivery_id: int = Field(
        sa_column=Column(Integer, ForeignKey("deliveries.id"), nullable=False, unique=True)
    )
    partner_id: int = Field(
        sa_column=Column(Integer, ForeignKey("partners.id"), nullable=False, index=True)
    )
    text_ct: bytes | None = Field(default=None, sa_type=LargeBinary)  # see bot/services/crypto.py
    value: int | None = None  # scale 1-5, or the index of the chosen option
    # The partner's Telegram message holding the text, so editing it edits the answer.
    message_id: int | None = Field(default=None, sa_type=BigInteger)
    rating: int | None = None  # "How helpful was this?" 1-5
    answered_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    revealed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # shared: swap sent


class FlagKind(StrEnum):
    """What raised a `Flag` (stored as its value in `Flag.kind`, at most 16 characters)."""

    CRISIS = "crisis"  # the crisis-language screen
    CHECK_IN = "check_in"  # an answer to a safety check-in: "Not sure" / "I need help"
    HELP_NOW = "help_now"  # the "I need help now" button


class Flag(SQLModel, table=True):
    """A private signal for the therapist, e.g. crisis language. Never shown to the partner.

    Open until the therapist marks it as seen (`seen_at`, /flags or the flag's button).
    """

    __tablename__ = "flags"

    id: int | None = Field(default=None, primary_key=True)
    partner_id: int = Field(
        sa_column=Column(Integer, ForeignKey("partners.id"), nullable=False, index=True)
    )
    kind: str = Field(default=FlagKind.CRISIS.value, max_length=16)  # a FlagKind
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    seen_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class TellMessage(SQLModel, table=True):
    """A /tell message or the therapist's reply, kept for the therapist's /export.

    The therapist's own correspondence: never shown to the other partner. The text is
    encrypted; /deleteme and RETENTION_DAYS erase it (the row, without text, stays).
    """

    __tablename__ = "tell_messages"

    id: int | None = Field(default=None, primary_key=True)
    partner_id: int = Field(
        sa_column=Column(Integer, ForeignKey("partners.id"), nullable=False, index=True)
    )
    therapist_id: int = Field(
        sa_column=Column(Integer, ForeignKey("therapists.id"), nullable=False, index=True)
    )
    direction: str = Field(max_length=16)  # "to_therapist" | "to_partner"
    text_ct: bytes | None = Field(default=None, sa_type=LargeBinary)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class SafetyPlan(SQLModel, table=True):
    """A person's private safety plan (encrypted); nobody else ever reads it."""

    __tablename__ = "safety_plans"

    telegram_id: int = Field(
        sa_type=BigInteger, primary_key=True, sa_column_kwargs={"autoincrement": False}
    )
    text_ct: bytes = Field(sa_type=LargeBinary)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class CheckInAnswer(StrEnum):
    """How a person answered a safety check-in (stored as the value in `CheckIn.answer`)."""

    SAFE = "safe"
    NOT_SURE = "not_sure"
    NEED_HELP = "need_help"


class CheckIn(SQLModel, table=True):
    """A private "are you safe right now?" the screen asked; never the words that led to it.

    Kept to ask at most a few a day per person and never twice about the same message
    (an edit of it included); `answer` is a CheckInAnswer, None while unanswered.
    """

    __tablename__ = "check_ins"

    id: int | None = Field(default=None, primary_key=True)
    telegram_id: int = Field(sa_type=BigInteger, index=True)
    message_id: int | None = Field(default=None, sa_type=BigInteger)  # the message screened
    asked_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    answer: str | None = Field(default=None, max_length=16)
    answered_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class NoticeKind(StrEnum):
    """Why a notice is sent (for logs and erasure; the text says the rest)."""

    UNREACHABLE = "unreachable"  # a partner blocked the bot: told to their therapist
    JOINED = "joined"
    LEFT = "left"
    FLAG = "flag"
    TELL = "tell"  # a /tell message or the therapist's reply to one
    PAUSE = "pause"
    ARCHIVED = "archived"
    ASSIGNED = "assigned"
    PARTNER = "partner"  # the other partner answered, a reveal, a nudge


class Notice(SQLModel, table=True):
    """A message to one person that must arrive: the outbox.

    Written before the first attempt and deleted once Telegram accepted it, so a crash or
    a transient error never drops it; the dispatcher retries it with backoff. The text is
    encrypted (it can quote what a partner wrote, e.g. a /tell).
    """

    __tablename__ = "notices"
    __table_args__ = (Index("ix_notices_due", "lease_until", "due_at"),)

    id: int | None = Field(default=None, primary_key=True)
    telegram_id: int = Field(sa_type=BigInteger, index=True)
    # Whose words the text quotes (a reveal, a letter, a /tell), so erasing that person
    # also drops the notices still waiting to quote them; None when it quotes no one.
    about_telegram_id: int | None = Field(default=None, sa_type=BigInteger, index=True)
    kind: str = Field(max_length=16)  # a NoticeKind
    text_ct: bytes = Field(sa_type=LargeBinary)
    markup: str | None = None  # the inline keyboard as Bot API JSON
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    due_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # Claimed by a sender until then (a crashed sender's claim simply expires).
    lease_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    attempts: int = 0
    last_error: str | None = Field(default=None, max_length=200)


class AuditEntry(SQLModel, table=True):
    """Append-only: who looked at or changed what, whose, when."""

    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    actor: str = Field(max_length=64)  # "therapist:<telegram id>", "operator"
    action: str = Field(max_length=32)  # "report", "export", "brief", "therapist.add", ...
    subject: str = Field(default="", max_length=64)  # couple public id, telegram id, ...
    detail: str = Field(default="", max_length=200)


class ProcessedUpdate(SQLModel, table=True):
    """Update ids already handled, so a replayed webhook request does nothing twice."""

    __tablename__ = "processed_updates"

    update_id: int = Field(
        sa_type=BigInteger, primary_key=True, sa_column_kwargs={"autoincrement": False}
    )
    processed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
