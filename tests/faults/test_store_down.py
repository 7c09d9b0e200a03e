"""The handoff store is unavailable at submit time (SQLite locked, PostgreSQL stopped): the
patient is told their answers are saved, the handoff waits encrypted in the local spool, and
it is stored once as soon as the store is back."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.ops.stack import Stack
from bot.store.handoff import HandoffStore
from tests.conftest import POSTGRES_URL, Conversation, texts
from tests.faults.conftest import EMAIL, NAME, TcpProxy, make_stack, to_best_time, wait_for

pytestmark = pytest.mark.live


def spooled(var_dir: Path) -> list[Path]:
    return sorted((var_dir / "spool").glob("*.handoff"))


def assert_saved_reply(reply: str) -> None:
    assert "I saved what you told me" in reply and "could not reach" in reply, reply
    assert "reference code" not in reply


def test_sqlite_locked_at_submit(sqlite_stack: Stack) -> None:
    var_dir = sqlite_stack.settings.var_dir
    db = var_dir / "handoffs.db"
    chat = Conversation(sqlite_stack.settings.rasa_url)
    to_best_time(chat)

    lock = sqlite3.connect(db, isolation_level=None, timeout=30)
    try:
        lock.execute("BEGIN EXCLUSIVE")  # nobody else can read or write the store now
        assert_saved_reply(texts(chat("weekday mornings")))
        [waiting] = spooled(var_dir)
        raw = waiting.read_bytes()
        for plain in (EMAIL, NAME, "weekday mornings", "dermatomyositis"):
            assert plain.encode() not in raw
        assert (waiting.stat().st_mode & 0o777) == 0o600
    finally:
        lock.execute("ROLLBACK")
        lock.close()

    store = HandoffStore(f"sqlite:///{db}", [])
    try:
        wait_for(lambda: store.count(chat.sender) == 1, 60, "the spooled handoff to be stored")
        wait_for(lambda: not spooled(var_dir), 30, "the spool to be emptied")
        assert store.count(chat.sender) == 1
    finally:
        store.engine.dispose()
    # Encrypted at rest: the raw database file holds neither the e-mail nor the name.
    raw_db = db.read_bytes()
    assert EMAIL.encode() not in raw_db and NAME.encode() not in raw_db


@pytest.fixture
def pg_stack(
    tmp_path: Path, pg_proxy: TcpProxy, postgres_schema: str
) -> Iterator[tuple[Stack, str]]:
    """A live stack whose handoff store is the real PostgreSQL, reached through the proxy."""
    base = sa.engine.make_url(POSTGRES_URL)
    query = {"options": f"-csearch_path={postgres_schema}"}
    through_proxy = base.set(port=pg_proxy.port, query=query)
    direct = base.set(query=query)
    stack = make_stack(tmp_path, DATABASE_URL=through_proxy.render_as_string(hide_password=False))
    with stack:
        yield stack, direct.render_as_string(hide_password=False)


def test_postgres_stopped_at_submit(pg_stack: tuple[Stack, str], pg_proxy: TcpProxy) -> None:
    stack, direct_url = pg_stack
    var_dir = stack.settings.var_dir
    chat = Conversation(stack.settings.rasa_url)
    to_best_time(chat)

    pg_proxy.stop()  # PostgreSQL is gone for the whole stack
    assert_saved_reply(texts(chat("weekday mornings")))
    assert len(spooled(var_dir)) == 1
    assert texts(chat("is there a placebo?"))  # the conversation goes on

    store = HandoffStore(direct_url, [])  # the test reads PostgreSQL directly
    try:
        assert store.count(chat.sender) == 0
        pg_proxy.start()  # PostgreSQL is back
        wait_for(lambda: store.count(chat.sender) == 1, 60, "the spooled handoff to be stored")
        wait_for(lambda: not spooled(var_dir), 30, "the spool to be emptied")
        with store.engine.connect() as connection:
            raw = " ".join(
                str(value)
                for row in connection.execute(sa.text("select * from handoffs")).all()
                for value in row
            )
        assert EMAIL not in raw and NAME not in raw
        assert store.count(chat.sender) == 1
    finally:
        store.engine.dispose()
