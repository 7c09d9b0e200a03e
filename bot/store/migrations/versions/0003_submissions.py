"""Every submission kept: one handoff per submission (not per conversation); answers,
questions and staff notes encrypted like the contact details.

Existing rows keep their conversation id and get the submission id "legacy" (there was one
row per conversation, so the pair stays unique); their plain-text answers, questions and audit
notes are encrypted with the key in force (bot.store.crypto). Downgrade decrypts them again and
keeps only the oldest handoff of each conversation unique (it fails if a conversation has
several: delete or merge those first).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from collections.abc import Callable

import sqlalchemy as sa
from alembic import op

from bot.store import crypto

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _handoffs_table(unique_conversation: bool) -> sa.Table:
    """The handoffs table as it is after (or, unique_conversation=True, before) 0003."""
    columns = [
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("reference", sa.String(12), nullable=False, unique=True),
        sa.Column("conversation_id", sa.String(255), nullable=False, unique=unique_conversation),
    ]
    if not unique_conversation:
        columns.append(sa.Column("submission_id", sa.String(64), nullable=False))
    columns += [
        sa.Column("kind", sa.String(16), nullable=False, server_default="prescreen"),
        sa.Column("outcome", sa.String(32), nullable=False),
        sa.Column("status", sa.String(32), nullable=False, server_default="new"),
        sa.Column("answers", sa.Text, nullable=False),
        sa.Column("questions", sa.Text, nullable=False, server_default="[]"),
        sa.Column("contact", sa.Text, nullable=False),
        sa.Column("transcript", sa.Text, nullable=True),
        sa.Column("consent_version", sa.String(32), nullable=False),
        sa.Column("consent_at", sa.String(40), nullable=True),
        sa.Column("share_consent_at", sa.String(40), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    ]
    extra: list[sa.SchemaItem] = [sa.Index("ix_handoffs_created_at", "created_at")]
    if not unique_conversation:
        extra += [
            sa.Index("ix_handoffs_conversation_id", "conversation_id"),
            sa.UniqueConstraint("conversation_id", "submission_id", name="uq_handoffs_submission"),
        ]
    return sa.Table("handoffs", sa.MetaData(), *columns, *extra)


def _recode(
    table: str, columns: tuple[str, ...], change: Callable[[str | None], str | None]
) -> None:
    bind = op.get_bind()
    meta = sa.Table(
        table,
        sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True),
        *(sa.Column(name, sa.Text) for name in columns),
    )
    rows = bind.execute(sa.select(meta)).mappings().all()
    for row in rows:
        values = {}
        for name in columns:
            new = change(row[name])
            if new != row[name]:
                values[name] = new
        if values:
            bind.execute(meta.update().where(meta.c.id == row["id"]).values(**values))


def _encrypt(value: str | None) -> str | None:
    if value is None or crypto.is_token(value):
        return value
    return crypto.encrypt(value)


def _decrypt(value: str | None) -> str | None:
    if value is None or not crypto.is_token(value):
        return value
    return crypto.decrypt(value)


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        # SQLite cannot drop the unnamed unique constraint: rebuild the table (Alembic batch).
        with op.batch_alter_table(
            "handoffs", copy_from=_handoffs_table(unique_conversation=True), recreate="always"
        ) as batch:
            batch.add_column(
                sa.Column("submission_id", sa.String(64), nullable=False, server_default="legacy")
            )
        with op.batch_alter_table(
            "handoffs", copy_from=_handoffs_table(unique_conversation=False), recreate="always"
        ):
            pass
    else:
        op.add_column(
            "handoffs",
            sa.Column("submission_id", sa.String(64), nullable=False, server_default="legacy"),
        )
        op.alter_column("handoffs", "submission_id", server_default=None)
        op.drop_constraint("handoffs_conversation_id_key", "handoffs", type_="unique")
        op.create_index("ix_handoffs_conversation_id", "handoffs", ["conversation_id"])
        op.create_unique_constraint(
            "uq_handoffs_submission", "handoffs", ["conversation_id", "submission_id"]
        )
    _recode("handoffs", ("answers", "questions"), _encrypt)
    _recode("audit", ("note",), _encrypt)


def downgrade() -> None:
    _recode("handoffs", ("answers", "questions"), _decrypt)
    _recode("audit", ("note",), _decrypt)
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        with op.batch_alter_table(
            "handoffs", copy_from=_handoffs_table(unique_conversation=False), recreate="always"
        ) as batch:
            batch.drop_column("submission_id")
        with op.batch_alter_table(
            "handoffs", copy_from=_handoffs_table(unique_conversation=True), recreate="always"
        ):
            pass
    else:
        op.drop_constraint("uq_handoffs_submission", "handoffs", type_="unique")
        op.drop_index("ix_handoffs_conversation_id", table_name="handoffs")
        op.drop_column("handoffs", "submission_id")
        op.create_unique_constraint("handoffs_conversation_id_key", "handoffs", ["conversation_id"])
