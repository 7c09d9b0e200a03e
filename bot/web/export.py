"""Staff pages: the queue as CSV (formula injection defused, contact details only for those
who may see them, every export audited)."""

from __future__ import annotations

import asyncio
import csv
import io
from datetime import datetime, timezone
from functools import partial
from typing import Any

from aiohttp import web

from bot import content
from bot.staff import audit
from bot.web import present, queries
from bot.web.pages import (
    CSV_FILTERS,
    ListView,
    audit_event,
    client_ip,
    current_user,
    iso,
    shown,
    spreadsheet_safe,
)
from bot.web.security import sees_contact
from bot.web.state import ENGINE, WORK_HOURS

routes = web.RouteTableDef()


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
    if with_contact:
        # Added last, so a spreadsheet import keyed on the older columns' order still works.
        columns += ["who_to_call"]
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
            row += [
                contact.get("name"),
                contact.get("email"),
                present.phone_for_csv(contact.get("phone")),
                contact.get("best_time"),
                present.answered_by(contact),  # "daughter (Lucia)": the header is the label
            ]
        row.append(" | ".join(shown(q) for q in record["questions"]))
        row += [present.answer_text(given.get(key)) for key in keys]
        row += [record["consent_version"], record["consent_at"], record["share_consent_at"]]
        if with_contact:
            row.append(present.who_to_call(contact))
        writer.writerow([spreadsheet_safe(cell) for cell in row])
    return out.getvalue()


@routes.get("/staff/handoffs.csv")
async def handoff_csv(request: web.Request) -> web.StreamResponse:
    view = ListView(request, CSV_FILTERS)
    user = await current_user(request)
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
    await audit_event(
        request,
        user,
        audit.CSV_EXPORT,
        f"rows={len(records)} outcome={view.outcome or 'any'} status={view.status or 'any'} "
        f"search={'yes' if view.q or view.reference else 'no'} "
        f"contact={'yes' if with_contact else 'no'} ip={client_ip(request)}",
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
