"""One deployment, several trials: handoffs gain trial (trial.yml nct_id), indexed, so the
inbox, CSV and API can filter by it. Records made before stay NULL: they are the default
trial's (the one trial a deployment served then).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("handoffs") as batch:
        batch.add_column(sa.Column("trial", sa.String(32), nullable=True))
    op.create_index("ix_handoffs_trial", "handoffs", ["trial"])


def downgrade() -> None:
    op.drop_index("ix_handoffs_trial", table_name="handoffs")
    with op.batch_alter_table("handoffs") as batch:
        batch.drop_column("trial")
