"""Staff pages: login/logout, the work queue, one handoff (status, contact attempts,
assignment), CSV export, and the user admin pages."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import logging
from datetime import datetime, timezone
from functools import partial
from typing import Any
from urllib.parse import urlencode

import aiohttp_jinja2
from aiohttp import web
from aiohttp_session import get_session, new_session

from bot import content
from bot.staff import audit, tokens, workflow
from bot.staff import users as staff
from bot.store.outbox import delivery_status
from bot.web import listing, present, queries
from bot.web.limiter import client_address
from bot.web.security import (
    CSRF_FIELD,
    SESSION_USER,
    SESSION_VERSION,
    csrf_token,
    require,
    role,
    sees_contact,
)
from bot.web.state import ENGINE, LIMITER, TRUSTED_PROXIES, WORK_HOURS

log = logging.getLogger(__name__)
routes = web.RouteTableDef()

OUTCOME_LABELS = {
    "likely_eligible": "Likely eligible",
    "needs_review": "Needs review",
    "question": "Question",
}
STATUS_LABELS = workflow.STATUS_LABELS
PAGE_SIZE = 50
LIST_FILTERS = {"outcome", "status", "q", "mine", "assigned", "sort", "page", "saved", "trial"}
CSV_FILTERS = {"outcome", "status", "q", "mine", "assigned", "sort", "trial"}
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
        "role": role(request),
        "role_labels": staff.ROLE_LABELS,
        "sees_contact": sees_contact(request),
        "trial": content.trial(),
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


class ListView:
    """The queue's filters, read from the query string (unknown ones refused: 400)."""

    def __init__(self, request: web.Request, allowed: set[str]) -> None:
        query = request.query
        try:
            listing.refuse_unknown(list(query.keys()), allowed)
            self.outcome = query.get("outcome") or None
            self.status = query.get("status") or None
            queries.validate_filters(self.outcome, self.status)
            self.q = listing.text_param(query.get("q"), "q")
            assigned = listing.text_param(query.get("assigned"), "assigned")
            self.trial = listing.trial_param(query.get("trial"))
        except (queries.InvalidChange, listing.BadFilter) as error:
            raise web.HTTPBadRequest(text=str(error)) from None
        self.sort = query.get("sort") or "queue"
        if self.sort not in ("queue", "newest"):
            raise web.HTTPBadRequest(text="sort must be queue or newest")
        self.mine = query.get("mine") == "1"
        self.assigned = assigned
        raw_page = query.get("page") or "1"
        if not raw_page.isdigit() or not 1 <= int(raw_page) <= 100_000:
            raise web.HTTPBadRequest(text="page must be a number from 1")
        self.page = int(raw_page)
        self.reference: str | None = None
        if self.q and not sees_contact(request):
            # A viewer may look a record up by its reference only, never by contact details.
            self.reference, self.q = self.q, None

    def assigned_to(self, user: str) -> str | None:
        if self.mine:
            return user
        if self.assigned == "none":
            return ""
        return self.assigned

    def filters(self, user: str) -> dict[str, Any]:
        return {
            "outcome": self.outcome,
            "status": self.status,
            "q": self.q,
            "reference": self.reference,
            "assigned_to": self.assigned_to(user),
            "trial": self.trial,
        }


async def _user(request: web.Request) -> str:
    session = await get_session(request)
    return str(session[SESSION_USER])


