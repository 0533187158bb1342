"""when a partner started sharing with the therapist

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
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


def downgrade() -> None:
    with op.batch_alter_table("partners") as batch:
        batch.drop_column("therapist_sharing_since")
