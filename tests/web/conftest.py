"""Fixtures for the staff web app: a real app over a real SQLite file (or PostgreSQL schema)."""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from cryptography.fernet import Fernet

from bot.ops.settings import Settings
from bot.staff import users as staff
from bot.store.handoff import Handoff, HandoffStore
from bot.web.app import create_app
from bot.web.limiter import LoginLimiter

API_TOKEN = "test-token-0123456789abcdef"
USER, PASSWORD = "alice", "correct horse battery staple"
XSS = "<script>alert(1)</script>"

ClientFactory = Callable[..., Awaitable[TestClient]]


def staff_app(
    url: str,
    *,
    api_token: str | None = API_TOKEN,
    secure: bool = False,
    limiter: LoginLimiter | None = None,
    **settings: Any,
) -> web.Application:
    """The web app over the store at url, the pages alone (no outbox worker, digest or spool
    drain), with a random session key; `settings` are more Settings fields."""
    return create_app(
        Settings.from_env(
            database_url=url,
            staff_api_token=api_token,
            staff_session_key=os.urandom(32),
            secure_cookies=secure,
            **settings,
        ),
        limiter=limiter or LoginLimiter(),
        workers=False,
    )


@pytest.fixture(autouse=True)
def handoff_key(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A throwaway encryption key, so tests never touch var/handoff.key."""
    monkeypatch.setenv("HANDOFF_KEY", Fernet.generate_key().decode())
    yield


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'handoffs.db'}"


def handoff(conversation_id: str, **overrides: object) -> Handoff:
    fields: dict[str, object] = {
        "conversation_id": conversation_id,
        "outcome": "likely_eligible",
        "answers": {
            "answers": {"age": 52, "diagnosis": "dermatomyositis"},
            "reasons": {
                "age": {"status": "pass", "text": "Aged 18 or over"},
                "diagnosis": {"status": "pass", "text": "Confirmed DM"},
            },
        },
        "contact": {
            "name": "Ada Lovelace",
            "email": "ada@example.com",
            "phone": "020 7946 0000",
            "best_time": "mornings",
        },
        "consent_version": "1.0",
        "consent_at": "2026-11-25T04:00:00+00:00",
        "share_consent_at": "2026-11-25T04:02:00+00:00",
    }
    fields.update(overrides)
    return Handoff(**fields)  # type: ignore[arg-type]


def seed(url: str) -> dict[str, int]:
    """Three handoffs (oldest first) and one staff user; returns conversation -> id."""
    store = HandoffStore(url, channels=[])
    store.submit(handoff("c-eligible"))
    store.submit(
        handoff(
            "c-review",
            outcome="needs_review",
            contact={
                "name": f"{XSS}<b>Bold</b>",
                "email": "x@example.com",
                "phone": "+44 20 7946 0001",
                "best_time": '=HYPERLINK("http://evil")',
            },
            answers={
                "answers": {"flare": "yes"},
                "reasons": {"flare": {"status": "review", "text": "Recent <i>flare</i>"}},
            },
        )
    )
    store.submit(
        handoff(
            "c-question",
            kind="question",
            outcome="question",
            questions=[f"Is there a placebo? {XSS}", "@SUM(1+1)"],
        )
    )
    staff.add_user(store.engine, USER, PASSWORD)
    with store.engine.connect() as connection:
        rows = connection.execute(sa.text("select conversation_id, id from handoffs")).all()
    store.engine.dispose()
    return {str(c): int(i) for c, i in rows}


@pytest.fixture
def seeded(sqlite_url: str) -> dict[str, int]:
    return seed(sqlite_url)


@pytest.fixture
async def make_client(sqlite_url: str) -> AsyncIterator[ClientFactory]:
    clients: list[TestClient] = []

    async def factory(
        url: str | None = None, *, api_token: str | None = API_TOKEN, secure: bool = False
    ) -> TestClient:
        app = staff_app(url or sqlite_url, api_token=api_token, secure=secure)
        client = TestClient(TestServer(app))
        await client.start_server()
        clients.append(client)
        return client

    yield factory
    for client in clients:
        await client.close()


@pytest.fixture
async def client(make_client: ClientFactory, seeded: dict[str, int]) -> TestClient:
    return await make_client()


def csrf_from(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF field in the page"
    return found.group(1)


async def login(client: TestClient, user: str = USER, password: str = PASSWORD) -> int:
    page = await client.get("/staff/login")
    token = csrf_from(await page.text())
    response = await client.post(
        "/staff/login",
        data={"username": user, "password": password, "csrf_token": token},
        allow_redirects=False,
    )
    return response.status


@pytest.fixture
async def staff_client(client: TestClient) -> TestClient:
    assert await login(client) == 303
    return client


DEMO_FOLDER = Path(__file__).resolve().parents[1] / "fixtures" / "trials" / "demo-hand-eczema"
# A demo-trial record's answers, as the store keeps them.
DEMO_ANSWERS = {
    "answers": {"age": 40, "hand_eczema": "yes", "flares": 5, "jak_pills": "no"},
    "reasons": {},
    "trial": "DEMO-0017",
}


@pytest.fixture
def two_trials(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """This trial and the demo trial served from one deployment (TRIALS)."""
    from bot import content

    monkeypatch.delenv("TRIAL", raising=False)
    monkeypatch.setenv("TRIALS", f"nct06857240,{DEMO_FOLDER}")
    content.reset()
    yield
    monkeypatch.undo()
    content.reset()
