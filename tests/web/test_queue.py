"""The work queue (issue 18): order and overdue flags, search by keyed hash, contact attempts,
assignment and "my queue", roles (a viewer never sees contact details), API tokens per
integration, stale edits (409), CSV columns, the daily digest against a real SMTP server."""

from __future__ import annotations

import asyncio
import csv
import email
import email.policy
import io
import re
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from typing import Any

import pytest
import sqlalchemy as sa
from aiohttp.test_utils import TestClient

from bot.staff import audit as audit_log
from bot.staff import digest, tokens
from bot.staff import users as staff
from bot.staff.notify import NotifySettings
from bot.staff.workhours import WorkHours
from bot.store import search
from bot.store.handoff import HandoffStore
from bot.store.outbox import OutboxWorker
from bot.store.schema import audit, handoff_search, handoffs
from bot.web import changes, present, queries
from tests.conftest import Mailbox
from tests.stores import migrate_to
from tests.web.conftest import API_TOKEN, PASSWORD, USER, ClientFactory, csrf_from, handoff, login

AUTH = {"Authorization": f"Bearer {API_TOKEN}"}
MARIA = {
    "name": "María José Lopez",
    "email": "Maria.Lopez@Example.org",
    "phone": "+12165550177",
    "best_time": "after 5pm",
}
VIEWER, ADMIN = "vera", "adam"
TRANSCRIPT = [
    {"who": "assistant", "text": "Have you taken steroid pills? Some common ones are: prednisone"},
    {"who": "patient", "text": "yes prednisone, then methotrexate and Cellcept"},
    {"who": "patient", "text": "clobetasol cream didnt do much"},
]


def build(url: str) -> dict[str, int]:
    """Four records: Maria (likely eligible, 10 days old: overdue), a needs-review record
    from today, a question, an enrolled one; users alice (coordinator), vera (viewer) and
    adam (admin)."""
    store = HandoffStore(url, channels=[])
    store.submit(handoff("c-maria", contact=MARIA, transcript=TRANSCRIPT))
    store.submit(
        handoff(
            "c-review",
            outcome="needs_review",
            contact={"name": "Ben Ode", "email": None, "phone": "(330) 555-0110"},
            answers={
                "answers": {"age": 40, "biopsy": "no", "stable_meds": "unsure"},
                "reasons": {
                    "age": {"status": "pass", "text": "Your answer fits this part of the study."},
                    "biopsy": {"status": "review", "text": "The study needs a skin biopsy"},
                    "stable_meds": {"status": "review", "text": "You were not sure"},
                },
            },
        )
    )
    store.submit(
        handoff("c-question", kind="question", outcome="question", questions=["Is it paid?"])
    )
    store.submit(handoff("c-done", contact={"name": "Done Person", "phone": "2165550100"}))
    with store.engine.begin() as connection:
        ids = dict(connection.execute(sa.select(handoffs.c.conversation_id, handoffs.c.id)).all())
        old = datetime.now(timezone.utc) - timedelta(days=10)
        connection.execute(
            handoffs.update().where(handoffs.c.id == ids["c-maria"]).values(created_at=old)
        )
        connection.execute(
            handoffs.update().where(handoffs.c.id == ids["c-done"]).values(status="enrolled")
        )
    staff.add_user(store.engine, USER, PASSWORD)
    staff.add_user(store.engine, VIEWER, PASSWORD, role="viewer")
    staff.add_user(store.engine, ADMIN, PASSWORD, role="admin")
    store.engine.dispose()
    return {str(k): int(v) for k, v in ids.items()}


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest) -> str:
    return str(request.getfixturevalue(f"{request.param}_url"))


async def signed_in(make_client: ClientFactory, url: str, user: str = USER) -> TestClient:
    client = await make_client(url)
    assert await login(client, user=user) == 303
    return client


def test_every_criterion_has_a_staff_label() -> None:
    labels = present.labels()["criteria"]
    for key in present.criterion_ids():
        assert key in labels and labels[key]["label"] and labels[key]["short"], key
        assert "you" not in labels[key]["label"].lower().split(), key  # written for staff


