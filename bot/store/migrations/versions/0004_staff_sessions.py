"""Revocable staff sessions and a staff audit log.

staff_users gains session_version (a session cookie carries the version it was issued with;
logout, a password change or disabling the user bumps it, which ends every session of that
user) and disabled_at. audit.handoff_id becomes nullable, so logins, lockouts, CSV exports and
user changes can be audited too (they belong to no handoff).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("staff_users") as batch:
        batch.add_column(
            sa.Column("session_version", sa.Integer, nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("audit") as batch:
        batch.alter_column("handoff_id", existing_type=sa.Integer, nullable=True)
    op.create_index("ix_audit_created_at", "audit", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_audit_created_at", table_name="audit")
    op.execute("delete from audit where handoff_id is null")
    with op.batch_alter_table("audit") as batch:
        batch.alter_column("handoff_id", existing_type=sa.Integer, nullable=False)
    with op.batch_alter_table("staff_users") as batch:
        batch.drop_column("disabled_at")
        batch.drop_column("session_version")
