"""Tables of the handoff database (handoffs, outbox, staff users, audit trail).

Changed only through Alembic migrations in bot/migrations/versions/.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

handoffs = sa.Table(
    "handoffs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("reference", sa.String(12), nullable=False, unique=True),
    # One conversation may hand over several times: one row per submission (migration 0003).
    sa.Column("conversation_id", sa.String(255), nullable=False, index=True),
    sa.Column("submission_id", sa.String(64), nullable=False),
    # prescreen (from the prescreen) or question (someone asked to reach the team)
    sa.Column("kind", sa.String(16), nullable=False, server_default="prescreen"),
    # likely_eligible | needs_review | question
    sa.Column("outcome", sa.String(32), nullable=False),
    # new -> contacted -> scheduled -> not_a_fit | enrolled
    sa.Column("status", sa.String(32), nullable=False, server_default="new"),
    # Encrypted JSON (bot.crypto): answers and per-question reasons; open questions (a list).
    sa.Column("answers", sa.Text, nullable=False),
    sa.Column("questions", sa.Text, nullable=False, server_default="[]"),
    sa.Column("contact", sa.Text, nullable=False),  # encrypted JSON (bot.crypto)
    sa.Column("transcript", sa.Text, nullable=True),  # encrypted JSON [{who, text}]
    sa.Column("consent_version", sa.String(32), nullable=False),
    sa.Column("consent_at", sa.String(40), nullable=True),
    sa.Column("share_consent_at", sa.String(40), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.UniqueConstraint("conversation_id", "submission_id", name="uq_handoffs_submission"),
)

# One row per handoff and channel, written in the same transaction as the handoff, so a
# notification is never lost; the worker marks it sent exactly once.
outbox = sa.Table(
    "outbox",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("handoff_id", sa.Integer, sa.ForeignKey("handoffs.id"), nullable=False),
    sa.Column("channel", sa.String(16), nullable=False),  # email | webhook
    sa.Column("status", sa.String(16), nullable=False, server_default="pending"),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
    sa.UniqueConstraint("handoff_id", "channel", name="uq_outbox_handoff_channel"),
)

staff_users = sa.Table(
    "staff_users",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("username", sa.String(80), nullable=False, unique=True),
    sa.Column("password_hash", sa.Text, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    # Carried in each session cookie; bumped by logout, a password change or disable-user,
    # which ends every session of the user at once (migration 0004).
    sa.Column("session_version", sa.Integer, nullable=False, server_default="0"),
    sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True),
)

# Staff actions on a handoff (status, note), and with handoff_id NULL: logins that failed or
# were limited, CSV exports and user changes. Never a password.
audit = sa.Table(
    "audit",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("handoff_id", sa.Integer, sa.ForeignKey("handoffs.id"), nullable=True),
    sa.Column("actor", sa.String(80), nullable=False),
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("old_status", sa.String(32), nullable=True),
    sa.Column("new_status", sa.String(32), nullable=True),
    sa.Column("note", sa.Text, nullable=True),  # encrypted (bot.crypto) since 0003
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

# The recruitment funnel (migration 0006): one counter per trial, day, event and key, never a
# row per person. key is "" or a criterion id, a result or a handoff kind (bot/funnel.py);
# day is the study's local day (WORK_TIMEZONE).
funnel_counts = sa.Table(
    "funnel_counts",
    metadata,
    sa.Column("trial", sa.String(32), primary_key=True),
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("event", sa.String(32), primary_key=True),
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("count", sa.Integer, nullable=False, server_default="0"),
)
