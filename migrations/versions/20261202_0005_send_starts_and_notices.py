"""send starts and the notice outbox

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # AutoString columns render as sqlmodel.sql.sqltypes.AutoString
from alembic import op

import bot.db.types  # UTCDateTime


revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        batch.add_column(
            sa.Column("send_started_at", bot.db.types.UTCDateTime(timezone=True), nullable=True)
        )
    op.create_table(
        "notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("telegram_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("text_ct", sa.LargeBinary(), nullable=False),
        sa.Column("markup", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("created_at", bot.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("due_at", bot.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("lease_until", bot.db.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_notices_telegram_id", "notices", ["telegram_id"], unique=False)
    op.create_index("ix_notices_due", "notices", ["lease_until", "due_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_notices_due", table_name="notices")
    op.drop_index("ix_notices_telegram_id", table_name="notices")
    op.drop_table("notices")
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_column("send_started_at")
