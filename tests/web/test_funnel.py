"""The funnel over HTTP: GET /api/funnel (token, dates, exact counts from the page, the store
and staff changes) and the staff page /staff/funnel, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import re
import time
from datetime import timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from bot.staff import funnel
from tests.web.conftest import API_TOKEN, XSS, ClientFactory, login, seed

AUTH = {"Authorization": f"Bearer {API_TOKEN}"}


def _range() -> str:
    today = funnel.local_day()
    return f"from={(today - timedelta(days=1)).isoformat()}&to={(today + timedelta(days=1))}"


async def _funnel(client: TestClient) -> dict[str, Any]:
    response = await client.get(f"/api/funnel?{_range()}", headers=AUTH)
    assert response.status == 200
    body: dict[str, Any] = await response.json()
    return body


def stages(body: dict[str, Any]) -> dict[str, int]:
    return {s["event"]: s["count"] for s in body["stages"]}


async def _until(client: TestClient, check: Any, seconds: float = 15.0) -> dict[str, Any]:
    """The funnel once `check` holds (counters are written in the background)."""
    deadline = time.monotonic() + seconds
    while True:
        body = await _funnel(client)
        if check(body):
            return body
        if time.monotonic() > deadline:
            raise AssertionError(f"funnel never matched: {body}")
        await asyncio.sleep(0.1)


async def _patch(client: TestClient, handoff_id: int, status: str) -> None:
    response = await client.patch(
        f"/api/handoffs/{handoff_id}", json={"status": status}, headers=AUTH
    )
    assert response.status == 200, await response.text()


async def test_the_api_needs_the_token(client: TestClient) -> None:
    for path in ("/api/funnel", "/api/fhir/ResearchSubject"):
        assert (await client.get(path)).status == 401
        assert (await client.get(path, headers={"Authorization": "Bearer nope"})).status == 401


@pytest.mark.parametrize(
    "query",
    [
        "from=2026-13-01",
        "from=2026-02-30",
        "to=tomorrow",
        "from=2026-1-1",
        "from=%00",
        "from=2026-12-05&to=2026-12-01",
        "from=2020-01-01&to=2026-12-01",
        "from=2026-12-01&from=2026-12-02",
        "day=2026-12-01",
        "trial=NCT%2006857240",
        "trial=" + "N" * 33,
        f"{XSS}=1",
    ],
)
async def test_bad_dates_and_unknown_parameters_are_400(client: TestClient, query: str) -> None:
    response = await client.get(f"/api/funnel?{query}", headers=AUTH)
    assert response.status == 400
    assert response.content_type == "application/json"
    assert (await response.json())["error"]


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
async def test_counts_from_the_page_the_store_and_staff_changes(
    backend: str, request: pytest.FixtureRequest, make_client: ClientFactory
) -> None:
    url = request.getfixturevalue(f"{backend}_url")
    ids = seed(url)  # two prescreen handoffs and one question
    client = await make_client(url)
    for _ in range(3):
        assert (await client.get("/")).status == 200
    assert (await client.head("/")).status == 200  # not a view
    body = await _until(client, lambda b: stages(b)["page_view"] == 3 and b["shared"]["question"])
    assert body["shared"] == {"prescreen": 2, "question": 1}
    eligible = ids["c-eligible"]
    await _patch(client, eligible, "contacted")
    await _patch(client, eligible, "not_a_fit")
    await _patch(client, eligible, "contacted")  # reopened: still one person contacted
    await _patch(client, eligible, "scheduled")
    await _patch(client, eligible, "enrolled")
    await _patch(client, ids["c-review"], "contacted")
    body = await _funnel(client)  # staff changes are counted in their own transaction
    assert stages(body) == {
        "page_view": 3,
        "chat_opened": 0,
        "prescreen_offered": 0,
        "prescreen_started": 0,
        "prescreen_finished": 0,
        "shared": 2,
        "contacted": 2,
        "scheduled": 1,
        "enrolled": 1,
    }
    today = funnel.local_day().isoformat()
    assert [d["day"] for d in body["days"]] == [today]
    assert body["days"][0]["counts"]["contacted"] == 2
    assert body["trials"] == ["NCT06857240"]
    # Another trial, another range: nothing.
    response = await client.get(f"/api/funnel?{_range()}&trial=NCT00000000", headers=AUTH)
    assert all(s["count"] == 0 for s in (await response.json())["stages"])
    response = await client.get(f"/api/funnel?{_range()}&trial=NCT06857240", headers=AUTH)
    assert stages(await response.json()) == stages(body)
    response = await client.get("/api/funnel?from=2025-01-01&to=2025-01-31", headers=AUTH)
    empty = await response.json()
    assert all(s["count"] == 0 for s in empty["stages"]) and empty["days"] == []


async def test_the_page_shows_the_charts_and_escapes(
    client: TestClient, seeded: dict[str, int]
) -> None:
    anonymous = await client.get("/staff/funnel", allow_redirects=False)
    assert anonymous.status == 303 and anonymous.headers["Location"] == "/staff/login"
    assert await login(client) == 303
    await client.get("/")
    await _until(client, lambda b: stages(b)["page_view"] == 1 and stages(b)["shared"] == 2)
    page = await client.get(f"/staff/funnel?{_range()}")
    assert page.status == 200
    html = await page.text()
    assert html.count("<svg") == 2
    view = re.search(r'<g data-event="page_view">.*?class="count"[^>]*>(\d+)<', html, re.S)
    shared = re.search(r'<g data-event="shared">.*?class="count"[^>]*>(\d+)<', html, re.S)
    assert view and view.group(1) == "1" and shared and shared.group(1) == "2"
    assert 'data-question="age"' in html and 'data-question="pregnancy"' in html
    assert "style=" not in html  # the strict CSP allows no inline style
    bad = await client.get(f"/staff/funnel?{XSS}=1")
    assert bad.status == 400
    text = await bad.text()
    assert XSS not in text and "&lt;script&gt;" in text