def test_search_keys_are_keyed_hashes_not_the_details(sqlite_url: str) -> None:
    ids = build(sqlite_url)
    engine = sa.create_engine(sqlite_url)
    with engine.connect() as connection:
        digests = connection.execute(
            sa.select(handoff_search.c.digest).where(handoff_search.c.handoff_id == ids["c-maria"])
        ).scalars()
        stored = " ".join(digests)
        raw = " ".join(str(v) for v in connection.execute(sa.select(handoff_search)).all())
    engine.dispose()
    assert len(stored.split()) == 6  # full name, 3 name parts, e-mail, phone
    for secret in ("maria", "lopez", "example.org", "2165550177", "5550177"):
        assert secret not in raw.lower()
    assert all(re.fullmatch(r"[0-9a-f]{64}", d) for d in stored.split())


async def test_api_search_reference_and_refused_filters(
    db_url: str, make_client: ClientFactory
) -> None:
    ids = build(db_url)
    client = await make_client(db_url)

    async def found(query: str) -> list[int]:
        response = await client.get(f"/api/handoffs?{query}", headers=AUTH)
        assert response.status == 200, (query, await response.text())
        return [item["id"] for item in (await response.json())["items"]]

    maria = [ids["c-maria"]]
    for query in (
        "q=maria",
        "q=MARIA",
        "q=Maria%20Jos%C3%A9%20L%C3%B3pez",  # accents and case folded
        "q=lopez",
        "q=maria.lopez@example.org",
        "q=%28216%29%20555-0177",
        "q=216.555.0177",
        "q=%2B1%20216%20555%200177",
    ):
        assert await found(query) == maria, query
    assert await found("q=mar") == []  # exact matches only
    assert await found("q=5550177") == []
    reference = (await (await client.get(f"/api/handoffs/{maria[0]}", headers=AUTH)).json())[
        "reference"
    ]
    assert await found(f"reference={reference}") == maria
    assert await found(f"reference={reference.lower()}") == maria
    assert await found(f"q={reference}") == maria
    for bad in (
        "colour=red",
        "q=maria&page=2",
        "outcome=eligible",
        "sort=oldest",
        "q=" + "x" * 300,
    ):
        response = await client.get(f"/api/handoffs?{bad}", headers=AUTH)
        assert response.status == 400, bad
        assert "error" in await response.json()
    queue = await (await client.get("/api/handoffs?sort=queue", headers=AUTH)).json()
    assert [i["id"] for i in queue["items"]] == [
        ids["c-maria"],  # new and overdue
        ids["c-review"],  # new, needs review
        ids["c-question"],
        ids["c-done"],  # enrolled: last
    ]
    assert queue["total"] == 4 and queue["items"][0]["overdue"] is True
    assert queue["items"][1]["overdue"] is False
    assert queue["items"][1]["why"] == "Biopsy: No · Stable medicines: Not sure"


async def test_api_version_conflicts_and_attempts(db_url: str, make_client: ClientFactory) -> None:
    ids = build(db_url)
    client = await make_client(db_url)
    path = f"/api/handoffs/{ids['c-maria']}"
    first = await (await client.get(path, headers=AUTH)).json()
    assert first["version"] == 1
    ok = await client.patch(path, json={"status": "contacted", "version": 1}, headers=AUTH)
    assert ok.status == 200 and (await ok.json())["version"] == 2
    stale = await client.patch(path, json={"status": "scheduled", "version": 1}, headers=AUTH)
    assert stale.status == 409
    body = await stale.json()
    assert body["current_version"] == 2 and "someone else" in body["error"]
    assert (await (await client.get(path, headers=AUTH)).json())["status"] == "contacted"
    bad = await client.patch(path, json={"version": "2", "note": "x"}, headers=AUTH)
    assert bad.status == 400
    attempt = {"channel": "call", "result": "left_message", "next_step": "Try Thu am"}
    stale_attempt = await client.post(
        f"{path}/attempts", json={**attempt, "version": 1}, headers=AUTH
    )
    assert stale_attempt.status == 409
    logged = await client.post(f"{path}/attempts", json={**attempt, "version": 2}, headers=AUTH)
    assert logged.status == 201
    item = await logged.json()
    assert item["version"] == 3 and item["last_attempt"]["result"] == "left_message"
    assert item["last_contact_at"] is not None
    wrong = await client.post(
        f"{path}/attempts", json={"channel": "fax", "result": "x"}, headers=AUTH
    )
    assert wrong.status == 400
    assigned = await client.patch(path, json={"assigned_to": USER, "version": 3}, headers=AUTH)
    assert assigned.status == 200 and (await assigned.json())["assigned_to"] == USER
    nobody = await client.patch(path, json={"assigned_to": VIEWER}, headers=AUTH)
    assert nobody.status == 400  # a viewer cannot be given records
    mine = await (await client.get(f"/api/handoffs?assigned_to={USER}", headers=AUTH)).json()
    assert [i["id"] for i in mine["items"]] == [ids["c-maria"]]


