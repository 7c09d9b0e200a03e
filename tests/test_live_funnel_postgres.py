"""The funnel with every process writing to the real PostgreSQL: a stack of its own (Rasa,
action server and web app, DATABASE_URL = a fresh schema), so the counts are absolute."""

from __future__ import annotations

import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet

from bot.ops.settings import Settings
from bot.ops.stack import Stack
from tests.conftest import POSTGRES_URL, Conversation, scratch_schema, spare_port, texts
from tests.test_live_funnel import ASKED, ELIGIBLE, _call, _funnel, _settled

pytestmark = pytest.mark.live

TOKEN = "funnel-pg-" + uuid.uuid4().hex


@pytest.fixture(scope="module")
def pg_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    with scratch_schema("funnel") as schema:
        url = sa.engine.make_url(POSTGRES_URL).update_query_dict(
            {"options": f"-csearch_path={schema}"}
        )
        settings = Settings.from_env(
            host="127.0.0.1",
            rasa_port=spare_port(),
            action_port=spare_port(),
            web_port=spare_port(),
            var_dir=Path(tmp_path_factory.mktemp("funnel-pg")),
        )
        env = {
            "HANDOFF_KEY": Fernet.generate_key().decode(),
            "STAFF_API_TOKEN": TOKEN,
            "STAFF_INSECURE_COOKIES": "1",
            "NOTIFY_EMAIL_TO": "",
            "NOTIFY_WEBHOOK_URL": "",
            "RASA_API_TOKEN": "",
            "DATABASE_URL": url.render_as_string(hide_password=False),
        }
        stack = Stack(settings, extra_env=env)
        with stack:
            yield stack


def test_every_process_counts_into_postgresql(pg_stack: Stack) -> None:
    settings = pg_stack.settings
    with urllib.request.urlopen(f"{settings.web_url}/", timeout=20) as page:
        assert page.status == 200
    Conversation(settings.rasa_url)("hello")
    chat = Conversation(settings.rasa_url)
    assert "2 minutes" in texts(chat("can I join the study?"))
    chat("Yes, let's start")
    for answer in ELIGIBLE:
        chat(answer)
    chat("Yes, share my answers")
    chat("Jane Test")
    chat("jane@example.com")
    assert "reference code" in texts(chat("weekday mornings"))
    path = f"/api/handoffs?conversation_id={chat.sender}"
    found = _call(settings, path, token=TOKEN)["items"]
    change = {"status": "contacted"}
    _call(settings, f"/api/handoffs/{found[0]['id']}", "PATCH", change, token=TOKEN)
    expected = {
        "stage:page_view": 1,
        "stage:chat_opened": 2,
        "stage:prescreen_offered": 1,
        "stage:prescreen_started": 1,
        "stage:prescreen_finished": 1,
        "stage:shared": 1,
        "stage:contacted": 1,
        "result:likely_eligible": 1,
        "shared:prescreen": 1,
        **{f"asked:{q}": 1 for q in ASKED},
        **{f"answered:{q}": 1 for q in ASKED},
    }
    deadline = time.monotonic() + 30
    while True:
        counts = {k: v for k, v in _funnel(settings, TOKEN).items() if v}
        if counts == expected or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert counts == expected
    assert {k: v for k, v in _settled(settings, token=TOKEN).items() if v} == expected
