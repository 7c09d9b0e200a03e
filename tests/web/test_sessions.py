"""Staff sessions are revocable: logout, a password change and `staff disable-user` end every
session of the user at once; a cookie kept from before no longer reads the inbox or the CSV.
The user commands run as the real command line (`python -m bot staff ...`)."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path

import aiohttp
import sqlalchemy as sa
from aiohttp.test_utils import TestClient

from bot.staff import audit
from bot.store.schema import audit as audit_table
from tests.web.conftest import PASSWORD, USER, csrf_from, login

ROOT = Path(__file__).resolve().parents[2]
NEW_PASSWORD = "a brand new passphrase 42"
PROTECTED = ("/staff/handoffs", "/staff/handoffs.csv")


def kept_cookie(client: TestClient) -> str:
    """The session cookie as a browser (or a thief) would keep it."""
    cookies = {c.key: c.value for c in client.session.cookie_jar}
    return cookies["staff_session"]


async def reads_inbox(client: TestClient, cookie: str) -> list[int]:
    """Status of each protected page fetched with only this cookie (no other state)."""
    statuses = []
    async with aiohttp.ClientSession() as other:
        for path in PROTECTED:
            async with other.get(
                client.make_url(path),
                headers={"Cookie": f"staff_session={cookie}"},
                allow_redirects=False,
            ) as response:
                statuses.append(response.status)
                if response.status == 200 and path.endswith(".csv"):
                    assert "Ada Lovelace" in await response.text()
    return statuses


def cli(sqlite_url: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = dict(
        os.environ,
        DATABASE_URL=sqlite_url,
        STAFF_API_TOKEN="cli-test-token-0123456789",
        STAFF_SESSION_KEY=base64.urlsafe_b64encode(os.urandom(32)).decode(),
        PYTHONPATH=str(ROOT),
    )
    return subprocess.run(
        [sys.executable, "-m", "bot", "staff", *args],
        cwd=ROOT, env=env, input=stdin, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


async def test_logout_ends_a_cookie_kept_from_before(client: TestClient) -> None:
    assert await login(client) == 303
    cookie = kept_cookie(client)
    assert await reads_inbox(client, cookie) == [200, 200]
    page = await client.get("/staff/handoffs")
    out = await client.post(
        "/staff/logout", data={"csrf_token": csrf_from(await page.text())}, allow_redirects=False
    )
    assert out.status == 303
    assert await reads_inbox(client, cookie) == [303, 303]


async def test_logout_ends_every_session_of_that_user(
    client: TestClient, make_client: object
) -> None:
    assert await login(client) == 303
    first = kept_cookie(client)
    client.session.cookie_jar.clear()
    assert await login(client) == 303  # a second browser
    second = kept_cookie(client)
    assert first != second
    assert await reads_inbox(client, first) == [200, 200]
    page = await client.get("/staff/handoffs")
    await client.post("/staff/logout", data={"csrf_token": csrf_from(await page.text())})
    assert await reads_inbox(client, first) == [303, 303]
    assert await reads_inbox(client, second) == [303, 303]
    assert await login(client) == 303  # logging in again works, with a fresh session
    assert await reads_inbox(client, kept_cookie(client)) == [200, 200]


async def test_password_change_ends_sessions(client: TestClient, sqlite_url: str) -> None:
    assert await login(client) == 303
    cookie = kept_cookie(client)
    done = cli(sqlite_url, "set-password", USER, "--password-stdin", stdin=NEW_PASSWORD + "\n")
    assert done.returncode == 0, done.stderr
    assert "every session" in done.stdout and NEW_PASSWORD not in done.stdout + done.stderr
    assert await reads_inbox(client, cookie) == [303, 303]
    client.session.cookie_jar.clear()
    assert await login(client) == 401  # the old password
    assert await login(client, password=NEW_PASSWORD) == 303


async def test_disable_user_ends_sessions_and_logins(client: TestClient, sqlite_url: str) -> None:
    assert await login(client) == 303
    cookie = kept_cookie(client)
    done = cli(sqlite_url, "disable-user", USER)
    assert done.returncode == 0, done.stderr
    assert await reads_inbox(client, cookie) == [303, 303]
    client.session.cookie_jar.clear()
    assert await login(client) == 401  # the right password, but disabled
    assert cli(sqlite_url, "enable-user", USER).returncode == 0
    assert await login(client) == 303
    assert cli(sqlite_url, "disable-user", "nobody").returncode == 1


async def test_add_user_from_stdin(client: TestClient, sqlite_url: str) -> None:
    done = cli(sqlite_url, "add-user", "Bob", "--password-stdin", stdin=NEW_PASSWORD + "\n")
    assert done.returncode == 0 and "Added staff user bob." in done.stdout, done.stderr
    assert await login(client, user="bob", password=NEW_PASSWORD) == 303
    short = cli(sqlite_url, "add-user", "carol", "--password-stdin", stdin="short\n")
    assert short.returncode == 1 and "at least 12" in short.stderr
    empty = cli(sqlite_url, "add-user", "dave", "--password-stdin", stdin="")
    assert empty.returncode == 1 and "no password" in empty.stderr


async def test_audit_log_has_logins_exports_and_user_changes_but_no_passwords(
    client: TestClient, sqlite_url: str
) -> None:
    assert await login(client, password="wrong password number one") == 401
    assert await login(client, user="not-a-user", password="wrong password number two") == 401
    assert await login(client) == 303
    csv = await client.get("/staff/handoffs.csv?outcome=needs_review")
    assert csv.status == 200
    page = await client.get("/staff/handoffs")
    await client.post("/staff/logout", data={"csrf_token": csrf_from(await page.text())})
    set_pw = cli(sqlite_url, "set-password", USER, "--password-stdin", stdin=NEW_PASSWORD)
    assert set_pw.returncode == 0, set_pw.stderr
    assert cli(sqlite_url, "disable-user", USER).returncode == 0
    engine = sa.create_engine(sqlite_url)
    with engine.connect() as connection:
        rows = connection.execute(sa.select(audit_table).order_by(audit_table.c.id)).all()
    engine.dispose()
    events = [(r.actor, r.action) for r in rows]
    assert events == [
        ("command line", audit.USER_ADDED),  # the fixture's alice
        (USER, audit.LOGIN_FAILED),
        (audit.UNKNOWN_USER, audit.LOGIN_FAILED),  # a name that is no user is not kept
        (USER, audit.CSV_EXPORT),
        (USER, audit.LOGOUT),
        ("command line", audit.PASSWORD_CHANGED),
        ("command line", audit.USER_DISABLED),
    ]
    assert all(r.handoff_id is None for r in rows)
    notes = {r.action: r.note for r in rows}
    assert notes[audit.CSV_EXPORT].startswith("rows=1 outcome=needs_review")
    assert notes[audit.LOGIN_FAILED] == "ip=127.0.0.1"
    dumped = repr([tuple(r) for r in rows])
    for secret in (PASSWORD, NEW_PASSWORD, "wrong password", "not-a-user", "Ada"):
        assert secret not in dumped
