"""Staff pages: login/logout, the handoff inbox, one handoff, status changes, CSV export."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import logging
from datetime import datetime, timezone
from typing import Any

import aiohttp_jinja2
from aiohttp import web
from aiohttp_session import get_session, new_session

from bot import audit, staff
from bot.outbox import delivery_status
from bot.web import queries
from bot.web.limiter import client_address
from bot.web.security import CSRF_FIELD, SESSION_USER, SESSION_VERSION, csrf_token
from bot.web.state import ENGINE, LIMITER, TRUSTED_PROXIES

log = logging.getLogger(__name__)
routes = web.RouteTableDef()

OUTCOME_LABELS = {
    "likely_eligible": "Likely eligible",
    "needs_review": "Needs review",
    "question": "Question",
}
STATUS_LABELS = {
    "new": "New",
    "contacted": "Contacted",
    "scheduled": "Scheduled",
    "not_a_fit": "Not a fit",
    "enrolled": "Enrolled",
}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def age(moment: datetime | None, now: datetime | None = None) -> str:
    if moment is None:
        return ""
    seconds = ((now or datetime.now(timezone.utc)) - moment).total_seconds()
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{int(seconds // 60)} min ago"
    if seconds < 48 * 3600:
        return f"{int(seconds // 3600)} h ago"
    return f"{int(seconds // 86400)} d ago"


def iso(moment: datetime | None) -> str:
    return moment.isoformat() if moment is not None else ""


def shown(value: Any) -> str:
    """An answer as text (scalars as they are, anything else as JSON)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str | int | float):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


