"""A new coordinator's findings: "answered by" said once (queue, record page, CSV); a name of
several words found in any order ("Ruth Abernathy" finds "Mrs. Ruth Abernathy") through the
keyed-hash index, on SQLite and PostgreSQL; and who to call next to the phone in the queue and
in a last CSV column, so the caregiver is called when they asked to be."""

from __future__ import annotations

import csv
import html
import io
import json
import re

import pytest
import sqlalchemy as sa
from aiohttp.test_utils import TestClient

from bot.staff import tokens
from bot.staff import users as staff
from bot.store.handoff import HandoffStore
from bot.store.schema import handoffs
from bot.web import export
from tests.web.conftest import API_TOKEN, PASSWORD, USER, ClientFactory, handoff, login

AUTH = {"Authorization": f"Bearer {API_TOKEN}"}
VIEWER = "vera"
# Lucia answered for her mother Rosa and asked to be called; the phone is Lucia's.
ROSA = {
    "name": "Rosa Bianchi",
    "email": "lucia.bianchi@example.org",
    "phone": "(216) 555-0133",
    "best_time": "evenings",
    "answered_by": {
        "name": "Lucia",
        "relation": "daughter",
        "patient_is": "mother",
        "person_knows_and_agrees_at": "2026-11-25T04:01:00+00:00",
    },
    "call": "caregiver",
}
# A caregiver who asked the team to call the person themselves.
FRANK = {
    "name": "Walter Miller",
    "phone": "(216) 555-0144",
    "answered_by": {"name": "Frank Miller", "relation": "son", "patient_is": "father"},
    "call": "patient",
}
RUTH = {"name": "Mrs. Ruth Abernathy", "email": "ruth@example.net", "phone": "2165550155"}
FORMULA = {"name": "=cmd|' /C calc'!A0", "phone": "2165550166"}


def build(url: str) -> dict[str, int]:
    store = HandoffStore(url, channels=[])
    # As the dialogue stores a caregiver's prescreen: the relation in the answers too.
    answers = {"answers": {"age": 71}, "reasons": {}, "answered_by": "daughter"}
    store.submit(handoff("c-rosa", contact=ROSA, answers=answers))
    for conversation, contact in (
        ("c-frank", FRANK),
        ("c-ruth", RUTH),
        ("c-formula", FORMULA),
        ("c-ruthie", {"name": "Ruthie Abbot", "phone": "2165550177"}),
    ):
        store.submit(handoff(conversation, contact=contact))
    staff.add_user(store.engine, USER, PASSWORD)
    staff.add_user(store.engine, VIEWER, PASSWORD, role="viewer")
    with store.engine.connect() as connection:
        ids = dict(connection.execute(sa.select(handoffs.c.conversation_id, handoffs.c.id)).all())
    store.engine.dispose()
    return {str(k): int(v) for k, v in ids.items()}


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest) -> str:
    return str(request.getfixturevalue(f"{request.param}_url"))


async def signed_in(make_client: ClientFactory, url: str, user: str = USER) -> TestClient:
    client = await make_client(url)
    assert await login(client, user=user) == 303
    return client


