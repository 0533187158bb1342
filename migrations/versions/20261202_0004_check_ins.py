"""safety check-ins

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 11:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # AutoString columns render as sqlmodel.sql.sqltypes.AutoString
from alembic import op

import bot.db.types  # UTCDateTime


revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "check_ins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("telegram_id", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.Column("asked_at", bot.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("answer", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
        sa.Column("answered_at", bot.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_check_ins_telegram_id", "check_ins", ["telegram_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_check_ins_telegram_id", table_name="check_ins")
    op.drop_table("check_ins")
