"""The work queue: record versions, assignment, contact attempts, search index, roles, API
tokens per integration, daily digests in the outbox.

handoffs gains version (bumped by every staff change: the stale-edit check), assigned_to,
last_contact_at and search_indexed (NULL until bot.store.search has indexed the record; the app
indexes such records on start, so nothing here needs the keys). New tables: handoff_search
(keyed hashes of name, email and phone), contact_attempts and api_tokens. staff_users gains
role: the users made before this revision could do everything, so they become admins.
outbox gains kind, digest_key and payload, and handoff_id becomes nullable (a daily digest
belongs to no one handoff).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("handoffs") as batch:
        batch.add_column(sa.Column("version", sa.Integer, nullable=False, server_default="1"))
        batch.add_column(sa.Column("assigned_to", sa.String(80), nullable=True))
        batch.add_column(sa.Column("last_contact_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("search_indexed", sa.Integer, nullable=True))
    op.create_index("ix_handoffs_status", "handoffs", ["status"])
    op.create_index("ix_handoffs_assigned_to", "handoffs", ["assigned_to"])
    op.create_table(
        "handoff_search",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("handoff_id", sa.Integer, sa.ForeignKey("handoffs.id"), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
    )
    op.create_index("ix_handoff_search_digest", "handoff_search", ["digest"])
    op.create_index("ix_handoff_search_handoff_id", "handoff_search", ["handoff_id"])
    op.create_table(
        "contact_attempts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("handoff_id", sa.Integer, sa.ForeignKey("handoffs.id"), nullable=False),
        sa.Column("actor", sa.String(80), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("result", sa.String(16), nullable=False),
        sa.Column("next_step", sa.Text, nullable=True),
        sa.Column("note", sa.Text, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_contact_attempts_handoff_id", "contact_attempts", ["handoff_id"])
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(80), nullable=False, unique=True),
        sa.Column("token_sha256", sa.String(64), nullable=False, unique=True),
        sa.Column("role", sa.String(16), nullable=False, server_default="coordinator"),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    )
    with op.batch_alter_table("staff_users") as batch:
        batch.add_column(
            sa.Column("role", sa.String(16), nullable=False, server_default="coordinator")
        )
    op.execute("update staff_users set role = 'admin'")
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("kind", sa.String(16), nullable=False, server_default="handoff"))
        batch.add_column(sa.Column("digest_key", sa.String(40), nullable=True))
        batch.add_column(sa.Column("payload", sa.Text, nullable=True))
        batch.alter_column("handoff_id", existing_type=sa.Integer, nullable=True)
        batch.create_unique_constraint("uq_outbox_digest_channel", ["digest_key", "channel"])


def downgrade() -> None:
    op.execute("delete from outbox where handoff_id is null")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_constraint("uq_outbox_digest_channel", type_="unique")
        batch.alter_column("handoff_id", existing_type=sa.Integer, nullable=False)
        batch.drop_column("payload")
        batch.drop_column("digest_key")
        batch.drop_column("kind")
    with op.batch_alter_table("staff_users") as batch:
        batch.drop_column("role")
    op.drop_table("api_tokens")
    op.drop_index("ix_contact_attempts_handoff_id", table_name="contact_attempts")
    op.drop_table("contact_attempts")
    op.drop_index("ix_handoff_search_handoff_id", table_name="handoff_search")
    op.drop_index("ix_handoff_search_digest", table_name="handoff_search")
    op.drop_table("handoff_search")
    op.drop_index("ix_handoffs_assigned_to", table_name="handoffs")
    op.drop_index("ix_handoffs_status", table_name="handoffs")
    with op.batch_alter_table("handoffs") as batch:
        batch.drop_column("search_indexed")
        batch.drop_column("last_contact_at")
        batch.drop_column("assigned_to")
        batch.drop_column("version")
