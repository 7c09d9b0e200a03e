"""Review 2026-12-01, finding 5: staff see only the trials they work on (staff_trials,
migration 0009). One deployment serving two trials (TRIALS): a coordinator of the demo trial
gets 404 on the main trial's record and its forms, never sees it in the queue, search, short
links or CSV; an admin sees both; an unassigned coordinator sees nothing; the API's tokens are
deployment-wide. The scoped queries themselves, the default rule, the CLI and migration 0009
(SQLite and PostgreSQL) are tested here too."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from aiohttp.test_utils import TestClient

from bot import content
from bot.staff import funnel
from bot.staff import users as staff
from bot.store.handoff import HandoffStore
from bot.store.schema import handoffs, staff_trials, staff_users
from bot.web import changes, queries
from bot.web.state import ENGINE
from tests.stores import migrate_to
from tests.web.conftest import (
    API_TOKEN,
    DEMO_ANSWERS,
    PASSWORD,
    ClientFactory,
    csrf_from,
    handoff,
    login,
    seed,
)

DEMO, MAIN = "DEMO-0017", "NCT06857240"


pytestmark = pytest.mark.usefixtures("two_trials")


def _store(url: str) -> dict[str, int]:
    """The main trial's three records (conftest.seed) and one of the demo trial, one of them
    in the same conversation as a main one; users: alice (coordinator, unassigned), dana
    (coordinator of the demo trial), root (admin, unassigned)."""
    ids = seed(url)
    store = HandoffStore(url, channels=[])
    store.submit(handoff("c-demo", answers=DEMO_ANSWERS, trial=DEMO, contact={"name": "Dana Demo"}))
    store.submit(
        handoff(
            "c-eligible",
            answers=DEMO_ANSWERS,
            trial=DEMO,
            kind="question",
            contact={"name": "Eve Demo"},
        )
    )
    staff.add_user(store.engine, "dana", PASSWORD)
    staff.set_trials(store.engine, "dana", ["demo-hand-eczema"])
    staff.add_user(store.engine, "root", PASSWORD, role="admin")
    with store.engine.connect() as connection:
        rows = connection.execute(
            sa.select(handoffs.c.conversation_id, handoffs.c.trial, handoffs.c.id)
        ).all()
    store.engine.dispose()
    ids.update({f"{c}@{t}": int(i) for c, t, i in rows})
    return ids


# --- the scoped queries, without the web app ---------------------------------------------


def test_scoped_queries(sqlite_url: str) -> None:
    ids = _store(sqlite_url)
    engine = HandoffStore(sqlite_url, channels=[]).engine
    demo, none = frozenset({DEMO}), frozenset[str]()
    demo_ids = {ids[f"c-demo@{DEMO}"], ids[f"c-eligible@{DEMO}"]}
    main_id = ids[f"c-review@{MAIN}"]
    try:
        assert {r["id"] for r in queries.list_handoffs(engine, scope=demo)} == demo_ids
        assert queries.count_handoffs(engine, scope=demo) == 2
        assert queries.count_handoffs(engine, scope=None) == 5
        assert queries.list_handoffs(engine, scope=none) == []
        assert queries.count_handoffs(engine, scope=none) == 0
        # A trial filter cannot widen the scope; a search cannot reach outside it.
        assert queries.list_handoffs(engine, scope=demo, trial=MAIN) == []
        assert queries.list_handoffs(engine, scope=demo, q="Ada Lovelace") == []
        assert len(queries.list_handoffs(engine, scope=frozenset({MAIN}), q="Ada Lovelace")) >= 1
        with pytest.raises(queries.NotFound):
            queries.get_handoff(engine, main_id, demo)
        assert queries.get_handoff(engine, main_id, None)["id"] == main_id
        record = queries.get_handoff(engine, ids[f"c-eligible@{DEMO}"], demo)
        assert record["related"] == []  # its sibling in the conversation is the main trial's
        unscoped = queries.get_handoff(engine, ids[f"c-eligible@{DEMO}"])
        assert [r["id"] for r in unscoped["related"]] == [ids[f"c-eligible@{MAIN}"]]
        reference = queries.get_handoff(engine, main_id)["reference"]
        assert queries.find_reference(engine, reference, demo) is None
        assert queries.find_reference(engine, reference, None) == main_id
        later = datetime.now(timezone.utc) + timedelta(days=1)
        assert queries.count_overdue(engine, later, demo) == 2
        assert queries.count_overdue(engine, later, None) == 5
        for change in (
            lambda: changes.change_status(
                engine, main_id, actor="dana", new_status=None, note="x", scope=demo
            ),
            lambda: changes.assign(engine, main_id, actor="dana", assignee="dana", scope=demo),
            lambda: changes.log_attempt(
                engine, main_id, actor="dana", channel="call", result="no_answer", scope=demo
            ),
        ):
            with pytest.raises(queries.NotFound):
                change()
        assert queries.audit_trail(engine, main_id) == []  # nothing was written
    finally:
        engine.dispose()


def test_the_default_rule(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _store(sqlite_url)
    engine = HandoffStore(sqlite_url, channels=[]).engine
    try:
        assert staff.scope(engine, "root", "admin") is None
        assert staff.scope(engine, "dana", "coordinator") == {DEMO}
        assert staff.scope(engine, "alice", "coordinator") == frozenset()  # several trials
        with pytest.raises(staff.StaffError, match="not served"):
            staff.set_trials(engine, "alice", ["NCT00000000"])
        with pytest.raises(staff.StaffError, match="no staff user"):
            staff.set_trials(engine, "nobody", [MAIN])
        assert staff.set_trials(engine, "alice", ["nct06857240", "demo-0017"]) == [DEMO, MAIN]
        assert staff.scope(engine, "alice", "viewer") == {DEMO, MAIN}
        assert staff.set_trials(engine, "alice", []) == []
        # A deployment with one trial: unassigned staff are that trial's staff.
        monkeypatch.delenv("TRIALS")
        content.reset()
        assert staff.scope(engine, "alice", "coordinator") == {MAIN}
        assert staff.scope(engine, "dana", "coordinator") == {DEMO}  # rows win
        assert staff.trials_label("coordinator", None) == f"{MAIN} (the only trial)"
    finally:
        engine.dispose()


def test_cli_set_trials(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.__main__ import main

    _store(sqlite_url)
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    monkeypatch.setattr("bot.ops.envfile.ensure", lambda: None)
    assert main(["staff", "set-trials", "alice", "DEMO-0017", "nct06857240"]) == 0
    assert "alice now works on DEMO-0017, NCT06857240" in capsys.readouterr().out
    assert main(["staff", "set-trials", "alice", "NCT99999999"]) == 1
    assert "not served" in capsys.readouterr().err
    engine = sa.create_engine(sqlite_url)
    try:
        assert staff.assigned_trials(engine)["alice"] == [DEMO, MAIN]  # the bad call kept them
    finally:
        engine.dispose()


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_migration_0009_up_and_down(backend: str, request: pytest.FixtureRequest) -> None:
    url = request.getfixturevalue(f"{backend}_url")
    store = HandoffStore(url, channels=[])
    try:
        staff.add_user(store.engine, "dana", PASSWORD)
        staff.set_trials(store.engine, "dana", [DEMO])
        migrate_to(store.engine, "0008", down=True)
        assert "staff_trials" not in sa.inspect(store.engine).get_table_names()
        migrate_to(store.engine, "head")
        assert "staff_trials" in sa.inspect(store.engine).get_table_names()
        assert staff.assigned_trials(store.engine) == {}  # no rows: the default rule applies
        staff.set_trials(store.engine, "dana", [DEMO, MAIN])
        with pytest.raises(sa.exc.IntegrityError), store.engine.begin() as connection:
            dana = connection.execute(
                sa.select(staff_users.c.id).where(staff_users.c.username == "dana")
            ).scalar_one()
            connection.execute(staff_trials.insert().values(user_id=dana, nct_id=DEMO))  # twice
        if backend == "postgres":  # SQLite does not enforce foreign keys by default
            with pytest.raises(sa.exc.IntegrityError), store.engine.begin() as connection:
                connection.execute(staff_trials.insert().values(user_id=999999, nct_id=DEMO))
        assert staff.assigned_trials(store.engine) == {"dana": [DEMO, MAIN]}
    finally:
        store.engine.dispose()


# --- the web app ----------------------------------------------------------------------------


@pytest.fixture
async def app(sqlite_url: str, make_client: ClientFactory) -> tuple[TestClient, dict[str, int]]:
    ids = _store(sqlite_url)
    return await make_client(sqlite_url), ids


async def _csv(client: TestClient, query: str = "") -> list[dict[str, str]]:
    response = await client.get(f"/staff/handoffs.csv{query}")
    assert response.status == 200
    return list(csv.DictReader(io.StringIO(await response.text())))


async def test_a_coordinator_of_one_trial(app: tuple[TestClient, dict[str, int]]) -> None:
    client, ids = app
    main_id, demo_id = ids[f"c-review@{MAIN}"], ids[f"c-demo@{DEMO}"]
    reference = queries.get_handoff(client.app[ENGINE], main_id)["reference"]
    assert await login(client, "dana") == 303
    queue = await (await client.get("/staff/handoffs")).text()
    assert "Dana Demo" in queue and "Ada Lovelace" not in queue and "Bold" not in queue
    assert 'id="f-trial"' not in queue  # one trial of theirs: no Study menu
    for query in ("?trial=nct06857240", "?q=Ada+Lovelace", f"?q={reference}"):
        page = await (await client.get(f"/staff/handoffs{query}")).text()
        assert "No handoffs match." in page, query
    page = await (await client.get("/staff/handoffs?status=open")).text()
    assert f'/staff/handoffs/{demo_id}"' in page and f'/staff/handoffs/{main_id}"' not in page
    assert (await client.get(f"/staff/handoffs/{main_id}")).status == 404
    assert (await client.get(f"/staff/r/{reference}", allow_redirects=False)).status == 404
    detail = await client.get(f"/staff/handoffs/{demo_id}")
    assert detail.status == 200
    token = csrf_from(await detail.text())
    for form, data in (
        ("status", {"status": "contacted", "note": "x"}),
        ("attempt", {"channel": "call", "result": "no_answer"}),
        ("assign", {"assignee": "me"}),
    ):
        response = await client.post(
            f"/staff/handoffs/{main_id}/{form}",
            data={**data, "csrf_token": token},
            allow_redirects=False,
        )
        assert response.status == 404, form
    assert queries.get_handoff(client.app[ENGINE], main_id)["status"] == "new"
    assert {row["trial"] for row in await _csv(client)} == {DEMO}
    assert await _csv(client, "?trial=nct06857240") == []


async def test_an_admin_sees_both_and_an_unassigned_coordinator_none(
    app: tuple[TestClient, dict[str, int]],
) -> None:
    client, ids = app
    main_id = ids[f"c-review@{MAIN}"]
    assert await login(client, "root") == 303
    queue = await (await client.get("/staff/handoffs")).text()
    assert "Dana Demo" in queue and "Ada Lovelace" in queue and 'id="f-trial"' in queue
    assert (await client.get(f"/staff/handoffs/{main_id}")).status == 200
    assert {row["trial"] for row in await _csv(client)} == {DEMO, MAIN}
    users = await (await client.get("/staff/users")).text()
    assert "all trials (admin)" in users and DEMO in users and "none (set-trials)" in users
    # alice: a coordinator with no trial in a deployment of two sees nothing until set-trials.
    assert await login(client) == 303
    queue = await (await client.get("/staff/handoffs")).text()
    assert "No handoffs match." in queue
    assert (await client.get(f"/staff/handoffs/{main_id}")).status == 404
    assert await _csv(client) == []
    staff.set_trials(client.app[ENGINE], "alice", [MAIN])  # takes effect on the next request
    assert (await client.get(f"/staff/handoffs/{main_id}")).status == 200
    assert {row["trial"] for row in await _csv(client)} == {MAIN}


async def test_api_and_fhir_tokens_are_deployment_wide(
    app: tuple[TestClient, dict[str, int]],
) -> None:
    client, ids = app
    auth = {"Authorization": f"Bearer {API_TOKEN}"}
    items = json.loads(await (await client.get("/api/handoffs", headers=auth)).text())["items"]
    assert {item["trial"] for item in items} == {DEMO, MAIN}
    main_id = ids[f"c-review@{MAIN}"]
    assert (await client.get(f"/api/handoffs/{main_id}", headers=auth)).status == 200
    bundle = json.loads(await (await client.get("/api/fhir/ResearchSubject", headers=auth)).text())
    studies = {
        e["resource"]["study"]["identifier"]["value"]
        for e in bundle["entry"]
        if e["resource"]["resourceType"] == "ResearchSubject"
    }
    assert studies == {DEMO, MAIN}


async def test_the_funnel_shows_a_coordinator_only_their_trials(
    app: tuple[TestClient, dict[str, int]],
) -> None:
    """Review leftover (2026-12-01, late): the funnel page counted every trial for everyone."""
    client, _ = app
    today = funnel.local_day()
    with client.app[ENGINE].begin() as connection:
        funnel.add(
            connection,
            {
                (DEMO, today, "prescreen_started", ""): 7,
                (MAIN, today, "prescreen_started", ""): 41,
            },
        )
    assert await login(client, "dana") == 303
    page = await (await client.get("/staff/funnel")).text()
    assert "<td>7</td>" in page and "<td>41</td>" not in page
    page = await (await client.get(f"/staff/funnel?trial={MAIN}")).text()
    assert "<td>41</td>" not in page
    assert await login(client, "root") == 303
    page = await (await client.get("/staff/funnel")).text()
    assert "<td>7</td>" in page and "<td>41</td>" in page
    # The API's tokens are deployment-wide: every trial's counts.
    auth = {"Authorization": f"Bearer {API_TOKEN}"}
    found = json.loads(await (await client.get("/api/funnel", headers=auth)).text())
    assert set(found["trials"]) == {DEMO, MAIN}
