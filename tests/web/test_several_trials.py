"""One deployment, two trials (TRIALS), in the web app without Rasa: each trial's page, and the
trial of each handoff in the API (its `trial` filter), the inbox (its Study filter, the
record's own labels), the CSV and the FHIR export. The live path is
tests/test_live_several_trials.py."""

from __future__ import annotations

import csv
import io
import json

import pytest
import sqlalchemy as sa
from aiohttp.test_utils import TestClient

from bot import content
from bot.staff import users as staff
from bot.store.handoff import HandoffStore
from bot.store.schema import funnel_counts, handoffs
from bot.web import public
from bot.web.state import ENGINE
from tests.stores import migrate_to
from tests.web.conftest import (
    API_TOKEN,
    DEMO_ANSWERS,
    DEMO_FOLDER,
    ClientFactory,
    handoff,
    login,
    seed,
)

AUTH = {"Authorization": f"Bearer {API_TOKEN}"}


pytestmark = pytest.mark.usefixtures("two_trials")


@pytest.fixture
async def both(sqlite_url: str, make_client: ClientFactory) -> tuple[TestClient, dict[str, int]]:
    ids = seed(sqlite_url)  # records of this trial, stored without a trial: the default's
    store = HandoffStore(sqlite_url, channels=[])
    store.submit(
        handoff("c-demo", answers=DEMO_ANSWERS, trial="DEMO-0017", contact={"name": "Dana Demo"})
    )
    with store.engine.begin() as connection:
        ids.update(connection.execute(sa.select(handoffs.c.conversation_id, handoffs.c.id)).all())
    store.engine.dispose()
    return await make_client(sqlite_url), ids


async def _items(client: TestClient, query: str = "") -> list[dict[str, object]]:
    response = await client.get(f"/api/handoffs{query}", headers=AUTH)
    assert response.status == 200, await response.text()
    items: list[dict[str, object]] = json.loads(await response.text())["items"]
    return items


async def test_pages(both: tuple[TestClient, dict[str, int]]) -> None:
    client, _ = both
    demo = await (await client.get("/t/demo-hand-eczema/")).text()
    assert 'data-trial="demo-hand-eczema"' in demo and "hand eczema" in demo
    main = await (await client.get("/")).text()
    assert 'data-trial="nct06857240"' in main and "dermatomyositis" in main
    assert (await client.get("/t/nope/")).status == 404
    # Page views are counted per trial (the funnel's trial column).
    recorder = client.app[public.FUNNEL]
    recorder.flush()
    with sa.create_engine(recorder.url).connect() as connection:
        views = dict(
            connection.execute(
                sa.select(funnel_counts.c.trial, funnel_counts.c.count).where(
                    funnel_counts.c.event == "page_view"
                )
            ).all()
        )
    assert views == {"DEMO-0017": 1, "NCT06857240": 1}


async def test_api_filter_and_items(both: tuple[TestClient, dict[str, int]]) -> None:
    client, ids = both
    everything = await _items(client)
    by_id = {item["id"]: item["trial"] for item in everything}
    assert by_id[ids["c-demo"]] == "DEMO-0017"
    assert by_id[ids["c-review"]] == "NCT06857240"  # made before: the default trial's
    for value in ("demo-hand-eczema", "DEMO-0017", "demo-0017"):
        assert [i["id"] for i in await _items(client, f"?trial={value}")] == [ids["c-demo"]]
    main = {i["id"] for i in await _items(client, "?trial=nct06857240")}
    assert ids["c-demo"] not in main and ids["c-review"] in main and len(main) == len(ids) - 1
    assert await _items(client, "?trial=no-such-trial") == []


