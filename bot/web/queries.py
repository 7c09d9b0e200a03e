"""The staff app's and API's reads of the handoffs (blocking; run via asyncio.to_thread): the
queue (filters, order, pages, counts), one record with its related rows, the audit trail and
contact attempts; and the errors the changes raise. The changes are bot.web.changes.

Over 300 lines on purpose: the reads share one record shape (_record, _related) and the
queue's filters and order (_filtered, _queue_order); the changes were the clear seam and
are bot.web.changes.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa
from cryptography.fernet import InvalidToken

from bot.staff import workflow
from bot.store import crypto, search
from bot.store.handoff import decode
from bot.store.schema import audit, contact_attempts, handoffs, outbox

log = logging.getLogger(__name__)

OUTCOMES = ("likely_eligible", "needs_review", "question")
STATUSES = workflow.STATUSES
TRANSITIONS = workflow.PRESCREEN  # the prescreen workflow (questions: workflow.QUESTION)
OPEN_STATUSES = ("new", "unreachable", "contacted", "scheduled")
MAX_NOTE_LENGTH = 2000
EMPTY_CONTACT = {"name": None, "email": None, "phone": None, "best_time": None}
# Only in a caregiver's prescreen: {"name", "relation", "patient_is", ...} and who to call.
CAREGIVER_CONTACT = ("answered_by", "call")
# The trials (nct_ids) whose records a caller may see; None: every trial (an admin, or the
# deployment-wide API and FHIR tokens). bot.staff.users.scope makes it; every read and change
# here takes it, so a record outside it is NotFound (404) and absent from lists and counts.
Scope = frozenset[str] | None


def in_scope(scope: Scope) -> Any:
    """The WHERE clause of a scope (true for None; false for an empty scope)."""
    if scope is None:
        return sa.true()
    return handoffs.c.trial.in_(sorted(scope))


def encodable(text: str) -> bool:
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
    record["last_contact_at"] = utc(record.get("last_contact_at"))
    record["version"] = int(record.get("version") or 1)
    return record


def validate_filters(outcome: str | None, status: str | None) -> None:
    if outcome and outcome not in OUTCOMES:
        raise InvalidChange(f"outcome must be one of {', '.join(OUTCOMES)}")
    if status and status not in STATUSES and status != "open":
        raise InvalidChange(f"status must be one of {', '.join(STATUSES)}")


def _related(connection: Any, records: list[dict[str, Any]], scope: Scope = None) -> None:
    """record["related"]: the other handoffs of the same conversation (in scope), oldest first."""
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
            .where(handoffs.c.conversation_id.in_(sorted(conversations)), in_scope(scope))
            .order_by(handoffs.c.id)
        ).all()
        for row in rows:
            by_conversation.setdefault(row.conversation_id, []).append(
                {"id": row.id, "reference": row.reference, "kind": row.kind, "outcome": row.outcome}
            )
    for record in records:
        siblings = by_conversation.get(record["conversation_id"], [])
        record["related"] = [entry for entry in siblings if entry["id"] != record["id"]]


def _queue_order(cutoff: datetime | None) -> list[Any]:
    """What needs action first: new (overdue first), unreachable, contacted, scheduled ...;
    likely eligible before needs review before questions; oldest first."""
    status_rank = sa.case(
        *((handoffs.c.status == status, rank) for status, rank in workflow.STATUS_RANK.items()),
        else_=workflow.DONE_RANK,
    )
    outcome_rank = sa.case(
        *((handoffs.c.outcome == outcome, rank) for outcome, rank in workflow.OUTCOME_RANK.items()),
        else_=9,
    )
    order: list[Any] = [status_rank]
    if cutoff is not None:
        order.append(
            sa.case(
                (sa.and_(handoffs.c.status == "new", handoffs.c.created_at <= cutoff), 0),
                else_=1,
            )
        )
    return [*order, outcome_rank, handoffs.c.created_at, handoffs.c.id]


def _filtered(
    query: Any,
    *,
    outcome: str | None,
    status: str | None,
    conversation_id: str | None,
    q: str | None,
    reference: str | None,
    assigned_to: str | None,
    trial: str | None = None,
    scope: Scope = None,
) -> Any:
    query = query.where(in_scope(scope))
    if trial:
        query = query.where(handoffs.c.trial == trial)
    if outcome:
        query = query.where(handoffs.c.outcome == outcome)
    if status == "open":
        query = query.where(handoffs.c.status.in_(OPEN_STATUSES))
    elif status:
        query = query.where(handoffs.c.status == status)
    if conversation_id:
        query = query.where(handoffs.c.conversation_id == conversation_id)
    if reference:
        query = query.where(handoffs.c.reference == reference.strip().upper())
    if q:
        query = query.where(handoffs.c.id.in_(search.matching_ids(q)))
    if assigned_to == "":
        query = query.where(handoffs.c.assigned_to.is_(None))
    elif assigned_to:
        query = query.where(handoffs.c.assigned_to == assigned_to)
    return query


def list_handoffs(
    engine: sa.engine.Engine,
    *,
    outcome: str | None = None,
    status: str | None = None,
    conversation_id: str | None = None,
    q: str | None = None,
    reference: str | None = None,
    assigned_to: str | None = None,
    trial: str | None = None,
    scope: Scope = None,
    sort: str = "newest",
    overdue_cutoff: datetime | None = None,
    limit: int | None = None,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """Handoffs newest first (sort="queue": what needs action first), decoded; filters must
    already be validated. q: a reference, name, name part, e-mail or phone (bot.store.search)."""
    validate_filters(outcome, status)
    query = _filtered(
        sa.select(handoffs),
        outcome=outcome,
        status=status,
        conversation_id=conversation_id,
        q=q,
        reference=reference,
        assigned_to=assigned_to,
        trial=trial,
        scope=scope,
    )
    if sort == "queue":
        query = query.order_by(*_queue_order(overdue_cutoff))
    else:
        query = query.order_by(handoffs.c.created_at.desc(), handoffs.c.id.desc())
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
        _related(connection, records, scope)
        _last_attempts(connection, records)
    for record in records:
        record["undelivered"] = record["id"] in undelivered
    return records


def count_handoffs(
    engine: sa.engine.Engine,
    *,
    outcome: str | None = None,
    status: str | None = None,
    conversation_id: str | None = None,
    q: str | None = None,
    reference: str | None = None,
    assigned_to: str | None = None,
    trial: str | None = None,
    scope: Scope = None,
) -> int:
    query = _filtered(
        sa.select(sa.func.count()).select_from(handoffs),
        outcome=outcome,
        status=status,
        conversation_id=conversation_id,
        q=q,
        reference=reference,
        assigned_to=assigned_to,
        trial=trial,
        scope=scope,
    )
    with engine.connect() as connection:
        return int(connection.execute(query).scalar_one())


def count_overdue(engine: sa.engine.Engine, cutoff: datetime, scope: Scope = None) -> int:
    """New records that arrived at or before the cutoff (bot.staff.workhours.WorkHours.cutoff)."""
    query = (
        sa.select(sa.func.count())
        .select_from(handoffs)
        .where(handoffs.c.status == "new", handoffs.c.created_at <= cutoff, in_scope(scope))
    )
    with engine.connect() as connection:
        return int(connection.execute(query).scalar_one())


def _last_attempts(connection: Any, records: list[dict[str, Any]]) -> None:
    """record["last_attempt"]: the newest contact attempt {channel, result, at} or None."""
    ids = [record["id"] for record in records]
    newest: dict[int, dict[str, Any]] = {}
    if ids:
        rows = connection.execute(
            sa.select(
                contact_attempts.c.handoff_id,
                contact_attempts.c.channel,
                contact_attempts.c.result,
                contact_attempts.c.created_at,
            )
            .where(contact_attempts.c.handoff_id.in_(ids))
            .order_by(contact_attempts.c.id)
        ).all()
        for row in rows:
            newest[int(row.handoff_id)] = {
                "channel": row.channel,
                "result": row.result,
                "at": utc(row.created_at),
            }
    for record in records:
        record["last_attempt"] = newest.get(record["id"])


def find_reference(engine: sa.engine.Engine, reference: str, scope: Scope = None) -> int | None:
    with engine.connect() as connection:
        found = connection.execute(
            sa.select(handoffs.c.id).where(
                handoffs.c.reference == reference.strip().upper(), in_scope(scope)
            )
        ).scalar_one_or_none()
    return int(found) if found is not None else None


def get_handoff(engine: sa.engine.Engine, handoff_id: int, scope: Scope = None) -> dict[str, Any]:
    """One record; NotFound when there is none with this id or it is outside the scope (the
    page and API answer 404 for both, so a record of another trial is not even confirmed)."""
    with engine.connect() as connection:
        row = (
            connection.execute(
                sa.select(handoffs).where(handoffs.c.id == handoff_id, in_scope(scope))
            )
            .mappings()
            .first()
        )
        if row is None:
            raise NotFound(handoff_id)
        record = _record(row)
        _related(connection, [record], scope)
        _last_attempts(connection, [record])
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


class Stale(Conflict):
    """The record changed since the version the user saw (another user saved meanwhile)."""

    def __init__(self, current: int) -> None:
        super().__init__("someone else changed this record since you opened it; nothing was saved")
        self.current = current


def attempts(engine: sa.engine.Engine, handoff_id: int) -> list[dict[str, Any]]:
    query = (
        sa.select(contact_attempts)
        .where(contact_attempts.c.handoff_id == handoff_id)
        .order_by(contact_attempts.c.id.desc())
    )
    with engine.connect() as connection:
        rows = connection.execute(query).mappings().all()
    found = []
    for row in rows:
        entry = dict(row)
        entry["created_at"] = utc(entry["created_at"])
        entry["next_step"] = _open_note(entry["next_step"], entry["id"])
        entry["note"] = _open_note(entry["note"], entry["id"])
        found.append(entry)
    return found
