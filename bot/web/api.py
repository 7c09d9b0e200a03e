"""JSON API under /api/ (bearer token), sharing bot.web.queries with the pages.

A little over 300 lines: every /api/ route, its guard and its item format, mirroring
openapi.json beside it one to one.
"""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.staff import tokens
from bot.web import changes, listing, queries
from bot.web.security import ROLE, SCOPE, Handler, bearer_ok, scope
from bot.web.state import API_TOKEN, ENGINE, WORK_HOURS

routes = web.RouteTableDef()
OPENAPI = Path(__file__).resolve().parent / "openapi.json"
DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
# Ids are PostgreSQL integers; a longer one cannot exist (and would overflow the driver).
MAX_ID = 2**31 - 1
MAX_CONVERSATION_ID = 255
CALLER = "api_caller"  # request key: the tokens.Caller of this request
LIST_FILTERS = {
    "outcome",
    "status",
    "conversation_id",
    "q",
    "reference",
    "assigned_to",
    "trial",
    "sort",
    "limit",
    "offset",
}


def problem(status: int, message: str, **headers: str) -> web.Response:
    return web.json_response({"error": message}, status=status, headers=headers or None)


@web.middleware
async def api_guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Bearer token on all of /api/ except the OpenAPI document; JSON errors."""
    if not request.path.startswith("/api/") or request.path == "/api/openapi.json":
        return await handler(request)
    caller = None
    if bearer_ok(request, request.app[API_TOKEN] or None):
        caller = tokens.Caller(tokens.LEGACY_ACTOR, "coordinator")
    else:
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer" and given.strip() and len(given) < 200:
            caller = await asyncio.to_thread(tokens.caller, request.app[ENGINE], given.strip())
    if caller is None:
        return problem(401, "unauthorized", **{"WWW-Authenticate": "Bearer"})
    request[CALLER] = caller
    request[ROLE] = caller.role
    # API and FHIR tokens are deployment-wide integration tokens (one per integration, e.g. a
    # REDCap sync): every trial's records, as the README's staff section says.
    request[SCOPE] = None
    try:
        return await handler(request)
    except web.HTTPException as error:
        if error.status >= 400:
            return problem(error.status, error.reason)
        raise


def _iso(moment: Any) -> str | None:
    return moment.isoformat() if moment else None


def item(record: dict[str, Any], request: web.Request | None = None) -> dict[str, Any]:
    """One record as JSON; a viewer token gets no contact details."""
    if request is not None:
        now = datetime.now(timezone.utc)
        listing.annotate(record, request.app[WORK_HOURS], now)
        if request[CALLER].role == "viewer":
            record = listing.redact(record)
    created, updated = record["created_at"], record["updated_at"]
    last = record.get("last_attempt")
    return {
        "id": record["id"],
        "reference": record["reference"],
        "conversation_id": record["conversation_id"],
        "kind": record["kind"],
        "trial": record.get("trial"),
        "outcome": record["outcome"],
        "status": record["status"],
        "created_at": created.isoformat() if created else None,
        "updated_at": updated.isoformat() if updated else None,
        "contact": record["contact"],
        "answers": record["answers"],
        "questions": record["questions"],
        "consent_version": record["consent_version"],
        "consent_at": record["consent_at"],
        "share_consent_at": record["share_consent_at"],
        # The other handoffs of the same conversation (a question, then a prescreen, ...).
        "related": record.get("related", []),
        "version": record.get("version", 1),
        "assigned_to": record.get("assigned_to"),
        "last_contact_at": _iso(record.get("last_contact_at")),
        "last_attempt": {**last, "at": _iso(last["at"])} if last else None,
        "overdue": record.get("overdue", False),
        "due_at": _iso(record.get("due_at")),
        "why": record.get("why", ""),
        # The same words as the queue and the CSV (bot.web.listing.annotate, redact).
        "answered_by": record.get("answered_by", ""),
        "who_to_call": record.get("who_to_call", ""),
    }


def _int_param(request: web.Request, name: str, default: int, high: int) -> int:
    raw = request.query.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or not 0 <= int(raw) <= high:
        raise web.HTTPBadRequest(reason=f"{name} must be an integer from 0 to {high}")
    return int(raw)


@routes.get("/api/handoffs")
async def list_handoffs(request: web.Request) -> web.StreamResponse:
    outcome = request.query.get("outcome") or None
    status = request.query.get("status") or None
    try:
        listing.refuse_unknown(list(request.query.keys()), LIST_FILTERS)
        queries.validate_filters(outcome, status)
        q = listing.text_param(request.query.get("q"), "q")
        reference = listing.text_param(request.query.get("reference"), "reference")
        assigned_to = listing.text_param(request.query.get("assigned_to"), "assigned_to")
        trial = listing.trial_param(request.query.get("trial"))
    except (queries.InvalidChange, listing.BadFilter) as error:
        return problem(400, str(error))
    sort = request.query.get("sort") or "newest"
    if sort not in ("newest", "queue"):
        return problem(400, "sort must be newest or queue")
    if q and request[CALLER].role == "viewer":
        return problem(403, "a viewer token may search by reference only")
    conversation_id = request.query.get("conversation_id") or None
    if conversation_id is not None and len(conversation_id) > MAX_CONVERSATION_ID:
        return problem(400, f"conversation_id must be at most {MAX_CONVERSATION_ID} characters")
    limit = _int_param(request, "limit", DEFAULT_LIMIT, MAX_LIMIT)
    offset = _int_param(request, "offset", 0, 10**9)
    records = await asyncio.to_thread(
        queries.list_handoffs,
        request.app[ENGINE],
        outcome=outcome,
        status=status,
        conversation_id=conversation_id,
        q=q,
        reference=reference,
        assigned_to=assigned_to,
        trial=trial,
        scope=scope(request),
        sort=sort,
        overdue_cutoff=request.app[WORK_HOURS].cutoff(datetime.now(timezone.utc)),
        limit=limit,
        offset=offset,
    )
    total = await asyncio.to_thread(
        queries.count_handoffs,
        request.app[ENGINE],
        outcome=outcome,
        status=status,
        conversation_id=conversation_id,
        q=q,
        reference=reference,
        assigned_to=assigned_to,
        trial=trial,
        scope=scope(request),
    )
    return web.json_response(
        {
            "items": [item(r, request) for r in records],
            "limit": limit,
            "offset": offset,
            "total": total,
        }
    )


def _handoff_id(request: web.Request) -> int:
    """The id in the path; one that cannot exist (too many digits, too large) is not found."""
    raw = request.match_info["id"]
    if len(raw) > len(str(MAX_ID)) or int(raw) > MAX_ID:
        raise queries.NotFound(raw)
    return int(raw)


@routes.get(r"/api/handoffs/{id:\d+}")
async def get_handoff(request: web.Request) -> web.StreamResponse:
    try:
        handoff_id = _handoff_id(request)
        record = await asyncio.to_thread(
            queries.get_handoff, request.app[ENGINE], handoff_id, scope(request)
        )
    except queries.NotFound:
        return problem(404, "not found")
    return web.json_response(item(record, request))


@routes.patch(r"/api/handoffs/{id:\d+}")
async def patch_handoff(request: web.Request) -> web.StreamResponse:
    try:
        handoff_id = _handoff_id(request)
    except queries.NotFound:
        return problem(404, "not found")
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return problem(400, "body must be JSON")
    except RecursionError:
        return problem(400, "body is nested too deeply")
    if not isinstance(body, dict):
        return problem(400, "body must be a JSON object")
    if request[CALLER].role == "viewer":
        return problem(403, "a viewer token cannot change records")
    unknown = set(body) - {"status", "note", "version", "assigned_to"}
    if unknown:
        return problem(400, f"unknown fields: {', '.join(sorted(unknown))}")
    status, note = body.get("status"), body.get("note")
    version = body.get("version")
    if status is not None and not isinstance(status, str):
        return problem(400, "status must be a string")
    if note is not None and not isinstance(note, str):
        return problem(400, "note must be a string")
    if version is not None and (not isinstance(version, int) or isinstance(version, bool)):
        return problem(400, "version must be an integer (the record's version you last read)")
    if "assigned_to" in body and not (
        body["assigned_to"] is None or isinstance(body["assigned_to"], str)
    ):
        return problem(400, "assigned_to must be a username or null")
    engine = request.app[ENGINE]
    actor = request[CALLER].actor
    try:
        if "assigned_to" in body:
            await asyncio.to_thread(
                changes.assign,
                engine,
                handoff_id,
                actor=actor,
                assignee=body["assigned_to"],
                expected_version=version,
                scope=scope(request),
            )
            version = None if version is None else version + 1
        if status is not None or note is not None or "assigned_to" not in body:
            await asyncio.to_thread(
                changes.change_status,
                engine,
                handoff_id,
                actor=actor,
                new_status=status,
                note=note,
                expected_version=version,
                scope=scope(request),
            )
        record = await asyncio.to_thread(queries.get_handoff, engine, handoff_id, scope(request))
    except queries.NotFound:
        return problem(404, "not found")
    except queries.InvalidChange as error:
        return problem(400, str(error))
    except queries.Stale as error:
        return web.json_response(
            {"error": str(error), "current_version": error.current}, status=409
        )
    except queries.Conflict as error:
        return problem(409, str(error))
    return web.json_response(item(record, request))


@routes.post(r"/api/handoffs/{id:\d+}/attempts")
async def post_attempt(request: web.Request) -> web.StreamResponse:
    """Log a call, e-mail or text: {channel, result, next_step?, note?, version?}."""
    try:
        handoff_id = _handoff_id(request)
    except queries.NotFound:
        return problem(404, "not found")
    if request[CALLER].role == "viewer":
        return problem(403, "a viewer token cannot change records")
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
        return problem(400, "body must be JSON")
    if not isinstance(body, dict):
        return problem(400, "body must be a JSON object")
    unknown = set(body) - {"channel", "result", "next_step", "note", "version"}
    if unknown:
        return problem(400, f"unknown fields: {', '.join(sorted(unknown))}")
    values = {key: body.get(key) for key in ("channel", "result", "next_step", "note")}
    if any(v is not None and not isinstance(v, str) for v in values.values()):
        return problem(400, "channel, result, next_step and note must be strings")
    version = body.get("version")
    if version is not None and (not isinstance(version, int) or isinstance(version, bool)):
        return problem(400, "version must be an integer")
    engine = request.app[ENGINE]
    try:
        await asyncio.to_thread(
            changes.log_attempt,
            engine,
            handoff_id,
            actor=request[CALLER].actor,
            channel=str(values["channel"] or ""),
            result=str(values["result"] or ""),
            next_step=values["next_step"],
            note=values["note"],
            expected_version=version,
            scope=scope(request),
        )
        record = await asyncio.to_thread(queries.get_handoff, engine, handoff_id, scope(request))
    except queries.NotFound:
        return problem(404, "not found")
    except queries.InvalidChange as error:
        return problem(400, str(error))
    except queries.Stale as error:
        return web.json_response(
            {"error": str(error), "current_version": error.current}, status=409
        )
    return web.json_response(item(record, request), status=201)


@routes.get("/api/openapi.json")
async def openapi(request: web.Request) -> web.StreamResponse:
    return web.Response(body=OPENAPI.read_bytes(), content_type="application/json")