async def test_inbox_csv_and_fhir(both: tuple[TestClient, dict[str, int]]) -> None:
    client, ids = both
    staff.set_trials(client.app[ENGINE], "alice", ["nct06857240", "demo-hand-eczema"])  # both
    assert await login(client) == 303
    page = await (await client.get("/staff/handoffs?trial=demo-hand-eczema")).text()
    assert 'id="f-trial"' in page and "Dana Demo" in page and "DEMO-0017" in page
    other = await (await client.get("/staff/handoffs?trial=nct06857240")).text()
    assert "Dana Demo" not in other
    detail = await (await client.get(f"/staff/handoffs/{ids['c-demo']}")).text()
    assert "Hand eczema diagnosed by a physician" in detail
    assert '<dd class="trial-id">DEMO-0017</dd>' in detail
    exported = await (await client.get("/staff/handoffs.csv?trial=demo-hand-eczema")).text()
    rows = list(csv.DictReader(io.StringIO(exported)))
    assert [r["trial"] for r in rows] == ["DEMO-0017"]
    flares = next(name for name in rows[0] if name.startswith("Hand eczema flares"))
    assert rows[0][flares].startswith("5")
    response = await client.get("/api/fhir/ResearchSubject", headers=AUTH)
    bundle = json.loads(await response.text())
    studies = {
        e["resource"]["id"]: e["resource"]["study"]["identifier"]["value"]
        for e in bundle["entry"]
        if e["resource"]["resourceType"] == "ResearchSubject"
    }
    assert studies[f"handoff-{ids['c-demo']}"] == "DEMO-0017"
    assert studies[f"handoff-{ids['c-review']}"] == "NCT06857240"


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_migration_0007_down_and_up(backend: str, request: pytest.FixtureRequest) -> None:
    from bot.web import queries

    url = request.getfixturevalue(f"{backend}_url")
    store = HandoffStore(url, channels=[])
    store.submit(handoff("c-demo", answers=DEMO_ANSWERS, trial="DEMO-0017"))
    assert [r["trial"] for r in queries.list_handoffs(store.engine)] == ["DEMO-0017"]
    try:
        migrate_to(store.engine, "0006", down=True)
        columns = {c["name"] for c in sa.inspect(store.engine).get_columns("handoffs")}
        assert "trial" not in columns
        migrate_to(store.engine, "head")
        records = queries.list_handoffs(store.engine, trial="NCT06857240")
        assert [r["trial"] for r in records] == ["NCT06857240"]  # kept, now the default's
        assert queries.list_handoffs(store.engine, trial="DEMO-0017") == []
    finally:
        store.engine.dispose()


def _trial_column(engine: sa.engine.Engine) -> dict[str, object]:
    found = [c for c in sa.inspect(engine).get_columns("handoffs") if c["name"] == "trial"]
    return dict(found[0])


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_migration_0008_backfills_the_default_trial(
    backend: str, request: pytest.FixtureRequest
) -> None:
    """Review 7: records made before 0007 (trial NULL) get the default trial's nct_id when
    0008 runs, then the column is NOT NULL; a later TRIALS order does not move them."""
    from bot.web import queries

    url = request.getfixturevalue(f"{backend}_url")
    store = HandoffStore(url, channels=[])
    store.submit(handoff("c-demo", answers=DEMO_ANSWERS, trial="DEMO-0017"))
    store.submit(handoff("c-old"))
    assert not _trial_column(store.engine)["nullable"]
    try:
        migrate_to(store.engine, "0007", down=True)
        assert _trial_column(store.engine)["nullable"]
        with store.engine.begin() as connection:  # as 0007 left a record made before it
            connection.execute(
                handoffs.update().where(handoffs.c.conversation_id == "c-old").values(trial=None)
            )
        migrate_to(store.engine, "head")
        assert not _trial_column(store.engine)["nullable"]
        with store.engine.connect() as connection:
            trials = dict(
                connection.execute(sa.select(handoffs.c.conversation_id, handoffs.c.trial)).all()
            )
        assert trials == {"c-demo": "DEMO-0017", "c-old": "NCT06857240"}
        with pytest.raises(sa.exc.IntegrityError), store.engine.begin() as connection:
            connection.execute(
                handoffs.update().where(handoffs.c.conversation_id == "c-old").values(trial=None)
            )
        # The demo trial first now: the old record stays the study it was made for.
        content.use(None)
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("TRIALS", f"{DEMO_FOLDER},nct06857240")
            content.reset()
            old = queries.list_handoffs(store.engine, trial="NCT06857240")
            assert [r["conversation_id"] for r in old] == ["c-old"]
        content.reset()
        migrate_to(store.engine, "0007", down=True)  # and back down: nullable, the values kept
        assert _trial_column(store.engine)["nullable"]
        with store.engine.connect() as connection:
            kept = connection.execute(
                sa.select(handoffs.c.trial).where(handoffs.c.conversation_id == "c-old")
            ).scalar_one()
        assert kept == "NCT06857240"
        migrate_to(store.engine, "head")
    finally:
        store.engine.dispose()


def test_notices_name_the_records_study() -> None:
    from bot.staff.notify import Digest, Notice, NotifySettings, webhook_payload

    settings = NotifySettings.from_env({})
    demo = Notice(1, "K7Q2", "likely_eligible", "DEMO-0017")
    assert "made-up hand cream study" in demo.text(settings)
    assert webhook_payload(demo, settings)["trial"] == "DEMO-0017"
    old = Notice(2, "P2QA", "likely_eligible")  # made before 0007: the default trial's
    assert "ruxolitinib cream study" in old.text(settings)
    assert webhook_payload(old, settings)["trial"] == "NCT06857240"
    digest = Digest(
        0,
        "",
        "",
        day="2026-12-01",
        target="1 working day",
        items=(("K7Q2", "likely_eligible", "2 days", 1),),
    )
    assert "1 new study record(s)" in digest.text(settings)
