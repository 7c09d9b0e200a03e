"""Staff see only the trials they work on (review 2026-12-01, finding 5): the staff_trials
table, one row per (staff user, nct_id).

A user with no row, the safe default (bot.staff.users.scope):
- an admin sees every trial (admins manage users and trials; their rows are not needed);
- a coordinator or viewer of a deployment that serves ONE trial is that trial's staff, so a
  one-trial deployment keeps working after this migration with no step by hand, and so do
  users added later by `staff add-user`;
- a coordinator or viewer of a deployment that serves SEVERAL trials (TRIALS) sees none until
  `python -m bot staff set-trials NAME NCT_ID...` names their trials. Adding a second trial
  to a deployment therefore hides records from unassigned users instead of showing them
  another study's patients.

This migration writes no rows: copying TRIALS at migration time would freeze a setting into
the data (and grant every existing user every trial of a several-trial deployment, the very
leak this fixes); the rule above needs no rows for a one-trial deployment.

Downgrade drops the table (the assignments are lost; staff see every trial again).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "staff_trials",
        sa.Column(
            "user_id",
            sa.Integer,
            sa.ForeignKey("staff_users.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("nct_id", sa.String(32), primary_key=True),
    )


def downgrade() -> None:
    op.drop_table("staff_trials")
