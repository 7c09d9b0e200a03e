"""Staff pages: one handoff (answers, transcript, history) and its forms: status and note,
contact attempts, assignment."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from functools import partial
from typing import Any

from aiohttp import web

from bot import content
from bot.staff import users as staff
from bot.staff import workflow
from bot.store.outbox import delivery_status
from bot.web import changes, listing, present, queries
from bot.web.pages import age, current_user, iso, render, shown
from bot.web.security import require, scope, sees_contact
from bot.web.state import ENGINE, WORK_HOURS

routes = web.RouteTableDef()


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
        record = await asyncio.to_thread(queries.get_handoff, engine, handoff_id, scope(request))
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
            changes.change_status,
            request.app[ENGINE],
            _handoff_id(request),
            actor=await current_user(request),
            new_status=new_status,
            note=str(form.get("note") or ""),
            expected_version=_version(form),
            scope=scope(request),
        ),
    )


@routes.post(r"/staff/handoffs/{id:\d+}/attempt")
async def handoff_attempt(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    return await _change(
        request,
        "attempt",
        partial(
            changes.log_attempt,
            request.app[ENGINE],
            _handoff_id(request),
            actor=await current_user(request),
            channel=str(form.get("channel") or ""),
            result=str(form.get("result") or ""),
            next_step=str(form.get("next_step") or ""),
            note=str(form.get("note") or ""),
            expected_version=_version(form),
            scope=scope(request),
        ),
    )


@routes.post(r"/staff/handoffs/{id:\d+}/assign")
async def handoff_assign(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    user = await current_user(request)
    assignee = str(form.get("assignee") or "")
    if assignee == "me":
        assignee = user
    return await _change(
        request,
        "assigned",
        partial(
            changes.assign,
            request.app[ENGINE],
            _handoff_id(request),
            actor=user,
            assignee=assignee or None,
            expected_version=_version(form),
            scope=scope(request),
        ),
    )