async def test_api_tokens_per_integration(sqlite_url: str, make_client: ClientFactory) -> None:
    ids = build(sqlite_url)
    engine = sa.create_engine(sqlite_url)
    sync = tokens.add(engine, "redcap-sync")
    look = tokens.add(engine, "dashboard", role="viewer")
    client = await make_client(sqlite_url)
    path = f"/api/handoffs/{ids['c-maria']}"
    changed = await client.patch(
        path, json={"note": "synced"}, headers={"Authorization": f"Bearer {sync}"}
    )
    assert changed.status == 200
    assert queries.audit_trail(engine, ids["c-maria"])[-1]["actor"] == "api:redcap-sync"
    viewer = {"Authorization": f"Bearer {look}"}
    seen = await (await client.get(path, headers=viewer)).json()
    assert seen["contact"]["name"] is None and seen["contact"]["phone"] is None
    listed = await (await client.get("/api/handoffs", headers=viewer)).text()
    assert "Lopez" not in listed and "5550177" not in listed and "Maria" not in listed
    assert (await client.get("/api/handoffs?q=maria", headers=viewer)).status == 403
    assert (await client.patch(path, json={"note": "x"}, headers=viewer)).status == 403
    tokens.revoke(engine, "redcap-sync")
    assert (await client.get(path, headers={"Authorization": f"Bearer {sync}"})).status == 401
    engine.dispose()


async def _form(client: TestClient, path: str) -> tuple[str, str]:
    html = await (await client.get(path)).text()
    version = re.search(r'name="version" value="(\d+)"', html)
    assert version
    return csrf_from(html), version.group(1)


async def test_pages_attempt_assignment_my_queue_and_stale_edit(
    sqlite_url: str, make_client: ClientFactory
) -> None:
    ids = build(sqlite_url)
    client = await signed_in(make_client, sqlite_url)
    path = f"/staff/handoffs/{ids['c-maria']}"
    queue = await (await client.get("/staff/handoffs")).text()
    first_row = queue[queue.index("<tbody>") : queue.index("</tr>", queue.index("<tbody>"))]
    assert "Overdue" in first_row and 'href="tel:+12165550177"' in first_row
    assert "(216) 555-0177" in first_row and "after 5pm" in first_row
    assert "All answers meet the prescreen" in first_row and "none yet" in first_row
    token, version = await _form(client, path)
    detail = await (await client.get(path)).text()
    assert "prednisone, methotrexate, mycophenolate, clobetasol" in detail  # medicines named
    assert "<details" in detail and "steroid_sparing" not in detail
    done = await client.post(
        f"{path}/attempt",
        data={
            "csrf_token": token,
            "version": version,
            "channel": "call",
            "result": "reached",
            "next_step": "Book screening visit",
        },
        allow_redirects=False,
    )
    assert done.status == 303 and done.headers["Location"] == f"{path}?saved=attempt"
    page = await (await client.get(done.headers["Location"])).text()
    assert "Saved: the contact attempt is logged." in page
    assert "Contacted" in page and "Book screening visit" in page
    # The old version again (another tab, another coordinator): the stale-edit warning.
    stale = await client.post(
        f"{path}/status",
        data={"csrf_token": token, "version": version, "status": "scheduled"},
    )
    assert stale.status == 409
    assert "Someone else changed this record since you opened it" in await stale.text()
    token, version = await _form(client, path)
    assigned = await client.post(
        f"{path}/assign",
        data={"csrf_token": token, "version": version, "assignee": "me"},
        allow_redirects=False,
    )
    assert assigned.status == 303
    mine = await (await client.get("/staff/handoffs?mine=1")).text()
    assert f'/staff/handoffs/{ids["c-maria"]}"' in mine
    assert f'/staff/handoffs/{ids["c-review"]}"' not in mine
    token, version = await _form(client, path)
    scheduled = await client.post(
        f"{path}/status",
        data={"csrf_token": token, "version": version, "status": "scheduled", "note": "Mon 9am"},
        allow_redirects=False,
    )
    assert scheduled.status == 303
    engine = sa.create_engine(sqlite_url)
    trail = queries.audit_trail(engine, ids["c-maria"])
    engine.dispose()
    assert [(a["actor"], a["action"], a["old_status"], a["new_status"]) for a in trail] == [
        (USER, "contact_attempt", "new", "contacted"),
        (USER, "assigned", "contacted", "contacted"),
        (USER, "status", "contacted", "scheduled"),
    ]
    assert trail[0]["note"] == "Call: Reached. Next: Book screening visit"
    assert (await client.get("/staff/handoffs?colour=red")).status == 400
    short = await client.get(f"/staff/r/{trail and (await _reference(client, ids['c-maria']))}")
    assert short.status == 200 and str(short.url).endswith(path)
    assert (await client.get("/staff/r/ZZZZ")).status == 404
    reference = await _reference(client, ids["c-maria"])
    by_path = await client.get(f"/staff/handoffs/{reference.lower()}")
    assert by_path.status == 200 and str(by_path.url).endswith(path)


