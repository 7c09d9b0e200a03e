"""Staff pages: the work queue (filters, sort, pages, saved views) and short links by
reference code."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from functools import partial
from urllib.parse import urlencode

from aiohttp import web

from bot.staff import workflow
from bot.web import listing, present, queries
from bot.web.pages import LIST_FILTERS, PAGE_SIZE, ListView, age, current_user, iso, render
from bot.web.security import scope, sees_contact
from bot.web.state import ENGINE, WORK_HOURS

routes = web.RouteTableDef()


@routes.get("/staff/handoffs")
async def handoff_list(request: web.Request) -> web.StreamResponse:
    view = ListView(request, LIST_FILTERS)
    user = await current_user(request)
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
    overdue_count = await asyncio.to_thread(
        queries.count_overdue, engine, hours.cutoff(now), view.scope
    )
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
            "trials": listing.trials(view.scope),
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
    found = await asyncio.to_thread(
        queries.find_reference, request.app[ENGINE], reference, scope(request)
    )
    if found is None:
        raise web.HTTPNotFound(text="No record has this reference.")
    raise web.HTTPSeeOther(f"/staff/handoffs/{found}")


@routes.get(r"/staff/handoffs/{reference:[A-Za-z0-9]*[A-Za-z][A-Za-z0-9]*}")
async def by_reference_in_path(request: web.Request) -> web.StreamResponse:
    """/staff/handoffs/BWZ9 (a reference where an id goes) finds the record too."""
    return await by_reference(request)
