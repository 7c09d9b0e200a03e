"""Every database read and write of the staff app and API (blocking; run via asyncio.to_thread)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa
from cryptography.fernet import InvalidToken

from bot import crypto, funnel
from bot.handoff import decode
from bot.schema import audit, handoffs, outbox

log = logging.getLogger(__name__)

OUTCOMES = ("likely_eligible", "needs_review", "question")
STATUSES = ("new", "contacted", "scheduled", "not_a_fit", "enrolled")
# The workflow: new -> contacted -> scheduled -> not_a_fit | enrolled. Anyone may be found not
# to be a fit at any open step, and a mistaken "not a fit" can be reopened as contacted.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "new": ("contacted", "not_a_fit"),
    "contacted": ("scheduled", "not_a_fit"),
    "scheduled": ("enrolled", "not_a_fit"),
    "not_a_fit": ("contacted",),
    "enrolled": (),
}
MAX_NOTE_LENGTH = 2000
EMPTY_CONTACT = {"name": None, "email": None, "phone": None, "best_time": None}
# Only in a caregiver's prescreen: {"name", "relation", "patient_is", ...} and who to call.
CAREGIVER_CONTACT = ("answered_by", "call")


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class NotFound(LookupError):
    pass


class InvalidChange(ValueError):
    pass


class Conflict(RuntimeError):
    """The status changed underneath us (another user) or the transition is not allowed."""


@dataclass(frozen=True)
class Change:
    handoff_id: int
    old_status: str
    new_status: str
    action: str  # status | note


def utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes (stored as UTC); PostgreSQL aware ones."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc)


def _record(row: Any) -> dict[str, Any]:
    raw = dict(row)
    try:
        record = decode(raw)
    except (InvalidToken, ValueError):
        # Never log the content; the id is enough to find it.
        log.warning("handoff %s could not be decoded (wrong HANDOFF_KEY?)", raw.get("id"))
        raw["answers"] = raw["answers"] if isinstance(raw["answers"], dict) else {}
        raw["questions"] = raw["questions"] if isinstance(raw["questions"], list) else []
        raw["contact"] = dict(EMPTY_CONTACT)
        raw["transcript"] = []
        raw["undecodable"] = True
        record = raw
    contact = record["contact"] if isinstance(record["contact"], dict) else {}
    record["contact"] = {key: contact.get(key) for key in EMPTY_CONTACT}
    record["contact"].update({key: contact[key] for key in CAREGIVER_CONTACT if key in contact})
    if not isinstance(record["answers"], dict):
        record["answers"] = {}
    if not isinstance(record["questions"], list):
        record["questions"] = []
    record["created_at"] = utc(record["created_at"])
    record["updated_at"] = utc(record["updated_at"])
    return record


def validate_filters(outcome: str | None, status: str | None) -> None:
    if outcome and outcome not in OUTCOMES:
        raise InvalidChange(f"outcome must be one of {', '.join(OUTCOMES)}")
    if status and status not in STATUSES:
        raise InvalidChange(f"status must be one of {', '.join(STATUSES)}")


def _related(connection: Any, records: list[dict[str, Any]]) -> None:
    """record["related"]: the other handoffs of the same conversation, oldest first."""
    conversations = {record["conversation_id"] for record in records}
    by_conversation: dict[str, list[dict[str, Any]]] = {}
    if conversations:
        rows = connection.execute(
            sa.select(
                handoffs.c.id,
                handoffs.c.reference,
                handoffs.c.kind,
                handoffs.c.outcome,
                handoffs.c.conversation_id,
            )
            .where(handoffs.c.conversation_id.in_(sorted(conversations)))
            .order_by(handoffs.c.id)
        ).all()
        for row in rows:
            by_conversation.setdefault(row.conversation_id, []).append(
                {"id": row.id, "reference": row.reference, "kind": row.kind, "outcome": row.outcome}
            )
    for record in records:
        siblings = by_conversation.get(record["conversation_id"], [])
        record["related"] = [entry for entry in siblings if entry["id"] != record["id"]]


def list_handoffs(
    engine: sa.engine.Engine,
    *,
    outcome: str | None = None,
    status: str | None = None,
    conversation_id: str | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """Handoffs newest first, decoded; filters must already be validated."""
    validate_filters(outcome, status)
    query = sa.select(handoffs).order_by(handoffs.c.created_at.desc(), handoffs.c.id.desc())
    if outcome:
        query = query.where(handoffs.c.outcome == outcome)
    if status:
        query = query.where(handoffs.c.status == status)
    if conversation_id:
        query = query.where(handoffs.c.conversation_id == conversation_id)
    if limit is not None:
        query = query.limit(limit)
    if offset:
        query = query.offset(offset)
    with engine.connect() as connection:
        rows = connection.execute(query).mappings().all()
        ids = [row["id"] for row in rows]
        # Handoffs whose notice could not be delivered (a channel gave up): flagged in the list.
        undelivered = set(
            connection.execute(
                sa.select(outbox.c.handoff_id)
                .where(outbox.c.status == "failed", outbox.c.handoff_id.in_(ids))
                .distinct()
            ).scalars()
        )
        records = [_record(row) for row in rows]
        _related(connection, records)
    for record in records:
        record["undelivered"] = record["id"] in undelivered
    return records


def get_handoff(engine: sa.engine.Engine, handoff_id: int) -> dict[str, Any]:
    with engine.connect() as connection:
        row = (
            connection.execute(sa.select(handoffs).where(handoffs.c.id == handoff_id))
            .mappings()
            .first()
        )
        if row is None:
            raise NotFound(handoff_id)
        record = _record(row)
        _related(connection, [record])
    return record


def audit_trail(engine: sa.engine.Engine, handoff_id: int) -> list[dict[str, Any]]:
    query = (
        sa.select(audit)
        .where(audit.c.handoff_id == handoff_id)
        .order_by(audit.c.created_at, audit.c.id)
    )
    with engine.connect() as connection:
        rows = connection.execute(query).mappings().all()
    trail = []
    for row in rows:
        entry = dict(row)
        entry["created_at"] = utc(entry["created_at"])
        entry["note"] = _open_note(entry["note"], entry["id"])
        trail.append(entry)
    return trail


def _open_note(stored: str | None, audit_id: int) -> str | None:
    """Staff notes are encrypted (since migration 0003); older plain ones read as they are."""
    if stored is None or not crypto.is_token(stored):
        return stored
    try:
        return crypto.decrypt(stored)
    except InvalidToken:
        log.warning("audit note %s could not be decrypted (wrong HANDOFF_KEY?)", audit_id)
        return "(this note could not be decrypted; check HANDOFF_KEY)"


def change_status(
    engine: sa.engine.Engine,
    handoff_id: int,
    *,
    actor: str,
    new_status: str | None,
    note: str | None,
) -> Change:
    """Move a handoff along the workflow and/or add a note, with one audit row, atomically.

    A new_status equal to the current one (or None) with a note records just the note.
    """
    note = (note or "").strip() or None
    if new_status is not None and new_status not in STATUSES:
        raise InvalidChange(f"status must be one of {', '.join(STATUSES)}")
    if note is not None and len(note) > MAX_NOTE_LENGTH:
        raise InvalidChange(f"note must be at most {MAX_NOTE_LENGTH} characters")
    if note is not None and not _encodable(note):
        raise InvalidChange("note must be valid text (no lone surrogates)")
    now = datetime.now(timezone.utc)
    with engine.begin() as connection:
        current = connection.execute(
            sa.select(handoffs.c.status).where(handoffs.c.id == handoff_id)
        ).scalar_one_or_none()
        if current is None:
            raise NotFound(handoff_id)
        old = str(current)
        if new_status is None or new_status == old:
            if note is None:
                raise InvalidChange("nothing to change: give a new status or a note")
            action, target = "note", old
        else:
            if new_status not in TRANSITIONS.get(old, ()):
                raise Conflict(f"cannot change status from {old} to {new_status}")
            action, target = "status", new_status
        # Compare-and-set on the old status: a concurrent change makes this a conflict.
        updated = connection.execute(
            handoffs.update()
            .where(handoffs.c.id == handoff_id, handoffs.c.status == old)
            .values(status=target, updated_at=now)
        )
        if updated.rowcount != 1:
            raise Conflict("the handoff was changed by someone else; reload and try again")
        funnel.count_transition(connection, handoff_id, old, target)  # before its audit row
        connection.execute(
            audit.insert().values(
                handoff_id=handoff_id,
                actor=actor[:80],
                action=action,
                old_status=old,
                new_status=target,
                note=crypto.encrypt(note) if note is not None else None,
                created_at=now,
            )
        )
    return Change(handoff_id, old, target, action)