async def _reference(client: TestClient, handoff_id: int) -> str:
    html = await (await client.get(f"/staff/handoffs/{handoff_id}")).text()
    found = re.search(r"<h1>Handoff (\w+)", html)
    assert found
    return found.group(1)


async def test_question_workflow(sqlite_url: str) -> None:
    ids = build(sqlite_url)
    engine = sa.create_engine(sqlite_url)
    with pytest.raises(queries.Conflict):
        changes.change_status(
            engine, ids["c-question"], actor=USER, new_status="contacted", note=None
        )
    for status in ("answered", "closed"):
        changes.change_status(engine, ids["c-question"], actor=USER, new_status=status, note=None)
    assert queries.get_handoff(engine, ids["c-question"])["status"] == "closed"
    engine.dispose()


async def test_viewer_never_sees_contact_details(
    sqlite_url: str, make_client: ClientFactory
) -> None:
    ids = build(sqlite_url)
    client = await signed_in(make_client, sqlite_url, VIEWER)
    pages = [
        await (await client.get("/staff/handoffs")).text(),
        await (await client.get(f"/staff/handoffs/{ids['c-maria']}")).text(),
        await (await client.get("/staff/handoffs.csv")).text(),
        await (await client.get("/staff/handoffs?q=maria")).text(),
    ]
    for text in pages:
        for secret in ("Lopez", "María", "example.org", "555-0177", "5550177", "after 5pm"):
            assert secret not in text, secret
    assert "hidden" in pages[0] and "Contact details are hidden" in pages[1]
    assert "No handoffs match." in pages[3]  # a viewer's search is by reference only
    assert ",52," in pages[2]  # answers are there
    token = csrf_from(pages[1])
    refused = await client.post(
        f"/staff/handoffs/{ids['c-maria']}/status", data={"csrf_token": token, "note": "x"}
    )
    assert refused.status == 403
    assert (await client.get("/staff/users")).status == 403


async def test_admin_user_pages_end_sessions(sqlite_url: str, make_client: ClientFactory) -> None:
    build(sqlite_url)
    coordinator = await signed_in(make_client, sqlite_url)
    assert (await coordinator.get("/staff/users")).status == 403
    admin = await signed_in(make_client, sqlite_url, ADMIN)
    page = await (await admin.get("/staff/users")).text()
    token = csrf_from(page)
    added = await admin.post(
        "/staff/users",
        data={
            "csrf_token": token,
            "action": "add",
            "username": "cora",
            "role": "coordinator",
            "password": "a long enough password",
        },
        allow_redirects=False,
    )
    assert added.status == 303
    disabled = await admin.post(
        "/staff/users",
        data={"csrf_token": token, "action": "disable", "username": USER},
        allow_redirects=False,
    )
    assert disabled.status == 303
    ended = await coordinator.get("/staff/handoffs", allow_redirects=False)
    assert ended.status == 303 and ended.headers["Location"] == "/staff/login"
    cora = await make_client()
    assert await login(cora, user="cora", password="a long enough password") == 303
    events = await (await admin.get("/staff/users")).text()
    assert "user_added" in events and "user_disabled" in events
    made = await admin.post(
        "/staff/users",
        data={
            "csrf_token": token,
            "action": "token_add",
            "username": "redcap-sync",
            "role": "coordinator",
        },
    )
    shown = re.search(r'<code id="new-token">([^<]+)</code>', await made.text())
    assert made.status == 200 and shown
    bearer = {"Authorization": f"Bearer {shown.group(1)}"}
    assert (await admin.get("/api/handoffs", headers=bearer)).status == 200
    page = await (await admin.get("/staff/users")).text()
    assert shown.group(1) not in page and "redcap-sync" in page  # shown once only
    revoked = await admin.post(
        "/staff/users",
        data={"csrf_token": token, "action": "token_revoke", "username": "redcap-sync"},
    )
    assert revoked.status == 200 and "the token is revoked" in await revoked.text()
    assert (await admin.get("/api/handoffs", headers=bearer)).status == 401


