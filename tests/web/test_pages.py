"""Staff pages: login, sessions, CSRF, headers, inbox, detail, status workflow, CSV, escaping."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping

import sqlalchemy as sa
from aiohttp.test_utils import TestClient

from bot.store import crypto
from bot.store.handoff import HandoffStore
from bot.store.schema import audit, handoffs
from bot.web.security import SECURITY_HEADERS
from tests.web.conftest import USER, XSS, ClientFactory, csrf_from, handoff, login


def assert_security_headers(headers: Mapping[str, str]) -> None:
    for name, value in SECURITY_HEADERS.items():
        assert headers[name] == value, name
    csp = headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp


async def test_healthz(client: TestClient) -> None:
    response = await client.get("/healthz")
    assert response.status == 200 and await response.text() == "ok"
    assert_security_headers(response.headers)


async def test_anonymous_is_sent_to_login(client: TestClient, seeded: dict[str, int]) -> None:
    some_id = seeded["c-eligible"]
    for path in (
        "/staff",
        "/staff/",
        "/staff/handoffs",
        f"/staff/handoffs/{some_id}",
        "/staff/handoffs.csv",
    ):
        response = await client.get(path, allow_redirects=False)
        assert response.status == 303, path
        assert response.headers["Location"] == "/staff/login"
        assert_security_headers(response.headers)
    response = await client.post(f"/staff/handoffs/{some_id}/status", allow_redirects=False)
    assert response.status == 303


async def test_login_success_then_logout(client: TestClient) -> None:
    page = await client.get("/staff/login")
    assert page.status == 200
    assert_security_headers(page.headers)
    assert await login(client) == 303
    inbox = await client.get("/staff/handoffs", allow_redirects=False)
    assert inbox.status == 200 and f"Signed in as {USER}" in await inbox.text()
    token = csrf_from(await inbox.text())
    out = await client.post("/staff/logout", data={"csrf_token": token}, allow_redirects=False)
    assert out.status == 303 and out.headers["Location"] == "/staff/login"
    after = await client.get("/staff/handoffs", allow_redirects=False)
    assert after.status == 303


async def test_login_failure(client: TestClient) -> None:
    assert await login(client, password="wrong password here") == 401
    assert await login(client, user="nobody", password="whatever it is") == 401
    response = await client.get("/staff/handoffs", allow_redirects=False)
    assert response.status == 303


async def test_login_needs_csrf(client: TestClient) -> None:
    await client.get("/staff/login")
    response = await client.post(
        "/staff/login", data={"username": USER, "password": "x"}, allow_redirects=False
    )
    assert response.status == 403
    assert_security_headers(response.headers)


async def test_posts_without_or_with_wrong_csrf_are_refused(
    staff_client: TestClient, seeded: dict[str, int], sqlite_url: str
) -> None:
    handoff_id = seeded["c-eligible"]
    path = f"/staff/handoffs/{handoff_id}/status"
    missing = await staff_client.post(path, data={"status": "contacted"}, allow_redirects=False)
    assert missing.status == 403
    wrong = await staff_client.post(
        path, data={"status": "contacted", "csrf_token": "forged"}, allow_redirects=False
    )
    assert wrong.status == 403
    logout = await staff_client.post("/staff/logout", allow_redirects=False)
    assert logout.status == 403
    engine = sa.create_engine(sqlite_url)
    with engine.connect() as connection:
        on_handoffs = sa.select(sa.func.count()).where(audit.c.handoff_id.is_not(None))
        assert connection.execute(on_handoffs).scalar() == 0
        status = connection.execute(
            sa.select(handoffs.c.status).where(handoffs.c.id == handoff_id)
        ).scalar()
    engine.dispose()
    assert status == "new"


async def test_session_cookie_flags(make_client: ClientFactory, seeded: dict[str, int]) -> None:
    client = await make_client(secure=True)
    response = await client.get("/staff/login")
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("staff_session=")
    for flag in ("Secure", "HttpOnly", "SameSite=Strict", "Max-Age=28800", "Path=/staff"):
        assert flag in cookie, flag
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


async def test_static_css_served_with_headers(client: TestClient) -> None:
    response = await client.get("/staff/static/staff.css")
    assert response.status == 200 and response.content_type == "text/css"
    assert_security_headers(response.headers)


async def test_list_in_queue_order_and_filters(
    staff_client: TestClient, seeded: dict[str, int]
) -> None:
    response = await staff_client.get("/staff/handoffs")
    html = await response.text()
    assert response.headers["Cache-Control"] == "no-store"
    assert_security_headers(response.headers)
    # All new and not overdue: likely eligible, then needs review, then the question.
    positions = [
        html.index(f'/staff/handoffs/{seeded[c]}"')
        for c in ("c-eligible", "c-review", "c-question")
    ]
    assert positions == sorted(positions)
    newest = await (await staff_client.get("/staff/handoffs?sort=newest")).text()
    positions = [
        newest.index(f'/staff/handoffs/{seeded[c]}"')
        for c in ("c-question", "c-review", "c-eligible")
    ]
    assert positions == sorted(positions)
    assert "Likely eligible" in html and "Needs review" in html and "just now" in html
    only = await (await staff_client.get("/staff/handoffs?outcome=needs_review")).text()
    assert f"/staff/handoffs/{seeded['c-review']}\"" in only
    assert f"/staff/handoffs/{seeded['c-eligible']}\"" not in only
    none = await (await staff_client.get("/staff/handoffs?status=enrolled")).text()
    assert "No handoffs match." in none
    bad = await staff_client.get("/staff/handoffs?status=<x>")
    assert bad.status == 400


async def test_detail_shows_everything(staff_client: TestClient, seeded: dict[str, int]) -> None:
    response = await staff_client.get(f"/staff/handoffs/{seeded['c-eligible']}")
    html = await response.text()
    for text in (
        "Ada Lovelace",
        "ada@example.com",
        "020 7946 0000",
        "mornings",
        "Age 18-89",  # the staff label (the trial's staff_labels.yml), not the patient's
        "Dermatomyositis diagnosed by a physician",
        "52",
        "Meets",
        "1.0",
        "Tue 24 Nov 2026, 11:02 PM EST",  # share consent, in the team's time zone
        "No changes yet.",
    ):
        assert text in html, text
    question = await (await staff_client.get(f"/staff/handoffs/{seeded['c-question']}")).text()
    assert "Is there a placebo?" in question and "@SUM(1+1)" in question
    missing = await staff_client.get("/staff/handoffs/999999")
    assert missing.status == 404


async def test_html_is_escaped_everywhere(staff_client: TestClient, seeded: dict[str, int]) -> None:
    pages = [
        await (await staff_client.get("/staff/handoffs")).text(),
        await (await staff_client.get(f"/staff/handoffs/{seeded['c-review']}")).text(),
        await (await staff_client.get(f"/staff/handoffs/{seeded['c-question']}")).text(),
    ]
    for html in pages:
        assert "<script>" not in html and "<b>Bold" not in html and "<i>flare" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&lt;b&gt;Bold&lt;/b&gt;" in pages[0]
    assert "Is there a placebo? &lt;script&gt;" in pages[0]
    assert "&lt;script&gt;alert(1)" in pages[1] and "Recent &lt;i&gt;flare&lt;/i&gt;" in pages[1]
    assert "Is there a placebo? &lt;script&gt;alert(1)&lt;/script&gt;" in pages[2]


async def test_status_change_writes_audit(
    staff_client: TestClient, seeded: dict[str, int], sqlite_url: str
) -> None:
    handoff_id = seeded["c-eligible"]
    page = await staff_client.get(f"/staff/handoffs/{handoff_id}")
    token = csrf_from(await page.text())
    path = f"/staff/handoffs/{handoff_id}/status"
    response = await staff_client.post(
        path,
        data={"status": "contacted", "note": f"Left voicemail {XSS}", "csrf_token": token},
        allow_redirects=False,
    )
    assert (
        response.status == 303
        and response.headers["Location"] == f"/staff/handoffs/{handoff_id}?saved=status"
    )
    # Not allowed by the workflow (contacted -> enrolled) and not a status at all.
    skip = await staff_client.post(path, data={"status": "enrolled", "csrf_token": token})
    assert skip.status == 400 and "cannot change status" in await skip.text()
    bogus = await staff_client.post(path, data={"status": "deleted", "csrf_token": token})
    assert bogus.status == 400
    engine = sa.create_engine(sqlite_url)
    with engine.connect() as connection:
        rows = (
            connection.execute(sa.select(audit).where(audit.c.handoff_id.is_not(None)))
            .mappings()
            .all()
        )
        record = (
            connection.execute(sa.select(handoffs).where(handoffs.c.id == handoff_id))
            .mappings()
            .one()
        )
    engine.dispose()
    assert len(rows) == 1
    row = rows[0]
    assert (row["actor"], row["action"], row["old_status"], row["new_status"]) == (
        USER,
        "status",
        "new",
        "contacted",
    )
    assert crypto.decrypt(row["note"]) == f"Left voicemail {XSS}"  # encrypted at rest
    assert record["status"] == "contacted" and record["updated_at"] > record["created_at"]
    html = await (await staff_client.get(f"/staff/handoffs/{handoff_id}")).text()
    assert "Left voicemail &lt;script&gt;" in html and "New → Contacted" in html


async def test_csv_export_filtered_and_neutralised(
    staff_client: TestClient, seeded: dict[str, int]
) -> None:
    response = await staff_client.get("/staff/handoffs.csv")
    assert response.status == 200 and response.content_type == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    assert_security_headers(response.headers)
    rows = list(csv.DictReader(io.StringIO(await response.text())))
    assert [r["id"] for r in rows] == [  # the queue's order
        str(seeded[c]) for c in ("c-eligible", "c-review", "c-question")
    ]
    eligible, review, question = rows
    assert review["best_time"] == '\'=HYPERLINK("http://evil")'
    assert review["phone"] == "'+44 20 7946 0001"
    assert review["name"] == f"{XSS}<b>Bold</b>"  # CSV is data, not HTML: kept verbatim
    assert question["questions"] == f"Is there a placebo? {XSS} | @SUM(1+1)"
    assert eligible["email"] == "ada@example.com" and eligible["phone"] == "020 7946 0000"
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@")), value
    filtered = await (await staff_client.get("/staff/handoffs.csv?outcome=question")).text()
    assert len(list(csv.DictReader(io.StringIO(filtered)))) == 1


async def test_detail_of_an_impossible_id_is_404(
    staff_client: TestClient, seeded: dict[str, int]
) -> None:
    for raw in ("9" * 5000, "9" * 30, "2147483648"):
        response = await staff_client.get(f"/staff/handoffs/{raw}")
        assert response.status == 404, raw[:12]


async def test_detail_links_the_other_handoffs_of_the_conversation(
    staff_client: TestClient, sqlite_url: str
) -> None:
    store = HandoffStore(sqlite_url, channels=[])
    first, _ = store.submit(handoff("c-many", submission_id="q", kind="question"))
    second, _ = store.submit(handoff("c-many", submission_id="p"))
    ids = [r["id"] for r in store.all_for("c-many")]
    store.engine.dispose()
    html = await (await staff_client.get(f"/staff/handoffs/{ids[1]}")).text()
    assert f'<a href="/staff/handoffs/{ids[0]}">{first}</a>' in html
    html = await (await staff_client.get(f"/staff/handoffs/{ids[0]}")).text()
    assert f'<a href="/staff/handoffs/{ids[1]}">{second}</a>' in html
    listing = await (await staff_client.get("/staff/handoffs")).text()
    assert f"(same conversation as {first})" in listing
    assert f"(same conversation as {second})" in listing
