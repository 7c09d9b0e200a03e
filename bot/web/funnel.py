"""The recruitment funnel for staff: the page /staff/funnel (charts as server-drawn SVG) and
`GET /api/funnel?from=YYYY-MM-DD&to=YYYY-MM-DD` (bearer token, like the rest of /api/).

Counts only (bot/staff/funnel.py): nothing here is personal, so every staff role may see it;
a signed-in coordinator or viewer sees the counts of their own trials only (the scope of the
queue and records, bot.staff.users.scope), the API's deployment-wide tokens every trial.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from bot.staff import funnel
from bot.web.security import scope
from bot.web.state import ENGINE

routes = web.RouteTableDef()
PARAMS = frozenset({"from", "to", "trial"})

STAGE_LABELS = {
    "page_view": "Viewed the study page",
    "chat_opened": "Opened the chat",
    "prescreen_offered": "Were offered the prescreen",
    "prescreen_started": "Started the prescreen",
    "prescreen_finished": "Finished the questions",
    "shared": "Shared their answers",
    "contacted": "Contacted by the team",
    "scheduled": "Scheduled a visit",
    "enrolled": "Enrolled",
}
RESULT_LABELS = {
    "likely_eligible": "Likely eligible",
    "needs_review": "Needs review",
    "not_eligible": "Not eligible",
}

# Chart geometry (SVG user units; the SVG scales to the page width).
WIDTH = 720
LABEL_WIDTH = 250
BAR_MAX = 380
ROW = 34
FUNNEL_ROW = 42  # room for the "% of the step before" line under each bar
BAR_HEIGHT = 22


def _range(request: web.Request) -> tuple[Any, Any, str | None]:
    unknown = set(request.query) - PARAMS
    if unknown:
        raise funnel.BadRange(f"unknown parameters: {', '.join(sorted(unknown))}")
    for name in PARAMS:
        if len(request.query.getall(name, [])) > 1:
            raise funnel.BadRange(f"{name} given more than once")
    first, last = funnel.parse_range(request.query.get("from"), request.query.get("to"))
    return first, last, funnel.parse_trial(request.query.get("trial"))


@routes.get("/api/funnel")
async def api_funnel(request: web.Request) -> web.StreamResponse:
    try:
        first, last, trial = _range(request)
    except funnel.BadRange as error:
        return web.json_response({"error": str(error)}, status=400)
    found = await asyncio.to_thread(
        funnel.summary, request.app[ENGINE], first, last, trial, scope(request)
    )
    return web.json_response(found)


def _width(count: int, largest: int) -> int:
    if largest <= 0 or count <= 0:
        return 0
    return max(2, round(BAR_MAX * count / largest))


def funnel_chart(summary: dict[str, Any]) -> dict[str, Any]:
    """Bars of the funnel: each stage, its count and its share of the stage before."""
    stages = summary["stages"]
    largest = max((s["count"] for s in stages), default=0)
    bars = []
    previous: int | None = None
    for index, stage in enumerate(stages):
        count = stage["count"]
        # More than the step before happens (chats over the REST API never view the page):
        # then no share is shown.
        share = ""
        if previous and count <= previous:
            share = f"{round(100 * count / previous)}% of the step before"
        bars.append(
            {
                "label": STAGE_LABELS[stage["event"]],
                "event": stage["event"],
                "count": count,
                "y": index * FUNNEL_ROW,
                "width": _width(count, largest),
                "share": share,
            }
        )
        previous = count
    return {"bars": bars, "height": len(bars) * FUNNEL_ROW}


def dropoff_chart(summary: dict[str, Any]) -> dict[str, Any]:
    """Per question: how many were asked (pale bar) and answered (dark bar) it."""
    questions = summary["questions"]
    largest = max((q["asked"] for q in questions), default=0)
    largest = max(largest, max((q["answered"] for q in questions), default=0))
    bars = []
    for index, question in enumerate(questions):
        bars.append(
            {
                **question,
                "number": index + 1,
                "y": index * ROW,
                "asked_width": _width(question["asked"], largest),
                "answered_width": _width(question["answered"], largest),
            }
        )
    return {"bars": bars, "height": len(bars) * ROW}


def day_table(summary: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per day (and trial): the count of each stage."""
    table = []
    for day in summary["days"]:
        counts = day["counts"]
        values = []
        for event in funnel.STAGES:
            value = counts.get(event, 0)
            values.append(value.get("prescreen", 0) if isinstance(value, dict) else value)
        table.append({"day": day["day"], "trial": day["trial"], "values": values})
    return table


@routes.get("/staff/funnel")
async def funnel_page(request: web.Request) -> web.StreamResponse:
    from bot.web.pages import render  # the inbox's page helper (user, CSRF, labels)

    error = None
    try:
        first, last, trial = _range(request)
    except funnel.BadRange as problem:
        error = str(problem)
        first, last = funnel.parse_range(None, None)
        trial = None
    found = await asyncio.to_thread(
        funnel.summary, request.app[ENGINE], first, last, trial, scope(request)
    )
    return await render(
        request,
        "funnel.html",
        {
            "summary": found,
            "error": error,
            "funnel": funnel_chart(found),
            "dropoff": dropoff_chart(found),
            "day_rows": day_table(found),
            "stages": funnel.STAGES,
            "result_labels": RESULT_LABELS,
            "stage_labels": STAGE_LABELS,
            "chart": {
                "width": WIDTH,
                "label_width": LABEL_WIDTH,
                "bar_max": BAR_MAX,
                "bar_height": BAR_HEIGHT,
            },
        },
        status=400 if error else 200,
    )