async def test_csv_columns_phones_and_audit(sqlite_url: str, make_client: ClientFactory) -> None:
    ids = build(sqlite_url)
    client = await signed_in(make_client, sqlite_url)
    text = await (await client.get("/staff/handoffs.csv?status=new")).text()
    rows = list(csv.DictReader(io.StringIO(text)))
    by_id = {int(r["id"]): r for r in rows}
    assert set(by_id) == {ids["c-maria"], ids["c-review"], ids["c-question"]}
    review = by_id[ids["c-review"]]
    assert review["Skin biopsy consistent with DM"] == "No"
    assert review["Systemic medicines stable 2 months and willing to keep stable"] == "Not sure"
    assert review["phone"] == "(330) 555-0110"  # dialable, no quote
    assert by_id[ids["c-maria"]]["phone"] == "(216) 555-0177"
    assert "answers" not in rows[0]
    engine = sa.create_engine(sqlite_url)
    with engine.connect() as connection:
        note = connection.execute(
            sa.select(audit.c.note).where(audit.c.action == "csv_export")
        ).scalar_one()
    engine.dispose()
    assert "rows=3" in note and "status=new" in note


def test_working_hours_and_overdue() -> None:
    hours = WorkHours.from_env({})
    # Friday 4 pm in New York: one working day later is Monday 4 pm.
    friday = datetime(2026, 12, 4, 21, 0, tzinfo=timezone.utc)
    assert hours.due(friday) == datetime(2026, 12, 7, 21, 0, tzinfo=timezone.utc)
    assert not hours.overdue(friday, datetime(2026, 12, 7, 20, 59, tzinfo=timezone.utc))
    assert hours.overdue(friday, datetime(2026, 12, 7, 21, 1, tzinfo=timezone.utc))
    # Saturday night: the clock starts Monday 9 am.
    saturday = datetime(2026, 12, 6, 3, 0, tzinfo=timezone.utc)
    assert hours.due(saturday) == datetime(2026, 12, 7, 22, 0, tzinfo=timezone.utc)
    five = WorkHours.from_env({"FOLLOW_UP_TARGET": "5h", "WORK_TIMEZONE": "Europe/London"})
    assert five.describe_target() == "5 working hours"
    monday = datetime(2026, 12, 7, 9, 0, tzinfo=timezone.utc)
    assert five.due(monday) == datetime(2026, 12, 7, 14, 0, tzinfo=timezone.utc)
    now = datetime(2026, 12, 8, 15, 0, tzinfo=timezone.utc)
    cutoff = hours.cutoff(now)
    assert hours.overdue(cutoff - timedelta(seconds=2), now)
    assert not hours.overdue(cutoff + timedelta(seconds=2), now)
    for bad in ({"WORK_HOURS": "17:00-09:00"}, {"WORK_TIMEZONE": "Mars/Base"}, {"WORK_DAYS": "x"}):
        with pytest.raises(ValueError):
            WorkHours.from_env(bad)


