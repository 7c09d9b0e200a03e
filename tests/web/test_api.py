"""JSON API: bearer token, list/detail shape and order, PATCH validation and audit, OpenAPI."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
import sqlalchemy as sa
from aiohttp.test_utils import TestClient

from bot.store.handoff import HandoffStore
from bot.store.schema import audit
from bot.web import queries
from bot.web.security import SECURITY_HEADERS
from tests.web.conftest import API_TOKEN, XSS, ClientFactory, seed
from tests.web.conftest import handoff as make_handoff

AUTH = {"Authorization": f"Bearer {API_TOKEN}"}


async def test_unauthorised_without_or_with_wrong_token(
    client: TestClient, make_client: ClientFactory
) -> None:
    for headers in (
        {},
        {"Authorization": "Bearer nope"},
        {"Authorization": API_TOKEN},
        {"Authorization": f"Basic {API_TOKEN}"},
    ):
        response = await client.get("/api/handoffs", headers=headers)
        assert response.status == 401, headers
        assert response.headers["WWW-Authenticate"] == "Bearer"
        assert await response.json() == {"error": "unauthorized"}
        for name, value in SECURITY_HEADERS.items():
            assert response.headers[name] == value
    assert (await client.patch("/api/handoffs/1", json={"status": "contacted"})).status == 401
    unconfigured = await make_client(api_token=None)
    response = await unconfigured.get("/api/handoffs", headers={"Authorization": "Bearer "})
    assert response.status == 401


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
async def test_list_shape_and_order(
    backend: str, request: pytest.FixtureRequest, make_client: ClientFactory
) -> None:
    url = request.getfixturevalue(f"{backend}_url")
    ids = seed(url)
    client = await make_client(url)
    response = await client.get("/api/handoffs", headers=AUTH)
    assert response.status == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    items = (await response.json())["items"]
    assert [i["id"] for i in items] == [ids[c] for c in ("c-question", "c-review", "c-eligible")]
    created = [datetime.fromisoformat(i["created_at"]) for i in items]
    assert created == sorted(created, reverse=True) and all(c.tzinfo for c in created)
    eligible = items[2]
    assert eligible["reference"] and eligible["outcome"] == "likely_eligible"
    assert eligible["status"] == "new" and eligible["kind"] == "prescreen"
    assert eligible["contact"] == {
        "name": "Ada Lovelace",
        "email": "ada@example.com",
        "phone": "020 7946 0000",
        "best_time": "mornings",
    }
    assert eligible["answers"]["reasons"]["age"] == {"status": "pass", "text": "Aged 18 or over"}
    assert items[0]["questions"] == [f"Is there a placebo? {XSS}", "@SUM(1+1)"]
    assert items[1]["contact"]["name"].startswith(XSS)  # JSON is data: verbatim
    filtered = await client.get("/api/handoffs?outcome=needs_review&status=new", headers=AUTH)
    assert [i["id"] for i in (await filtered.json())["items"]] == [ids["c-review"]]
    limited = await client.get("/api/handoffs?limit=1", headers=AUTH)
    assert [i["id"] for i in (await limited.json())["items"]] == [ids["c-question"]]
    for bad in ("outcome=maybe", "status=gone", "limit=-1", "limit=abc"):
        response = await client.get(f"/api/handoffs?{bad}", headers=AUTH)
        assert response.status == 400, bad
        assert "error" in await response.json()


async def test_get_one(client: TestClient, seeded: dict[str, int]) -> None:
    response = await client.get(f"/api/handoffs/{seeded['c-review']}", headers=AUTH)
    body = await response.json()
    assert response.status == 200 and body["outcome"] == "needs_review"
    assert body["contact"]["email"] == "x@example.com"
    missing = await client.get("/api/handoffs/999999", headers=AUTH)
    assert missing.status == 404 and await missing.json() == {"error": "not found"}


async def test_patch_validates_and_audits(
    client: TestClient, seeded: dict[str, int], sqlite_url: str
) -> None:
    path = f"/api/handoffs/{seeded['c-eligible']}"
    bad_bodies: list[tuple[object, int]] = [
        (b"not json", 400),
        (b"[1]", 400),
        (json.dumps({"status": "deleted"}).encode(), 400),
        (json.dumps({"status": 3}).encode(), 400),
        (json.dumps({"note": ["x"]}).encode(), 400),
        (json.dumps({"owner": "me"}).encode(), 400),
        (json.dumps({}).encode(), 400),
        (json.dumps({"note": "x" * 2001}).encode(), 400),
        (json.dumps({"status": "enrolled"}).encode(), 409),  # new -> enrolled skips steps
    ]
    for body, expected in bad_bodies:
        response = await client.patch(
            path, data=body, headers={**AUTH, "Content-Type": "application/json"}
        )
        assert response.status == expected, body
        assert "error" in await response.json()
    ok = await client.patch(path, json={"status": "contacted", "note": "Called"}, headers=AUTH)
    assert ok.status == 200
    changed = await ok.json()
    assert changed["status"] == "contacted" and changed["updated_at"] > changed["created_at"]
    note = await client.patch(path, json={"note": "Will call back"}, headers=AUTH)
    assert note.status == 200 and (await note.json())["status"] == "contacted"
    missing = await client.patch("/api/handoffs/999999", json={"note": "x"}, headers=AUTH)
    assert missing.status == 404
    engine = sa.create_engine(sqlite_url)
    with engine.connect() as connection:
        on_handoffs = sa.select(audit.c.note).where(audit.c.handoff_id.is_not(None))
        raw = connection.execute(on_handoffs.order_by(audit.c.id)).scalars().all()
    rows = queries.audit_trail(engine, seeded["c-eligible"])
    engine.dispose()
    assert [
        (r["actor"], r["action"], r["old_status"], r["new_status"], r["note"]) for r in rows
    ] == [
        ("api:STAFF_API_TOKEN", "status", "new", "contacted", "Called"),
        ("api:STAFF_API_TOKEN", "note", "contacted", "contacted", "Will call back"),
    ]
    # Staff notes are encrypted at rest (read back decrypted above).
    assert all(note.startswith("gAAAAA") for note in raw) and "Called" not in "".join(raw)


async def test_openapi_document(client: TestClient) -> None:
    response = await client.get("/api/openapi.json")
    assert response.status == 200 and response.content_type == "application/json"
    document = json.loads(await response.text())
    assert document["openapi"].startswith("3.0")
    assert set(document["paths"]) >= {"/api/handoffs", "/api/handoffs/{id}", "/api/openapi.json"}
    assert {"get", "patch"} <= set(document["paths"]["/api/handoffs/{id}"])
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
async def test_hostile_bodies_and_ids_get_json_errors_not_500(
    backend: str, request: pytest.FixtureRequest, make_client: ClientFactory
) -> None:
    """A lone surrogate in a note, a 5,000-deep JSON body, an over-long id: 400/404 in JSON."""
    url = request.getfixturevalue(f"{backend}_url")
    ids = seed(url)
    client = await make_client(url)
    path = f"/api/handoffs/{ids['c-eligible']}"
    json_headers = {**AUTH, "Content-Type": "application/json"}
    cases: list[tuple[str, str, bytes | None, int]] = [
        ("PATCH", path, b'{"note": "call \\ud800 back"}', 400),
        ("PATCH", path, b'{"status": "contacted", "note": "\\udfff"}', 400),
        ("PATCH", path, b'{"note": ' + b"[" * 5000 + b"]" * 5000 + b"}", 400),
        ("PATCH", path, b"[" * 5000 + b"]" * 5000, 400),
        ("GET", "/api/handoffs/" + "9" * 5000, None, 404),
        ("GET", "/api/handoffs/" + "9" * 30, None, 404),
        ("GET", "/api/handoffs/2147483648", None, 404),
        ("PATCH", "/api/handoffs/" + "9" * 5000, b'{"note": "x"}', 404),
        ("PATCH", "/api/handoffs/" + "9" * 30, b'{"note": "x"}', 404),
        ("GET", "/api/handoffs?conversation_id=" + "c" * 300, None, 400),
    ]
    for method, target, body, expected in cases:
        response = await client.request(method, target, data=body, headers=json_headers)
        assert response.status == expected, (method, target[:40], (body or b"")[:40])
        assert response.content_type == "application/json"
        assert "error" in await response.json()
    # Nothing was written by the refused requests; a valid note still works.
    engine = sa.create_engine(url)
    assert queries.audit_trail(engine, ids["c-eligible"]) == []
    engine.dispose()
    ok = await client.patch(path, json={"note": "call back ✓"}, headers=AUTH)
    assert ok.status == 200


async def test_handoffs_of_one_conversation_are_linked(
    sqlite_url: str, make_client: ClientFactory
) -> None:
    store = HandoffStore(sqlite_url, channels=[])
    first, _ = store.submit(make_handoff("c-two", submission_id="s1", kind="question"))
    second, _ = store.submit(make_handoff("c-two", submission_id="s2"))
    again, created = store.submit(make_handoff("c-two", submission_id="s2"))
    store.submit(make_handoff("c-other"))
    store.engine.dispose()
    assert first != second and (again, created) == (second, False)
    client = await make_client(sqlite_url)
    response = await client.get("/api/handoffs?conversation_id=c-two", headers=AUTH)
    items = (await response.json())["items"]
    assert [i["reference"] for i in items] == [second, first]  # newest first
    assert [r["reference"] for r in items[0]["related"]] == [first]
    assert [r["reference"] for r in items[1]["related"]] == [second]
    detail = await client.get(f"/api/handoffs/{items[1]['id']}", headers=AUTH)
    assert [r["reference"] for r in (await detail.json())["related"]] == [second]
