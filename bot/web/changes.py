"""The staff app's and API's changes to a handoff (blocking; run via asyncio.to_thread):
status and note, contact attempts, assignment; each one compare-and-set on the record's version
with its audit row, in one transaction. The reads are bot.web.queries."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa

from bot.staff import funnel, workflow
from bot.store import crypto
from bot.store.schema import audit, contact_attempts, handoffs
from bot.web.queries import (
    MAX_NOTE_LENGTH,
    STATUSES,
    Change,
    Conflict,
    InvalidChange,
    NotFound,
    Scope,
    Stale,
    encodable,
    in_scope,
)


def _text(value: str | None, what: str) -> str | None:
    value = (value or "").strip() or None
    if value is not None and len(value) > MAX_NOTE_LENGTH:
        raise InvalidChange(f"{what} must be at most {MAX_NOTE_LENGTH} characters")
    if value is not None and not encodable(value):
        raise InvalidChange(f"{what} must be valid text (no lone surrogates)")
    return value


def _current(
    connection: Any, handoff_id: int, expected_version: int | None, scope: Scope = None
) -> Any:
    row = connection.execute(
        sa.select(handoffs.c.status, handoffs.c.kind, handoffs.c.version).where(
            handoffs.c.id == handoff_id, in_scope(scope)
        )
    ).first()
    if row is None:
        raise NotFound(handoff_id)
    if expected_version is not None and int(row.version) != expected_version:
        raise Stale(int(row.version))
    return row


def _bump(connection: Any, handoff_id: int, row: Any, now: datetime, **values: Any) -> None:
    """Compare-and-set on status and version: a concurrent change makes this a conflict."""
    updated = connection.execute(
        handoffs.update()
        .where(
            handoffs.c.id == handoff_id,
            handoffs.c.status == row.status,
            handoffs.c.version == row.version,
        )
        .values(updated_at=now, version=handoffs.c.version + 1, **values)
    )
    if updated.rowcount != 1:
        raise Stale(int(row.version) + 1)


def _audit_row(
    connection: Any,
    handoff_id: int,
    actor: str,
    action: str,
    old: str | None,
    new: str | None,
    note: str | None,
    now: datetime,
) -> None:
    # The funnel counts the first move into contacted, scheduled or enrolled (before this row).
    funnel.count_transition(connection, handoff_id, old, new)
    connection.execute(
        audit.insert().values(
            handoff_id=handoff_id,
            actor=actor[:80],
            action=action,
            old_status=old,
            new_status=new,
            note=crypto.encrypt(note) if note is not None else None,
            created_at=now,
        )
    )


def change_status(
    engine: sa.engine.Engine,
    handoff_id: int,
    *,
    actor: str,
    new_status: str | None,
    note: str | None,
    expected_version: int | None = None,
    scope: Scope = None,
) -> Change:
    """Move a handoff along its workflow and/or add a note, with one audit row, atomically.

    A new_status equal to the current one (or None) with a note records just the note.
    expected_version: the version the user saw; another one raises Stale (nothing saved).
    """
    note = _text(note, "note")
    if new_status is not None and new_status not in STATUSES:
        raise InvalidChange(f"status must be one of {', '.join(STATUSES)}")
    now = datetime.now(timezone.utc)
    with engine.begin() as connection:
        row = _current(connection, handoff_id, expected_version, scope)
        old = str(row.status)
        if new_status is None or new_status == old:
            if note is None:
                raise InvalidChange("nothing to change: give a new status or a note")
            action, target = "note", old
        else:
            if new_status not in workflow.transitions(str(row.kind)).get(old, ()):
                raise Conflict(f"cannot change status from {old} to {new_status}")
            action, target = "status", new_status
        _bump(connection, handoff_id, row, now, status=target)
        _audit_row(connection, handoff_id, actor, action, old, target, note, now)
    return Change(handoff_id, old, target, action)


def log_attempt(
    engine: sa.engine.Engine,
    handoff_id: int,
    *,
    actor: str,
    channel: str,
    result: str,
    next_step: str | None = None,
    note: str | None = None,
    expected_version: int | None = None,
    scope: Scope = None,
) -> Change:
    """Log a call, e-mail or text and its result; audited; reaching a new prescreen person
    makes the record contacted (bot.staff.workflow.after_attempt)."""
    if channel not in workflow.CHANNELS:
        raise InvalidChange(f"channel must be one of {', '.join(workflow.CHANNELS)}")
    if result not in workflow.RESULTS:
        raise InvalidChange(f"result must be one of {', '.join(workflow.RESULTS)}")
    next_step = _text(next_step, "next step")
    note = _text(note, "note")
    now = datetime.now(timezone.utc)
    with engine.begin() as connection:
        row = _current(connection, handoff_id, expected_version, scope)
        old = str(row.status)
        target = workflow.after_attempt(str(row.kind), old, result) or old
        _bump(connection, handoff_id, row, now, status=target, last_contact_at=now)
        connection.execute(
            contact_attempts.insert().values(
                handoff_id=handoff_id,
                actor=actor[:80],
                channel=channel,
                result=result,
                next_step=crypto.encrypt(next_step) if next_step else None,
                note=crypto.encrypt(note) if note else None,
                created_at=now,
            )
        )
        summary = f"{workflow.CHANNEL_LABELS[channel]}: {workflow.RESULT_LABELS[result]}"
        if next_step:
            summary += f". Next: {next_step}"
        if note:
            summary += f". {note}"
        _audit_row(connection, handoff_id, actor, "contact_attempt", old, target, summary, now)
    return Change(handoff_id, old, target, "contact_attempt")


def assign(
    engine: sa.engine.Engine,
    handoff_id: int,
    *,
    actor: str,
    assignee: str | None,
    expected_version: int | None = None,
    scope: Scope = None,
) -> Change:
    """Give the record to a coordinator (None: to nobody); audited."""
    from bot.staff import users as staff

    if assignee is not None and not staff.can_be_assigned(engine, assignee):
        raise InvalidChange("assign to an active coordinator or admin")
    now = datetime.now(timezone.utc)
    with engine.begin() as connection:
        row = _current(connection, handoff_id, expected_version, scope)
        _bump(connection, handoff_id, row, now, assigned_to=assignee)
        _audit_row(
            connection,
            handoff_id,
            actor,
            "assigned",
            str(row.status),
            str(row.status),
            f"assigned to {assignee}" if assignee else "unassigned",
            now,
        )
    return Change(handoff_id, str(row.status), str(row.status), "assigned")
