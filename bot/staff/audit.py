"""The staff audit log outside any one handoff: failed and limited logins, CSV exports, user
changes (rows of the `audit` table with handoff_id NULL). Never a password, never a patient's
details. Blocking; call from async code via asyncio.to_thread."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa

from bot.store.schema import audit

LOGIN_FAILED = "login_failed"
LOGIN_LOCKED = "login_locked"  # a client address reached the failed-login limit
LOGIN_SLOWED = "login_slowed"  # an account reached the point where its logins are delayed
LOGOUT = "logout"
CSV_EXPORT = "csv_export"
USER_ADDED = "user_added"
PASSWORD_CHANGED = "password_changed"
USER_DISABLED = "user_disabled"
USER_ENABLED = "user_enabled"
UNKNOWN_USER = "(unknown user)"  # a name that is no user is not kept: it may be a password


def record(
    connection: sa.engine.Connection, actor: str, action: str, note: str | None = None
) -> None:
    connection.execute(
        audit.insert().values(
            handoff_id=None,
            actor=actor[:80],
            action=action,
            note=note[:2000] if note else None,
            created_at=datetime.now(timezone.utc),
        )
    )


def log(engine: sa.engine.Engine, actor: str, action: str, note: str | None = None) -> None:
    with engine.begin() as connection:
        record(connection, actor, action, note)


def staff_events(engine: sa.engine.Engine, limit: int = 200) -> list[dict[str, Any]]:
    """The newest staff events (not tied to a handoff), newest first."""
    query = (
        sa.select(audit.c.actor, audit.c.action, audit.c.note, audit.c.created_at)
        .where(audit.c.handoff_id.is_(None))
        .order_by(audit.c.id.desc())
        .limit(limit)
    )
    with engine.connect() as connection:
        return [dict(row) for row in connection.execute(query).mappings()]