def spreadsheet_safe(value: Any) -> str:
    """Defuse formula injection: a cell that a spreadsheet would evaluate gets a leading quote."""
    text = shown(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


async def render(
    request: web.Request, template: str, context: dict[str, Any], status: int = 200
) -> web.Response:
    session = await get_session(request)
    base = {
        "user": session.get(SESSION_USER),
        "csrf_field": CSRF_FIELD,
        "csrf_token": csrf_token(session),
        "outcome_labels": OUTCOME_LABELS,
        "status_labels": STATUS_LABELS,
    }
    return aiohttp_jinja2.render_template(template, request, {**base, **context}, status=status)


def _client_ip(request: web.Request) -> str:
    """The real client: the peer, or X-Forwarded-For when the peer is a trusted proxy."""
    return client_address(
        request.remote,
        request.headers.getall("X-Forwarded-For", []),
        request.app[TRUSTED_PROXIES],
    )


async def _audit(request: web.Request, actor: str, action: str, note: str | None = None) -> None:
    await asyncio.to_thread(audit.log, request.app[ENGINE], actor, action, note)


@routes.get("/staff")
@routes.get("/staff/")
async def staff_home(request: web.Request) -> web.StreamResponse:
    raise web.HTTPSeeOther("/staff/handoffs")


@routes.get("/staff/login")
async def login_form(request: web.Request) -> web.StreamResponse:
    session = await get_session(request)
    if session.get(SESSION_USER):
        raise web.HTTPSeeOther("/staff/handoffs")
    return await render(request, "login.html", {"error": None, "username": ""})


@routes.post("/staff/login")
async def login(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    username = staff.normalise(str(form.get("username") or ""))[:200]
    password = str(form.get("password") or "")
    limiter = request.app[LIMITER]
    engine = request.app[ENGINE]
    ip = _client_ip(request)
    if await limiter.blocked(ip):
        log.info("login rate limited from %s", ip)
        return await render(
            request,
            "login.html",
            {"error": "Too many failed attempts. Try again in 15 minutes.", "username": ""},
            status=429,
        )
    attempt = await limiter.start(username, ip)
    if attempt.delay:  # this name had several failures: slow down, never lock out
        await asyncio.sleep(attempt.delay)
    version = await asyncio.to_thread(staff.authenticate, engine, username, password)
    if version is None:
        log.info("failed staff login from %s", ip)
        # Only a real user's name is kept: a name that is no user may be a mistyped password.
        known = await asyncio.to_thread(staff.exists, engine, username)
        actor = username if known else audit.UNKNOWN_USER
        await _audit(request, actor, audit.LOGIN_FAILED, f"ip={ip}")
        if attempt.ip_failures == limiter.per_ip:
            await _audit(request, actor, audit.LOGIN_LOCKED, f"ip={ip} failures={limiter.per_ip}")
        if attempt.account_failures == limiter.slow_after + 1:
            await _audit(request, actor, audit.LOGIN_SLOWED, f"ip={ip}")
        return await render(
            request,
            "login.html",
            {"error": "Wrong username or password.", "username": username},
            status=401,
        )
    await limiter.succeeded(attempt)
    session = await new_session(request)  # fresh session: nothing carried over from before
    session[SESSION_USER] = username
    session[SESSION_VERSION] = version
    csrf_token(session)
    raise web.HTTPSeeOther("/staff/handoffs")


@routes.post("/staff/logout")
async def logout(request: web.Request) -> web.StreamResponse:
    """Ends every session of this user (other browsers and copied cookies too)."""
    session = await get_session(request)
    user = session.get(SESSION_USER)
    if isinstance(user, str) and user:
        await asyncio.to_thread(staff.end_sessions, request.app[ENGINE], user)
    session.invalidate()
    raise web.HTTPSeeOther("/staff/login")


def _filters(request: web.Request) -> tuple[str | None, str | None]:
    outcome = request.query.get("outcome") or None
    status = request.query.get("status") or None
    try:
        queries.validate_filters(outcome, status)
    except queries.InvalidChange as error:
        raise web.HTTPBadRequest(text=str(error)) from None
    return outcome, status


@routes.get("/staff/handoffs")
async def handoff_list(request: web.Request) -> web.StreamResponse:
    outcome, status = _filters(request)
    records = await asyncio.to_thread(
        queries.list_handoffs, request.app[ENGINE], outcome=outcome, status=status
    )
    now = datetime.now(timezone.utc)
    for record in records:
        record["age"] = age(record["created_at"], now)
        record["created_iso"] = iso(record["created_at"])
    return await render(
        request,
        "list.html",
        {
            "handoffs": records,
            "outcome": outcome or "",
            "status": status or "",
            "outcomes": queries.OUTCOMES,
            "statuses": queries.STATUSES,
            "query_string": request.query_string,
        },
    )


def _handoff_id(request: web.Request) -> int:
    raw = request.match_info["id"]
    if len(raw) > 10 or int(raw) > 2**31 - 1:  # cannot exist (PostgreSQL integer ids)
        raise web.HTTPNotFound()
    return int(raw)


def _criteria(answers: dict[str, Any]) -> list[dict[str, str]]:
    given = answers.get("answers") if isinstance(answers.get("answers"), dict) else {}
    reasons = answers.get("reasons") if isinstance(answers.get("reasons"), dict) else {}
    assert isinstance(given, dict) and isinstance(reasons, dict)
    rows = []
    for key in list(given) + [k for k in reasons if k not in given]:
        reason = reasons.get(key) if isinstance(reasons.get(key), dict) else {}
        assert isinstance(reason, dict)
        rows.append(
            {
                "criterion": str(key),
                "answer": shown(given.get(key)),
                "status": shown(reason.get("status")),
                "reason": shown(reason.get("text")),
            }
        )
    return rows


@routes.get(r"/staff/handoffs/{id:\d+}")
async def handoff_detail(request: web.Request) -> web.StreamResponse:
    return await _detail(request)


async def _detail(request: web.Request, error: str | None = None) -> web.Response:
    handoff_id = _handoff_id(request)
    engine = request.app[ENGINE]
    try:
        record = await asyncio.to_thread(queries.get_handoff, engine, handoff_id)
    except queries.NotFound:
        raise web.HTTPNotFound() from None
    trail = await asyncio.to_thread(queries.audit_trail, engine, handoff_id)
    deliveries = await asyncio.to_thread(delivery_status, engine, handoff_id)
    now = datetime.now(timezone.utc)
    record["age"] = age(record["created_at"], now)
    for entry in trail:
        entry["created_iso"] = iso(entry["created_at"])
    return await render(
        request,
        "detail.html",
        {
            "h": record,
            "created_iso": iso(record["created_at"]),
            "updated_iso": iso(record["updated_at"]),
            "criteria": _criteria(record["answers"]),
            "trail": trail,
            "deliveries": [
                {**d, "sent_iso": iso(d["sent_at"]) if d["sent_at"] else ""} for d in deliveries
            ],
            "next_statuses": queries.TRANSITIONS.get(record["status"], ()),
            "error": error,
            "max_note": queries.MAX_NOTE_LENGTH,
        },
        status=400 if error else 200,
    )


@routes.post(r"/staff/handoffs/{id:\d+}/status")
async def handoff_status(request: web.Request) -> web.StreamResponse:
    handoff_id = _handoff_id(request)
    form = await request.post()
    session = await get_session(request)
    new_status = str(form.get("status") or "") or None
    note = str(form.get("note") or "")
    try:
        await asyncio.to_thread(
            queries.change_status,
            request.app[ENGINE],
            handoff_id,
            actor=str(session[SESSION_USER]),
            new_status=new_status,
            note=note,
        )
    except queries.NotFound:
        raise web.HTTPNotFound() from None
    except (queries.InvalidChange, queries.Conflict) as problem:
        return await _detail(request, error=str(problem))
    raise web.HTTPSeeOther(f"/staff/handoffs/{handoff_id}")


CSV_COLUMNS = (
    "id",
    "reference",
    "created_at",
    "updated_at",
    "kind",
    "outcome",
    "status",
    "name",
    "email",
    "phone",
    "best_time",
    "questions",
    "answers",
    "consent_version",
    "consent_at",
    "share_consent_at",
)


def to_csv(records: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for record in records:
        contact = record["contact"]
        row = [
            record["id"],
            record["reference"],
            iso(record["created_at"]),
            iso(record["updated_at"]),
            record["kind"],
            record["outcome"],
            record["status"],
            contact.get("name"),
            contact.get("email"),
            contact.get("phone"),
            contact.get("best_time"),
            " | ".join(shown(q) for q in record["questions"]),
            json.dumps(record["answers"], ensure_ascii=False, sort_keys=True),
            record["consent_version"],
            record["consent_at"],
            record["share_consent_at"],
        ]
        writer.writerow([spreadsheet_safe(cell) for cell in row])
    return out.getvalue()


@routes.get("/staff/handoffs.csv")
async def handoff_csv(request: web.Request) -> web.StreamResponse:
    outcome, status = _filters(request)
    records = await asyncio.to_thread(
        queries.list_handoffs, request.app[ENGINE], outcome=outcome, status=status
    )
    session = await get_session(request)
    await _audit(
        request,
        str(session[SESSION_USER]),
        audit.CSV_EXPORT,
        f"rows={len(records)} outcome={outcome or 'any'} status={status or 'any'} "
        f"ip={_client_ip(request)}",
    )
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M")
    return web.Response(
        text=to_csv(records),
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="handoffs-{stamp}.csv"'},
    )
