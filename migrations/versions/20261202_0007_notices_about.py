"""notices: whose words a notice quotes, so erasure drops it

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 16:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("notices") as batch:
        batch.add_column(sa.Column("about_telegram_id", sa.BigInteger(), nullable=True))
    op.create_index("ix_notices_about_telegram_id", "notices", ["about_telegram_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_notices_about_telegram_id", table_name="notices")
    with op.batch_alter_table("notices") as batch:
        batch.drop_column("about_telegram_id")
