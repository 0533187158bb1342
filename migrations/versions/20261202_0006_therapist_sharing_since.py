"""when a partner started sharing with the therapist; /tell messages kept for the export

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # AutoString columns render as sqlmodel.sql.sqltypes.AutoString
from alembic import op

import bot.db.types  # UTCDateTime


revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Existing rows keep NULL: whoever shares today agreed at setup, before writing.
    with op.batch_alter_table("partners") as batch:
        batch.add_column(
            sa.Column(
                "therapist_sharing_since", bot.db.types.UTCDateTime(timezone=True), nullable=True
            )
        )
    op.create_table(
        "tell_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("therapist_id", sa.Integer(), nullable=False),
        sa.Column("direction", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("text_ct", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", bot.db.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["partner_id"], ["partners.id"]),
        sa.ForeignKeyConstraint(["therapist_id"], ["therapists.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_tell_messages_partner_id", "tell_messages", ["partner_id"], unique=False)
    op.create_index(
        "ix_tell_messages_therapist_id", "tell_messages", ["therapist_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_tell_messages_therapist_id", table_name="tell_messages")
    op.drop_index("ix_tell_messages_partner_id", table_name="tell_messages")
    op.drop_table("tell_messages")
    with op.batch_alter_table("partners") as batch:
        batch.drop_column("therapist_sharing_since")
