"""What every staff page shares: labels, how values are shown, render() (the user, CSRF
token and labels every template gets), the queue's filters (ListView, for the list and
the CSV), the signed-in user, the client's address and the audit helper."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timezone
from typing import Any

import aiohttp_jinja2
from aiohttp import web
from aiohttp_session import get_session

from bot import content
from bot.staff import audit, workflow
from bot.staff import users as staff
from bot.web import listing, queries
from bot.web.limiter import client_address
from bot.web.security import CSRF_FIELD, SESSION_USER, csrf_token, role, scope, sees_contact
from bot.web.state import ENGINE, TRUSTED_PROXIES

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


def client_ip(request: web.Request) -> str:
    """The real client: the peer, or X-Forwarded-For when the peer is a trusted proxy."""
    return client_address(
        request.remote,
        request.headers.getall("X-Forwarded-For", []),
        request.app[TRUSTED_PROXIES],
    )


async def audit_event(
    request: web.Request, actor: str, action: str, note: str | None = None
) -> None:
    await asyncio.to_thread(audit.log, request.app[ENGINE], actor, action, note)


class ListView:
    """The queue's filters, read from the query string (unknown ones refused: 400)."""

    def __init__(self, request: web.Request, allowed: set[str]) -> None:
        query = request.query
        self.scope = scope(request)
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
            # What the signed-in user may see at all (bot.staff.users.scope), whatever they pick.
            "scope": self.scope,
        }


async def current_user(request: web.Request) -> str:
    session = await get_session(request)
    return str(session[SESSION_USER])