def text_of(page: str) -> str:
    """The page as a reader sees it: no tags, single spaces."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


def queue_row(page: str, reference: str) -> str:
    found = re.search(rf'<tr[^>]*data-reference="{reference}".*?</tr>', page, re.S)
    assert found, reference
    return text_of(found.group(0))


async def reference_of(client: TestClient, handoff_id: int) -> str:
    record = await (await client.get(f"/api/handoffs/{handoff_id}", headers=AUTH)).json()
    return str(record["reference"])


async def test_answered_by_is_said_once_on_the_record_page_queue_and_csv(
    sqlite_url: str, make_client: ClientFactory
) -> None:
    ids = build(sqlite_url)
    client = await signed_in(make_client, sqlite_url)
    page = text_of(await (await client.get(f"/staff/handoffs/{ids['c-rosa']}")).text())
    assert "Answered by daughter (Lucia); the person is their mother" in page
    assert page.lower().count("answered by") == 1, page  # not again under the answers
    queue = await (await client.get("/staff/handoffs")).text()
    row = queue_row(queue, await reference_of(client, ids["c-rosa"]))
    assert "Rosa Bianchi Answered by: daughter (Lucia)" in row
    assert row.lower().count("answered by") == 1
    rows = list(csv.DictReader(io.StringIO(await (await client.get("/staff/handoffs.csv")).text())))
    by_id = {int(r["id"]): r for r in rows}
    assert by_id[ids["c-rosa"]]["answered_by"] == "daughter (Lucia)"
    assert by_id[ids["c-ruth"]]["answered_by"] == ""
    nameless = {**ROSA, "answered_by": {"relation": "neighbour"}}  # no "(None)"
    one = export.to_csv([{**_record(), "contact": nameless}])
    assert "neighbour" in one and "None" not in one


def _record() -> dict[str, object]:
    return {
        "id": 1,
        "reference": "K7Q2",
        "created_at": None,
        "updated_at": None,
        "kind": "prescreen",
        "trial": "NCT06857240",
        "outcome": "likely_eligible",
        "status": "new",
        "answers": {},
        "questions": [],
        "consent_version": "1.0",
        "consent_at": None,
        "share_consent_at": None,
    }


async def test_a_name_of_several_words_is_found_in_any_order(
    db_url: str, make_client: ClientFactory
) -> None:
    ids = build(db_url)
    client = await make_client(db_url)

    async def found(query: str) -> list[int]:
        response = await client.get("/api/handoffs", params={"q": query}, headers=AUTH)
        assert response.status == 200, (query, await response.text())
        return sorted(item["id"] for item in (await response.json())["items"])

    ruth = [ids["c-ruth"]]
    for query in (
        "Ruth Abernathy",
        "abernathy ruth",
        "RÚTH   Abernáthy",  # accents, case and spaces folded
        "Mrs. Ruth Abernathy",
        "Mrs Abernathy",
        "Ruth",
        "Abernathy",
        "ruth@example.net",
        "(216) 555-0155",
    ):
        assert await found(query) == ruth, query
    for query in ("Ruth Abbot", "Ruth Abernathys", "Ruth Aber", "Ruth Abernathy Smith"):
        assert await found(query) == [], query  # every word must be a word of the name
    assert await found("Rosa Bianchi") == [ids["c-rosa"]]
    assert await found("Bianchi Rosa") == [ids["c-rosa"]]
    assert await found("Lucia") == [ids["c-rosa"]]  # the caregiver's name, as before
    reference = await reference_of(client, ids["c-ruth"])
    assert await found(reference) == ruth
    assert await found(reference.lower()) == ruth
    coordinator = await signed_in(make_client, db_url)
    page = await (await coordinator.get("/staff/handoffs", params={"q": "Ruth Abernathy"})).text()
    assert "1 record" in text_of(page) and "Mrs. Ruth Abernathy" in html.unescape(page)
    viewer = await signed_in(make_client, db_url, VIEWER)
    page = await (await viewer.get("/staff/handoffs", params={"q": "Ruth Abernathy"})).text()
    assert "No handoffs match." in page  # a viewer still searches by reference only


async def test_who_to_call_in_the_queue_and_last_in_the_csv(
    sqlite_url: str, make_client: ClientFactory
) -> None:
    ids = build(sqlite_url)
    client = await signed_in(make_client, sqlite_url)
    queue = await (await client.get("/staff/handoffs")).text()
    assert '<th scope="col">Who to call</th><th scope="col">Phone</th>' in queue
    rosa = queue_row(queue, await reference_of(client, ids["c-rosa"]))
    assert "Lucia (daughter), the person who answered (216) 555-0133" in rosa
    frank = queue_row(queue, await reference_of(client, ids["c-frank"]))
    assert "Walter Miller, the person themselves" not in frank  # the name once per row
    assert "the person themselves (216) 555-0144" in frank
    ruth = queue_row(queue, await reference_of(client, ids["c-ruth"]))
    assert ruth.count("Ruth") == 1 and "the person themselves" in ruth
    page = text_of(await (await client.get(f"/staff/handoffs/{ids['c-rosa']}")).text())
    assert "Who to call Lucia (daughter), the person who answered" in page

    text = await (await client.get("/staff/handoffs.csv")).text()
    header = next(csv.reader(io.StringIO(text)))
    before = [
        "id", "reference", "created_at", "updated_at", "kind", "trial", "outcome", "status",
        "assigned_to", "last_contact_at", "why", "name", "email", "phone", "best_time",
        "answered_by", "questions",
    ]  # fmt: skip
    assert header[: len(before)] == before  # the older columns, in their order
    assert header[-4:] == ["consent_version", "consent_at", "share_consent_at", "who_to_call"]
    by_id = {int(r["id"]): r for r in csv.DictReader(io.StringIO(text))}
    assert by_id[ids["c-rosa"]]["who_to_call"] == "Lucia (daughter), the person who answered"
    assert by_id[ids["c-rosa"]]["phone"] == "(216) 555-0133"
    assert by_id[ids["c-frank"]]["who_to_call"] == "Walter Miller, the person themselves"
    # The formula guard covers the new column too.
    assert by_id[ids["c-formula"]]["who_to_call"].startswith("'=cmd")
    assert by_id[ids["c-formula"]]["name"].startswith("'=cmd")

    viewer = await signed_in(make_client, sqlite_url, VIEWER)
    hidden = await (await viewer.get("/staff/handoffs.csv")).text()
    assert "who_to_call" not in hidden and "Lucia" not in hidden
    queue = await (await viewer.get("/staff/handoffs")).text()
    assert "Lucia" not in queue and "Rosa" not in queue
    page = text_of(await (await viewer.get(f"/staff/handoffs/{ids['c-rosa']}")).text())
    assert "Lucia" not in page and "Answered by: daughter" in page


async def test_the_api_gives_the_same_words(sqlite_url: str, make_client: ClientFactory) -> None:
    ids = build(sqlite_url)
    engine = sa.create_engine(sqlite_url)
    look = tokens.add(engine, "dashboard", role="viewer")
    engine.dispose()
    client = await make_client(sqlite_url)
    listed = await (await client.get("/api/handoffs?sort=queue", headers=AUTH)).json()
    rosa = next(i for i in listed["items"] if i["id"] == ids["c-rosa"])
    assert rosa["answered_by"] == "daughter (Lucia)"
    assert rosa["who_to_call"] == "Lucia (daughter), the person who answered"
    one = await (await client.get(f"/api/handoffs/{ids['c-ruth']}", headers=AUTH)).json()
    assert (
        one["answered_by"] == ""
        and one["who_to_call"] == "Mrs. Ruth Abernathy, the person themselves"
    )
    viewer = {"Authorization": f"Bearer {look}"}
    seen = await (await client.get(f"/api/handoffs/{ids['c-rosa']}", headers=viewer)).json()
    assert seen["answered_by"] == "daughter" and seen["who_to_call"] == ""
    assert "Lucia" not in json.dumps(seen)
