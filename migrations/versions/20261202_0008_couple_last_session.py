"""couples: the date of the last session, the default start of a brief

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 19:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("couples") as batch:
        batch.add_column(sa.Column("last_session_on", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("couples") as batch:
        batch.drop_column("last_session_on")