async def test_daily_digest_by_real_smtp(sqlite_url: str, mailbox: Mailbox) -> None:
    ids = build(sqlite_url)
    store = HandoffStore(sqlite_url, channels=["email"])
    hours = WorkHours.from_env({})
    tuesday_10am = datetime(2026, 12, 8, 15, 0, tzinfo=timezone.utc)
    with store.engine.begin() as connection:  # Maria arrived last Friday
        connection.execute(
            handoffs.update()
            .where(handoffs.c.id == ids["c-maria"])
            .values(created_at=datetime(2026, 12, 4, 15, 0, tzinfo=timezone.utc))
        )
        connection.execute(
            handoffs.update()
            .where(handoffs.c.id != ids["c-maria"])
            .values(created_at=datetime(2026, 12, 8, 14, 0, tzinfo=timezone.utc))
        )
    early = datetime(2026, 12, 8, 12, 0, tzinfo=timezone.utc)  # 7 am: before DIGEST_TIME
    assert digest.make(store.engine, ["email"], hours, early) == 0
    assert digest.make(store.engine, ["email"], hours, tuesday_10am) == 1
    assert digest.make(store.engine, ["email"], hours, tuesday_10am) == 0  # once a day
    port = mailbox.controller.port
    settings = NotifySettings(
        smtp_port=port, email_to=("team@study.example",), inbox_url="https://inbox.example"
    )
    before = len(mailbox.messages)
    worker = OutboxWorker(store.engine, settings, now=lambda: tuesday_10am)
    assert await worker.run_once() == 1
    for _ in range(50):
        if len(mailbox.messages) > before:
            break
        await asyncio.sleep(0.1)
    parsed = email.message_from_string(mailbox.messages[-1], policy=email.policy.default)
    body = parsed.get_body()
    assert isinstance(parsed, EmailMessage) and body is not None
    message = f"{parsed['Subject']}\n{body.get_content()}"
    reference = queries.get_handoff(store.engine, ids["c-maria"])["reference"]
    assert "1 record waiting past the follow-up target (2026-12-08)" in message
    assert f"https://inbox.example/staff/r/{reference}" in message
    assert "waiting 2 working days" in message
    for secret in ("Lopez", "Maria", "example.org", "555", "after 5pm", "prednisone", "Ben Ode"):
        assert secret not in message, secret
    store.engine.dispose()


def test_index_missing_covers_old_records(sqlite_url: str) -> None:
    ids = build(sqlite_url)
    engine = sa.create_engine(sqlite_url)
    with engine.begin() as connection:
        connection.execute(handoff_search.delete())
        connection.execute(handoffs.update().values(search_indexed=None))
        matches: Any = connection.execute(
            sa.select(handoffs.c.id).where(handoffs.c.id.in_(search.matching_ids("lopez")))
        ).all()
    assert matches == []
    assert search.index_missing(engine) == 4
    with engine.connect() as connection:
        found = (
            connection.execute(
                sa.select(handoffs.c.id).where(handoffs.c.id.in_(search.matching_ids("lopez")))
            )
            .scalars()
            .all()
        )
    engine.dispose()
    assert found == [ids["c-maria"]]


def test_openapi_lists_every_filter_and_the_attempts_endpoint() -> None:
    import json

    from bot.web import api

    document = json.loads(api.OPENAPI.read_text())
    listed = {p["name"] for p in document["paths"]["/api/handoffs"]["get"]["parameters"]}
    assert listed == api.LIST_FILTERS
    assert "409" in document["paths"]["/api/handoffs/{id}"]["patch"]["responses"]
    assert "post" in document["paths"]["/api/handoffs/{id}/attempts"]


def test_migration_0005_down_and_up_keeps_records_and_makes_old_users_admins(db_url: str) -> None:
    """Downgrade to 0004 and upgrade again on SQLite and PostgreSQL: the records stay, their
    search keys are rebuilt on the next start, and a user made before 0005 is an admin."""
    from bot.store.schema import staff_users

    ids = build(db_url)
    engine = sa.create_engine(db_url, future=True)
    changes.log_attempt(engine, ids["c-maria"], actor=USER, channel="call", result="no_answer")
    migrate_to(engine, "0004", down=True)
    with engine.connect() as connection:
        columns = {c["name"] for c in sa.inspect(connection).get_columns("handoffs")}
        assert "version" not in columns and not sa.inspect(connection).has_table("api_tokens")
    engine.dispose()
    store = HandoffStore(db_url, channels=[])  # upgrades and indexes what is missing
    with store.engine.connect() as connection:
        rows = connection.execute(sa.select(staff_users.c.username, staff_users.c.role)).all()
    roles = {str(name): str(role) for name, role in rows}
    assert roles == {USER: "admin", VIEWER: "admin", ADMIN: "admin"}
    found = queries.list_handoffs(store.engine, q="maria.lopez@example.org")
    assert [r["id"] for r in found] == [ids["c-maria"]] and found[0]["version"] == 1
    store.engine.dispose()


