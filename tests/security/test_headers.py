"""Every response of the web app (public page, staff pages, API, static files, errors) carries
the security headers, for anonymous and logged-in users alike. Routes are read from the app's
router, so a page added later is covered without touching this test."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from cryptography.fernet import Fernet

from tests.web.conftest import API_TOKEN, login, seed, staff_app


@pytest.fixture
async def app_client(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[TestClient, list[str], list[str]]]:
    monkeypatch.setenv("HANDOFF_KEY", Fernet.generate_key().decode())
    url = f"sqlite:///{tmp_path / 'handoffs.db'}"
    ids = seed(url)
    app = staff_app(url)
    gets, posts = _paths(app, next(iter(ids.values())))
    client = TestClient(TestServer(app))
    await client.start_server()
    yield client, gets, posts
    await client.close()


def _paths(app: web.Application, handoff_id: int) -> tuple[list[str], list[str]]:
    gets: set[str] = set()
    posts: set[str] = set()
    for route in app.router.routes():
        info = route.resource.get_info() if route.resource else {}
        if "directory" in info:
            files = [p for p in Path(info["directory"]).rglob("*") if p.is_file()]
            prefix = info["prefix"].rstrip("/")
            gets.update(f"{prefix}/{p.relative_to(info['directory'])}" for p in files[:3])
            continue
        path = info.get("path") or re.sub(r"\{[^}]+\}", str(handoff_id), info.get("formatter", ""))
        if not path:
            continue
        if route.method in ("GET", "HEAD"):
            gets.add(path)
        elif route.method in ("POST", "PATCH", "PUT", "DELETE"):
            posts.add(f"{route.method} {path}")
    gets.add("/no-such-page")
    return sorted(gets), sorted(posts)


def _check(response_headers: object, where: str) -> None:
    headers = dict(response_headers)  # type: ignore[call-overload]
    csp = headers.get("Content-Security-Policy", "")
    assert "frame-ancestors 'none'" in csp, where
    assert "default-src 'self'" in csp and "object-src 'none'" in csp, where
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp, where
    assert headers.get("X-Content-Type-Options") == "nosniff", where
    assert headers.get("Referrer-Policy") == "no-referrer", where
    assert headers.get("X-Frame-Options") == "DENY", where


async def test_every_page_anonymous_and_logged_in(
    app_client: tuple[TestClient, list[str], list[str]],
) -> None:
    client, gets, posts = app_client
    assert "/" in gets and "/staff/handoffs" in gets and "/api/handoffs" in gets, gets
    assert any(p.startswith("/staff/static/") for p in gets), gets
    seen: set[int] = set()
    for path in gets:
        response = await client.get(path, allow_redirects=False)
        _check(response.headers, f"anonymous GET {path} -> {response.status}")
        seen.add(response.status)
    for entry in posts:
        method, path = entry.split(" ", 1)
        response = await client.request(method, path, allow_redirects=False)
        _check(response.headers, f"anonymous {entry} -> {response.status}")
        assert response.status in (303, 401, 403, 404, 405), entry
    assert await login(client) == 303
    for path in gets:
        response = await client.get(path, allow_redirects=False)
        _check(response.headers, f"staff GET {path} -> {response.status}")
        seen.add(response.status)
    api = await client.get("/api/handoffs", headers={"Authorization": f"Bearer {API_TOKEN}"})
    assert api.status == 200
    _check(api.headers, "API with token")
    assert {200, 303, 401, 404} <= seen, seen
