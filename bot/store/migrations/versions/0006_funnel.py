"""Recruitment funnel counters: one row per trial, day, event and key (bot/staff/funnel.py).

Only counts: no conversation id, no text, no answer beyond the criterion id of a not-eligible
reason. Independent of the other tables, so it can follow any revision.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "funnel_counts",
        sa.Column("trial", sa.String(32), nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("event", sa.String(32), nullable=False),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("count", sa.Integer, nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("trial", "day", "event", "key", name="pk_funnel_counts"),
    )
    op.create_index("ix_funnel_counts_day", "funnel_counts", ["day"])


def downgrade() -> None:
    op.drop_index("ix_funnel_counts_day", table_name="funnel_counts")
    op.drop_table("funnel_counts")
