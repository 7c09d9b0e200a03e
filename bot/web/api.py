"""JSON API under /api/ (bearer token), sharing bot.web.queries with the pages."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from aiohttp import web

from bot.web import queries
from bot.web.security import Handler, bearer_ok
from bot.web.state import API_TOKEN, ENGINE

routes = web.RouteTableDef()
OPENAPI = Path(__file__).resolve().parent / "openapi.json"
DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
# Ids are PostgreSQL integers; a longer one cannot exist (and would overflow the driver).
MAX_ID = 2**31 - 1
MAX_CONVERSATION_ID = 255


def problem(status: int, message: str, **headers: str) -> web.Response:
    return web.json_response({"error": message}, status=status, headers=headers or None)


@web.middleware
async def api_guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Bearer token on all of /api/ except the OpenAPI document; JSON errors."""
    if not request.path.startswith("/api/") or request.path == "/api/openapi.json":
        return await handler(request)
    if not bearer_ok(request, request.app[API_TOKEN] or None):
        return problem(401, "unauthorized", **{"WWW-Authenticate": "Bearer"})
    try:
        return await handler(request)
    except web.HTTPException as error:
        if error.status >= 400:
            return problem(error.status, error.reason)
        raise


def item(record: dict[str, Any]) -> dict[str, Any]:
    created, updated = record["created_at"], record["updated_at"]
    return {
        "id": record["id"],
        "reference": record["reference"],
        "conversation_id": record["conversation_id"],
        "kind": record["kind"],
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
        queries.validate_filters(outcome, status)
    except queries.InvalidChange as error:
        return problem(400, str(error))
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
        limit=limit,
        offset=offset,
    )
    return web.json_response({"items": [item(r) for r in records], "limit": limit})


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
        record = await asyncio.to_thread(queries.get_handoff, request.app[ENGINE], handoff_id)
    except queries.NotFound:
        return problem(404, "not found")
    return web.json_response(item(record))


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
    unknown = set(body) - {"status", "note"}
    if unknown:
        return problem(400, f"unknown fields: {', '.join(sorted(unknown))}")
    status, note = body.get("status"), body.get("note")
    if status is not None and not isinstance(status, str):
        return problem(400, "status must be a string")
    if note is not None and not isinstance(note, str):
        return problem(400, "note must be a string")
    engine = request.app[ENGINE]
    try:
        await asyncio.to_thread(
            queries.change_status, engine, handoff_id, actor="api", new_status=status, note=note
        )
        record = await asyncio.to_thread(queries.get_handoff, engine, handoff_id)
    except queries.NotFound:
        return problem(404, "not found")
    except queries.InvalidChange as error:
        return problem(400, str(error))
    except queries.Conflict as error:
        return problem(409, str(error))
    return web.json_response(item(record))


@routes.get("/api/openapi.json")
async def openapi(request: web.Request) -> web.StreamResponse:
    return web.Response(body=OPENAPI.read_bytes(), content_type="application/json")
