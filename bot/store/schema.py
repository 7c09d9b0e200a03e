"""Tables of the handoff database (handoffs, outbox, staff users, audit trail).

Changed only through Alembic migrations in bot/store/migrations/versions/.
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
    # the workflow of bot.staff.workflow (prescreen: new -> contacted -> scheduled -> enrolled ...;
    # question: new -> answered -> closed)
    sa.Column("status", sa.String(32), nullable=False, server_default="new"),
    # Encrypted JSON (bot.store.crypto): answers and per-question reasons; open questions (a list).
    sa.Column("answers", sa.Text, nullable=False),
    sa.Column("questions", sa.Text, nullable=False, server_default="[]"),
    sa.Column("contact", sa.Text, nullable=False),  # encrypted JSON (bot.store.crypto)
    sa.Column("transcript", sa.Text, nullable=True),  # encrypted JSON [{who, text}]
    sa.Column("consent_version", sa.String(32), nullable=False),
    sa.Column("consent_at", sa.String(40), nullable=True),
    sa.Column("share_consent_at", sa.String(40), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    # Migration 0005: bumped by every staff change (stale-edit check, 409 on the API).
    sa.Column("version", sa.Integer, nullable=False, server_default="1"),
    sa.Column("assigned_to", sa.String(80), nullable=True),  # a staff username
    sa.Column("last_contact_at", sa.DateTime(timezone=True), nullable=True),
    # 1 once the search index (handoff_search) holds this record's keys; NULL: not yet.
    sa.Column("search_indexed", sa.Integer, nullable=True),
    # Migration 0007: the trial (trial.yml nct_id) of a deployment serving several; 0008: the
    # records made before 0007 got the default trial's, and every record has one.
    sa.Column("trial", sa.String(32), nullable=False, index=True),
    sa.UniqueConstraint("conversation_id", "submission_id", name="uq_handoffs_submission"),
)

# Keyed hashes (HMAC-SHA256, bot.store.search) of a record's normalised name, name parts, email and
# phone, so staff can find a record by them while the contact details stay encrypted.
handoff_search = sa.Table(
    "handoff_search",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("handoff_id", sa.Integer, sa.ForeignKey("handoffs.id"), nullable=False),
    sa.Column("digest", sa.String(64), nullable=False, index=True),
)

# Each call, e-mail or text to the person (migration 0005); note and next step encrypted.
contact_attempts = sa.Table(
    "contact_attempts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("handoff_id", sa.Integer, sa.ForeignKey("handoffs.id"), nullable=False, index=True),
    sa.Column("actor", sa.String(80), nullable=False),
    sa.Column("channel", sa.String(16), nullable=False),  # call | email | text
    sa.Column("result", sa.String(16), nullable=False),  # reached | left_message | ...
    sa.Column("next_step", sa.Text, nullable=True),  # encrypted
    sa.Column("note", sa.Text, nullable=True),  # encrypted
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

# One bearer token per integration (migration 0005): only a SHA-256 of the token is kept;
# the audit trail names the integration ("api:NAME").
api_tokens = sa.Table(
    "api_tokens",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String(80), nullable=False, unique=True),
    sa.Column("token_sha256", sa.String(64), nullable=False, unique=True),
    sa.Column("role", sa.String(16), nullable=False, server_default="coordinator"),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
)

# One row per handoff and channel, written in the same transaction as the handoff, so a
# notification is never lost; the worker marks it sent exactly once. Since 0005 also one row
# per daily digest and channel (kind "digest", handoff_id NULL, digest_key the day).
outbox = sa.Table(
    "outbox",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("handoff_id", sa.Integer, sa.ForeignKey("handoffs.id"), nullable=True),
    sa.Column("kind", sa.String(16), nullable=False, server_default="handoff"),
    sa.Column("digest_key", sa.String(40), nullable=True),
    sa.Column("payload", sa.Text, nullable=True),  # the digest: JSON, no personal details
    sa.Column("channel", sa.String(16), nullable=False),  # email | webhook
    sa.Column("status", sa.String(16), nullable=False, server_default="pending"),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
    sa.UniqueConstraint("handoff_id", "channel", name="uq_outbox_handoff_channel"),
    sa.UniqueConstraint("digest_key", "channel", name="uq_outbox_digest_channel"),
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
    # admin | coordinator | viewer (migration 0005; users made before it are admins)
    sa.Column("role", sa.String(16), nullable=False, server_default="coordinator"),
)

# Which trials (nct_id) a staff user works on (migration 0009). Admins see every trial; a
# coordinator or viewer sees only the trials listed here, or, with no row at all, the one trial
# of a one-trial deployment (none when the deployment serves several): bot.staff.users.scope.
staff_trials = sa.Table(
    "staff_trials",
    metadata,
    sa.Column(
        "user_id",
        sa.Integer,
        sa.ForeignKey("staff_users.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("nct_id", sa.String(32), primary_key=True),
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
    sa.Column("note", sa.Text, nullable=True),  # encrypted (bot.store.crypto) since 0003
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

# The recruitment funnel (migration 0006): one counter per trial, day, event and key, never a
# row per person. key is "" or a criterion id, a result or a handoff kind (bot/staff/funnel.py);
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