def test_retention_purges_attempts_and_search_keys(db_url: str) -> None:
    from bot.store import retention
    from bot.store.schema import contact_attempts

    ids = build(db_url)
    engine = sa.create_engine(db_url, future=True)
    changes.log_attempt(engine, ids["c-maria"], actor=USER, channel="call", result="reached")
    result = retention.Purged()
    retention.purge_handoffs(engine, datetime.now(timezone.utc) - timedelta(days=5), result)
    assert result.handoffs == 1  # Maria's record, 10 days old
    with engine.connect() as connection:
        assert (
            connection.execute(sa.select(sa.func.count()).select_from(contact_attempts)).scalar()
            == 0
        )
        left = connection.execute(sa.select(handoff_search.c.handoff_id).distinct()).scalars().all()
    engine.dispose()
    assert ids["c-maria"] not in left and len(left) == 3


def test_cli_roles_reset_password_and_tokens(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.__main__ import main

    build(sqlite_url)
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    monkeypatch.setattr("sys.stdin", io.StringIO("another long password\n"))
    assert main(["staff", "reset-password", USER, "--password-stdin"]) == 0
    assert main(["staff", "set-role", USER, "--role", "viewer"]) == 0
    assert main(["staff", "set-role", USER]) == 1  # no role given
    assert main(["token", "add", "redcap-sync", "--role", "viewer"]) == 0
    printed = capsys.readouterr().out
    token = printed.strip().splitlines()[-1]
    assert token.startswith("rux_")
    engine = sa.create_engine(sqlite_url)
    assert staff.verify(engine, USER, "another long password")
    assert staff.session_state(engine, USER) == (2, "viewer")
    assert tokens.caller(engine, token) == tokens.Caller("api:redcap-sync", "viewer")
    assert main(["token", "revoke", "redcap-sync"]) == 0
    assert tokens.caller(engine, token) is None
    events = [e["action"] for e in audit_log.staff_events(engine)]
    engine.dispose()
    assert {"password_changed", "role_changed", "token_added", "token_revoked"} <= set(events)


async def test_pagination_of_the_queue_and_the_api(
    sqlite_url: str, make_client: ClientFactory
) -> None:
    store = HandoffStore(sqlite_url, channels=[])
    for number in range(57):
        store.submit(handoff(f"c-{number:02d}", contact={"name": f"Person {number:02d}"}))
    staff.add_user(store.engine, USER, PASSWORD)
    store.engine.dispose()
    client = await signed_in(make_client, sqlite_url)
    first = await (await client.get("/staff/handoffs")).text()
    assert first.count("<tr class=") == 50 and "Page 1 of 2" in first
    assert 'href="/staff/handoffs?page=2" rel="next"' in first
    second = await (await client.get("/staff/handoffs?page=2")).text()
    assert second.count("<tr class=") == 7 and 'rel="prev"' in second and 'rel="next"' not in second
    names = re.findall(r"Person (\d\d)", first + second)
    assert names == [f"{n:02d}" for n in range(57)]  # oldest first, each once
    assert (await client.get("/staff/handoffs?page=0")).status == 400
    page = await (await client.get("/api/handoffs?limit=20&offset=40", headers=AUTH)).json()
    assert len(page["items"]) == 17 and page["total"] == 57 and page["offset"] == 40


async def test_viewer_does_not_read_staff_notes(
    sqlite_url: str, make_client: ClientFactory
) -> None:
    ids = build(sqlite_url)
    engine = sa.create_engine(sqlite_url)
    changes.log_attempt(
        engine,
        ids["c-maria"],
        actor=USER,
        channel="call",
        result="wrong_number",
        next_step="try her work number 216 555 0199",
        note="husband answered",
    )
    engine.dispose()
    client = await signed_in(make_client, sqlite_url, VIEWER)
    detail = await (await client.get(f"/staff/handoffs/{ids['c-maria']}")).text()
    assert "0199" not in detail and "husband" not in detail and "Wrong number" in detail
