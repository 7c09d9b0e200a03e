"""Every handoff names its trial: records made before 0007 (trial NULL) get the nct_id of the
deployment's default trial at the time of this migration (the first of TRIALS, else TRIAL, else
DEFAULT_TRIAL: the one trial a deployment served before 0007), then the column is NOT NULL. A
later change of TRIALS' order no longer moves old records to another study.

Downgrade makes the column nullable again and keeps the values (which records were NULL is
not known any more; they stay the default trial's, as 0007 read them).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def default_nct_id() -> str:
    from bot import content

    return content.default_nct_id()[:32]


def upgrade() -> None:
    handoffs = sa.table("handoffs", sa.column("trial", sa.String(32)))
    op.execute(handoffs.update().where(handoffs.c.trial.is_(None)).values(trial=default_nct_id()))
    with op.batch_alter_table("handoffs") as batch:
        batch.alter_column("trial", existing_type=sa.String(32), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("handoffs") as batch:
        batch.alter_column("trial", existing_type=sa.String(32), nullable=True)