@routes.get("/staff/handoffs")
async def handoff_list(request: web.Request) -> web.StreamResponse:
    view = ListView(request, LIST_FILTERS)
    user = await _user(request)
    engine = request.app[ENGINE]
    hours = request.app[WORK_HOURS]
    now = datetime.now(timezone.utc)
    filters = view.filters(user)
    total = await asyncio.to_thread(queries.count_handoffs, engine, **filters)
    records = await asyncio.to_thread(
        partial(
            queries.list_handoffs,
            engine,
            **filters,
            sort=view.sort,
            overdue_cutoff=hours.cutoff(now),
            limit=PAGE_SIZE,
            offset=(view.page - 1) * PAGE_SIZE,
        )
    )
    shown_records = []
    for record in records:
        listing.annotate(record, hours, now)
        if not sees_contact(request):
            record = listing.redact(record)
        record["age"] = age(record["created_at"], now)
        record["created_iso"] = iso(record["created_at"])
        record["created_local"] = present.local_time(record["created_at"], hours)
        last = record.get("last_attempt")
        record["last_contact"] = (
            f"{workflow.CHANNEL_LABELS.get(last['channel'], last['channel'])}: "
            f"{workflow.RESULT_LABELS.get(last['result'], last['result'])}, {age(last['at'], now)}"
            if last
            else ""
        )
        shown_records.append(record)
    pages = max(1, -(-total // PAGE_SIZE))
    keep = {k: v for k, v in request.query.items() if k not in ("page", "saved")}
    overdue_count = await asyncio.to_thread(queries.count_overdue, engine, hours.cutoff(now))
    return await render(
        request,
        "list.html",
        {
            "handoffs": shown_records,
            "view": view,
            "outcome": view.outcome or "",
            "status": view.status or "",
            "outcomes": queries.OUTCOMES,
            "statuses": queries.STATUSES,
            "trials": listing.trials(),
            "query_string": urlencode(keep),  # the CSV gets the same filters and order
            "page": view.page,
            "pages": pages,
            "total": total,
            "prev_link": urlencode({**keep, "page": view.page - 1}) if view.page > 1 else "",
            "next_link": urlencode({**keep, "page": view.page + 1}) if view.page < pages else "",
            "overdue_count": overdue_count,
            "target": hours.describe_target(),
            "zone": hours.zone,
        },
    )


@routes.get(r"/staff/r/{reference}")
async def by_reference(request: web.Request) -> web.StreamResponse:
    """A short link to a record by its reference code: /staff/r/K7Q2."""
    reference = request.match_info["reference"][:12]
    found = await asyncio.to_thread(queries.find_reference, request.app[ENGINE], reference)
    if found is None:
        raise web.HTTPNotFound(text="No record has this reference.")
    raise web.HTTPSeeOther(f"/staff/handoffs/{found}")


@routes.get(r"/staff/handoffs/{reference:[A-Za-z0-9]*[A-Za-z][A-Za-z0-9]*}")
async def by_reference_in_path(request: web.Request) -> web.StreamResponse:
    """/staff/handoffs/BWZ9 (a reference where an id goes) finds the record too."""
    return await by_reference(request)


def _handoff_id(request: web.Request) -> int:
    raw = request.match_info["id"]
    if len(raw) > 10 or int(raw) > 2**31 - 1:  # cannot exist (PostgreSQL integer ids)
        raise web.HTTPNotFound()
    return int(raw)


SAVED = {
    "status": "Saved: the status and note are recorded.",
    "note": "Saved: the note is recorded.",
    "attempt": "Saved: the contact attempt is logged.",
    "assigned": "Saved: the assignment is changed.",
}


@routes.get(r"/staff/handoffs/{id:\d+}")
async def handoff_detail(request: web.Request) -> web.StreamResponse:
    saved = SAVED.get(request.query.get("saved", ""))
    return await _detail(request, saved=saved)


async def _detail(
    request: web.Request,
    error: str | None = None,
    *,
    saved: str | None = None,
    stale: bool = False,
    status: int | None = None,
) -> web.Response:
    handoff_id = _handoff_id(request)
    engine = request.app[ENGINE]
    hours = request.app[WORK_HOURS]
    try:
        record = await asyncio.to_thread(queries.get_handoff, engine, handoff_id)
    except queries.NotFound:
        raise web.HTTPNotFound() from None
    # Its labels and questions are those of its own trial (a deployment may serve several).
    with content.serving(content.from_nct(record.get("trial"))):
        trail = await asyncio.to_thread(queries.audit_trail, engine, handoff_id)
        deliveries = await asyncio.to_thread(delivery_status, engine, handoff_id)
        attempts = await asyncio.to_thread(queries.attempts, engine, handoff_id)
        assignable = await asyncio.to_thread(staff.assignable, engine)
        now = datetime.now(timezone.utc)
        listing.annotate(record, hours, now)
        medicines = present.medicines_named(record["transcript"])
        if not sees_contact(request):
            record = listing.redact(record)
            # Staff notes are free text and may hold a number or an address: not for viewers.
            for entry in [*trail, *attempts]:
                entry["note"] = "(hidden for viewers)" if entry.get("note") else None
                if entry.get("next_step"):
                    entry["next_step"] = "(hidden for viewers)"
        record["age"] = age(record["created_at"], now)
        for entry in trail:
            entry["created_iso"] = iso(entry["created_at"])
            entry["local"] = present.local_time(entry["created_at"], hours)
        for entry in attempts:
            entry["local"] = present.local_time(entry["created_at"], hours)
        rows = present.criteria_rows(record["answers"])
        reasons = record["answers"].get("reasons")
        for row in rows:  # a key with no staff label: show what was stored with it
            stored = reasons.get(row["key"]) if isinstance(reasons, dict) else None
            if row["key"] not in present.labels()["criteria"] and isinstance(stored, dict):
                row["check"] = shown(stored.get("text"))
        return await render(
            request,
            "detail.html",
            {
                "h": record,
                "created_iso": iso(record["created_at"]),
                "created_local": present.local_time(record["created_at"], hours),
                "updated_local": present.local_time(record["updated_at"], hours),
                "due_local": present.local_time(record["due_at"], hours),
                "consent_local": _local_text(record["consent_at"], hours),
                "share_local": _local_text(record["share_consent_at"], hours),
                "criteria": rows,
                "review_items": present.needs_review(record["answers"]),
                "medicines": medicines,
                "trail": trail,
                "attempts": attempts,
                "deliveries": [
                    {**d, "sent_local": present.local_time(d["sent_at"], hours)} for d in deliveries
                ],
                "next_statuses": workflow.transitions(record["kind"]).get(record["status"], ()),
                "channels": workflow.CHANNELS,
                "channel_labels": workflow.CHANNEL_LABELS,
                "results": workflow.RESULTS,
                "result_labels": workflow.RESULT_LABELS,
                "assignable": assignable,
                "error": error,
                "saved": saved,
                "stale": stale,
                "max_note": queries.MAX_NOTE_LENGTH,
                "zone": hours.zone,
                "target": hours.describe_target(),
            },
            status=status or (400 if error else 200),
        )


def _local_text(stamp: str | None, hours: Any) -> str:
    """An ISO time kept as text (consent times) in the team's time zone."""
    if not stamp:
        return ""
    try:
        return present.local_time(datetime.fromisoformat(stamp), hours)
    except ValueError:
        return stamp


def _version(form: Any) -> int | None:
    raw = str(form.get("version") or "")
    return int(raw) if raw.isdigit() and len(raw) < 10 else None


async def _change(request: web.Request, saved: str, call: Any) -> web.StreamResponse:
    """Run one change of the detail page's forms; PRG to the page with "saved", or the page
    again with the error (400), or with the stale-edit warning (409)."""
    require(request, "admin", "coordinator")
    handoff_id = _handoff_id(request)
    try:
        change = await asyncio.to_thread(call)
    except queries.NotFound:
        raise web.HTTPNotFound() from None
    except queries.Stale:
        return await _detail(request, stale=True, status=409)
    except (queries.InvalidChange, queries.Conflict) as problem:
        return await _detail(request, error=str(problem))
    if saved == "status" and change.action == "note":
        saved = "note"
    raise web.HTTPSeeOther(f"/staff/handoffs/{handoff_id}?saved={saved}")


@routes.post(r"/staff/handoffs/{id:\d+}/status")
async def handoff_status(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    new_status = str(form.get("status") or "") or None
    return await _change(
        request,
        "status",
        partial(
            queries.change_status,
            request.app[ENGINE],
            _handoff_id(request),
            actor=await _user(request),
            new_status=new_status,
            note=str(form.get("note") or ""),
            expected_version=_version(form),
        ),
    )


@routes.post(r"/staff/handoffs/{id:\d+}/attempt")
async def handoff_attempt(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    return await _change(
        request,
        "attempt",
        partial(
            queries.log_attempt,
            request.app[ENGINE],
            _handoff_id(request),
            actor=await _user(request),
            channel=str(form.get("channel") or ""),
            result=str(form.get("result") or ""),
            next_step=str(form.get("next_step") or ""),
            note=str(form.get("note") or ""),
            expected_version=_version(form),
        ),
    )


@routes.post(r"/staff/handoffs/{id:\d+}/assign")
async def handoff_assign(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    user = await _user(request)
    assignee = str(form.get("assignee") or "")
    if assignee == "me":
        assignee = user
    return await _change(
        request,
        "assigned",
        partial(
            queries.assign,
            request.app[ENGINE],
            _handoff_id(request),
            actor=user,
            assignee=assignee or None,
            expected_version=_version(form),
        ),
    )


def csv_columns(with_contact: bool) -> list[str]:
    columns = [
        "id",
        "reference",
        "created_at",
        "updated_at",
        "kind",
        "trial",
        "outcome",
        "status",
        "assigned_to",
        "last_contact_at",
        "why",
    ]
    if with_contact:
        columns += ["name", "email", "phone", "best_time", "answered_by"]
    columns += ["questions"]
    columns += [present.criterion_label(key) for key in present.criterion_ids()]
    columns += ["consent_version", "consent_at", "share_consent_at"]
    return columns


# For tests and the README: the CSV's columns with contact details.
CSV_COLUMNS = tuple(csv_columns(True))


def to_csv(records: list[dict[str, Any]], with_contact: bool = True) -> str:
    """One row per record, one column per criterion (the answer as staff read it); phone
    numbers in a form a phone dials; only cells that would start a formula neutralised."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(csv_columns(with_contact))
    keys = present.criterion_ids()
    for record in records:
        contact = record["contact"]
        given = record["answers"].get("answers")
        given = given if isinstance(given, dict) else {}
        row: list[Any] = [
            record["id"],
            record["reference"],
            iso(record["created_at"]),
            iso(record["updated_at"]),
            record["kind"],
            record.get("trial"),
            record["outcome"],
            record["status"],
            record.get("assigned_to"),
            iso(record.get("last_contact_at")),
            present.why(record),
        ]
        if with_contact:
            answered_by = contact.get("answered_by")
            row += [
                contact.get("name"),
                contact.get("email"),
                present.phone_for_csv(contact.get("phone")),
                contact.get("best_time"),
                (
                    f"{answered_by.get('relation') or 'someone else'} ({answered_by.get('name')})"
                    if isinstance(answered_by, dict)
                    else ""
                ),
            ]
        row.append(" | ".join(shown(q) for q in record["questions"]))
        row += [present.answer_text(given.get(key)) for key in keys]
        row += [record["consent_version"], record["consent_at"], record["share_consent_at"]]
        writer.writerow([spreadsheet_safe(cell) for cell in row])
    return out.getvalue()


@routes.get("/staff/handoffs.csv")
async def handoff_csv(request: web.Request) -> web.StreamResponse:
    view = ListView(request, CSV_FILTERS)
    user = await _user(request)
    hours = request.app[WORK_HOURS]
    records = await asyncio.to_thread(
        partial(
            queries.list_handoffs,
            request.app[ENGINE],
            **view.filters(user),
            sort=view.sort,
            overdue_cutoff=hours.cutoff(datetime.now(timezone.utc)),
        )
    )
    with_contact = sees_contact(request)
    await _audit(
        request,
        user,
        audit.CSV_EXPORT,
        f"rows={len(records)} outcome={view.outcome or 'any'} status={view.status or 'any'} "
        f"search={'yes' if view.q or view.reference else 'no'} "
        f"contact={'yes' if with_contact else 'no'} ip={_client_ip(request)}",
    )
    stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M")
    # One column per question of the filtered trial (the default trial's without a filter).
    with content.serving(content.from_nct(view.trial)):
        text = to_csv(records, with_contact)
    return web.Response(
        text=text,
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="handoffs-{stamp}.csv"'},
    )


# -- user admin (admins only) ----------------------------------------------------------------


@routes.get("/staff/users")
async def user_list(request: web.Request) -> web.StreamResponse:
    return await _users_page(request)


async def _users_page(
    request: web.Request,
    error: str | None = None,
    done: str | None = None,
    new_token: str | None = None,
) -> web.Response:
    require(request, "admin")
    engine = request.app[ENGINE]
    users = await asyncio.to_thread(staff.users, engine)
    api_tokens = await asyncio.to_thread(tokens.listed, engine)
    events = await asyncio.to_thread(audit.staff_events, engine, 30)
    hours = request.app[WORK_HOURS]
    for event in events:
        moment = event["created_at"]
        event["local"] = present.local_time(queries.utc(moment), hours)
    return await render(
        request,
        "users.html",
        {
            "users": users,
            "tokens": api_tokens,
            "token_roles": tokens.ROLES,
            "new_token": new_token,
            "roles": staff.ROLES,
            "events": events,
            "error": error,
            "done": done or DONE.get(request.query.get("done", "")),
            "min_password": staff.MIN_PASSWORD_LENGTH,
        },
        status=400 if error else 200,
    )


DONE = {
    "added": "Saved: the user is added.",
    "disabled": "Saved: the user is disabled and every session of theirs has ended.",
    "enabled": "Saved: the user may sign in again.",
    "password": "Saved: the password is reset and every session of theirs has ended.",
    "role": "Saved: the role is changed and every session of theirs has ended.",
    "token_revoked": "Saved: the token is revoked; calls with it now get 401.",
}


@routes.post("/staff/users")
async def user_change(request: web.Request) -> web.StreamResponse:
    require(request, "admin")
    form = await request.post()
    engine = request.app[ENGINE]
    actor = await _user(request)
    action = str(form.get("action") or "")
    name = str(form.get("username") or "")[:200]
    password = str(form.get("password") or "")
    new_role = str(form.get("role") or "")
    try:
        if action == "add":
            await asyncio.to_thread(
                partial(staff.add_user, engine, name, password, actor=actor, role=new_role)
            )
            done = "added"
        elif action == "disable":
            if staff.normalise(name) == actor:
                raise staff.StaffError("you cannot disable yourself")
            await asyncio.to_thread(partial(staff.disable_user, engine, name, actor=actor))
            done = "disabled"
        elif action == "enable":
            await asyncio.to_thread(partial(staff.enable_user, engine, name, actor=actor))
            done = "enabled"
        elif action == "password":
            await asyncio.to_thread(
                partial(staff.set_password, engine, name, password, actor=actor)
            )
            done = "password"
        elif action == "token_add":
            token = await asyncio.to_thread(
                partial(tokens.add, engine, name, role=new_role or "coordinator", actor=actor)
            )
            # Shown once, in this response only (never in a URL, never stored).
            return await _users_page(
                request,
                done=f"Saved: the token of {staff.normalise(name)} is made. Copy it now; "
                "it is not shown again.",
                new_token=token,
            )
        elif action == "token_revoke":
            await asyncio.to_thread(partial(tokens.revoke, engine, name, actor=actor))
            done = "token_revoked"
        elif action == "role":
            if staff.normalise(name) == actor and new_role != "admin":
                raise staff.StaffError("you cannot take away your own admin role")
            await asyncio.to_thread(partial(staff.set_role, engine, name, new_role, actor=actor))
            done = "role"
        else:
            raise staff.StaffError("unknown action")
    except (staff.StaffError, tokens.TokenError) as error:
        return await _users_page(request, error=str(error))
    raise web.HTTPSeeOther(f"/staff/users?done={done}")
