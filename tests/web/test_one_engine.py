"""The web process is one app over one database engine (issue 17): the pages, the API, the
funnel counters and the outbox worker all use the engine create_app made."""

from __future__ import annotations

import os
from pathlib import Path

import sqlalchemy as sa
from aiohttp.test_utils import TestClient, TestServer

from bot.ops.settings import Settings
from bot.staff import funnel
from bot.store.schema import funnel_counts
from bot.web.app import create_app
from bot.web.public import FUNNEL
from bot.web.state import ENGINE, OUTBOX_WORKER
from tests.web.conftest import API_TOKEN


async def test_the_web_process_shares_one_engine(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'handoffs.db'}"
    settings = Settings.from_env(
        {},
        var_dir=tmp_path,
        database_url=url,
        staff_api_token=API_TOKEN,
        staff_session_key=os.urandom(32),
        secure_cookies=False,
    )
    app = create_app(settings)  # as `python -m bot.web.server` makes it: workers included
    engine = app[ENGINE]
    assert app[OUTBOX_WORKER].engine is engine
    assert app[FUNNEL] is funnel.recorder(engine.url)
    async with TestClient(TestServer(app)) as client:
        assert (await client.get("/")).status == 200  # a page view, counted
        assert app[FUNNEL].flush()
        assert app[FUNNEL]._engine is engine
        api = await client.get("/api/handoffs", headers={"Authorization": f"Bearer {API_TOKEN}"})
        assert api.status == 200
    with engine.connect() as connection:  # disposed at shutdown; a new connection reads back
        views = connection.execute(
            sa.select(funnel_counts.c.count).where(funnel_counts.c.event == "page_view")
        ).scalar()
    assert views == 1
