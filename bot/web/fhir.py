"""`GET /api/fhir/ResearchSubject`: every handoff as a FHIR R4B ResearchSubject with its
Patient, in a searchset Bundle (bot/staff/fhir.py builds and validates it). Bearer token like the
rest of /api/. Parameters: `_count` (1-1000, default 100) and `_offset`; anything else is 400.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from aiohttp import web

from bot.staff import audit as audit_log
from bot.staff import fhir
from bot.store.schema import audit, handoffs
from bot.web import queries
from bot.web.limiter import client_address
from bot.web.security import sees_contact
from bot.web.state import ENGINE, INBOX_URL, TRUSTED_PROXIES

routes = web.RouteTableDef()
PARAMS = frozenset({"_count", "_offset"})
DEFAULT_COUNT = 100
MAX_COUNT = 1000
FHIR_JSON = "application/fhir+json"
FHIR_EXPORT = "fhir_export"  # audit action, like the CSV export's


def _problem(status: int, message: str) -> web.Response:
    """A FHIR OperationOutcome (what FHIR clients expect of an error)."""
    body = {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": "invalid", "diagnostics": message}],
    }
    return web.json_response(body, status=status, content_type=FHIR_JSON)


def _number(request: web.Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or len(raw) > 10 or not low <= int(raw) <= high:
        raise ValueError(f"{name} must be an integer from {low} to {high}")
    return int(raw)


def status_changes(engine: sa.engine.Engine, ids: Sequence[int]) -> dict[int, list[fhir.Change]]:
    """Each handoff's status changes from the audit trail, oldest first: every row that moved
    it to another status, whatever the action (a status change, a contact attempt)."""
    found: dict[int, list[fhir.Change]] = {}
    if not ids:
        return found
    query = (
        sa.select(audit.c.handoff_id, audit.c.new_status, audit.c.created_at)
        .where(
            audit.c.handoff_id.in_(list(ids)),
            audit.c.new_status.is_not(None),
            sa.or_(audit.c.old_status.is_(None), audit.c.old_status != audit.c.new_status),
        )
        .order_by(audit.c.created_at, audit.c.id)
    )
    with engine.connect() as connection:
        for row in connection.execute(query):
            moment = queries.utc(row.created_at)
            if row.new_status and moment is not None:
                found.setdefault(int(row.handoff_id), []).append(
                    fhir.Change(str(row.new_status), moment)
                )
    return found


def _export(engine: sa.engine.Engine, count: int, offset: int) -> tuple[list[Any], Any, int]:
    records = queries.list_handoffs(engine, limit=count, offset=offset)
    changes = status_changes(engine, [int(r["id"]) for r in records])
    with engine.connect() as connection:
        total = int(
            connection.execute(sa.select(sa.func.count()).select_from(handoffs)).scalar_one()
        )
    return records, changes, total


def _site(request: web.Request) -> str:
    """The web app's address for fullUrls: INBOX_URL (set in every profile), else the
    request's own."""
    configured = request.app[INBOX_URL]
    return configured or f"{request.scheme}://{request.host}"


def may_see_contact(request: web.Request) -> bool:
    """Whether this caller gets the Patients (contact details). The staff API token is an
    integration with full access; a viewer (a user or a token with that role) gets False."""
    return sees_contact(request)


@routes.get("/api/fhir/ResearchSubject")
async def research_subjects(request: web.Request) -> web.StreamResponse:
    unknown = set(request.query) - PARAMS
    if unknown:
        return _problem(400, f"unknown parameters: {', '.join(sorted(unknown))}")
    try:
        count = _number(request, "_count", DEFAULT_COUNT, 1, MAX_COUNT)
        offset = _number(request, "_offset", 0, 0, 10**9)
    except ValueError as error:
        return _problem(400, str(error))
    records, changes, total = await asyncio.to_thread(_export, request.app[ENGINE], count, offset)
    base = f"{_site(request)}/api/fhir"
    include = may_see_contact(request)
    search = f"{base}/ResearchSubject"
    links = {"self": f"{search}?_count={count}&_offset={offset}"}
    if offset + count < total:
        links["next"] = f"{search}?_count={count}&_offset={offset + count}"
    if offset > 0:
        links["previous"] = f"{search}?_count={count}&_offset={max(offset - count, 0)}"
    try:
        made = await asyncio.to_thread(
            fhir.bundle,
            records,
            changes,
            base_url=base,
            include_contact=include,
            total=total,
            links=links,
        )
    except fhir.MappingError as error:
        return _problem(500, str(error))
    except ValueError as error:  # a record the models refuse (pydantic): say which kind only
        return _problem(500, f"a handoff could not be exported: {type(error).__name__}")
    ip = client_address(
        request.remote,
        request.headers.getall("X-Forwarded-For", []),
        request.app[TRUSTED_PROXIES],
    )
    note = f"rows={len(records)} offset={offset} contact={'yes' if include else 'no'} ip={ip}"
    await asyncio.to_thread(audit_log.log, request.app[ENGINE], "api", FHIR_EXPORT, note)
    return web.Response(text=made.json(), content_type=FHIR_JSON)
