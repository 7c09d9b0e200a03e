"""`python -m bot purge --older-than 90d`: handoffs (with outbox and audit rows) and whole
conversations in Rasa's tracker store past the limit are deleted; newer ones are kept; the
command prints counts only. On SQLite (the command itself) and the real PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.rasa.tracker_store import EncryptedTrackerStore, SQLiteTrackerStore
from bot.store import retention
from bot.store.handoff import Handoff, HandoffStore
from bot.store.schema import audit, handoffs, outbox
from bot.store.spool import Spool

ROOT = Path(__file__).resolve().parents[2]
DAY = 24 * 3600
SECRET_EMAIL = "old.patient@example.com"


def _handoff(conversation: str) -> Handoff:
    return Handoff(
        conversation_id=conversation,
        outcome="likely_eligible",
        answers={"answers": {"age": 61, "note": f"answers-of-{conversation}"}, "reasons": {}},
        contact={"name": "Old Patient", "email": SECRET_EMAIL},
        consent_version="1",
    )


def seed_handoffs(url: str) -> None:
    """'old' (120 days, with outbox and audit rows) and 'new' (yesterday)."""
    store = HandoffStore(url, channels=["email"])
    now = datetime.now(timezone.utc)
    try:
        for conversation, age in (("old", 120), ("new", 1)):
            store.submit(_handoff(conversation))
            with store.engine.begin() as connection:
                connection.execute(
                    handoffs.update()
                    .where(handoffs.c.conversation_id == conversation)
                    .values(created_at=now - timedelta(days=age))
                )
                handoff_id = connection.execute(
                    sa.select(handoffs.c.id).where(handoffs.c.conversation_id == conversation)
                ).scalar_one()
                connection.execute(
                    audit.insert().values(
                        handoff_id=handoff_id, actor="alice", action="status",
                        old_status="new", new_status="contacted", created_at=now,
                    )
                )  # fmt: skip
    finally:
        store.engine.dispose()


async def seed_trackers(store: SQLTrackerStore) -> None:
    """'gone' (all events 100 days old), 'ongoing' (started 100 days ago, active yesterday),
    'recent' (today)."""
    now = time.time()
    for sender, stamps in (
        ("gone", [now - 100 * DAY, now - 99 * DAY]),
        ("ongoing", [now - 100 * DAY, now - 1 * DAY]),
        ("recent", [now - 60, now]),
    ):
        events = []
        for stamp in stamps:
            events += [
                ActionExecuted("action_listen", timestamp=stamp),
                UserUttered(f"my email is {SECRET_EMAIL}, said-by-{sender}", timestamp=stamp),
                BotUttered("Thanks", timestamp=stamp),
            ]
        await store.save(DialogueStateTracker.from_events(sender, events))


def remaining(url: str, table: sa.Table | str) -> list[str]:
    engine = sa.create_engine(url, future=True)
    try:
        with engine.connect() as connection:
            if table == "events":
                rows = connection.execute(sa.text("select distinct sender_id from events"))
            elif isinstance(table, sa.Table) and table is handoffs:
                rows = connection.execute(sa.select(handoffs.c.conversation_id))
            else:
                assert isinstance(table, sa.Table)
                rows = connection.execute(sa.select(sa.func.count()).select_from(table))
            return sorted(str(row[0]) for row in rows)
    finally:
        engine.dispose()


def stored_values(url: str, query: str) -> list[str]:
    engine = sa.create_engine(url, future=True)
    try:
        with engine.connect() as connection:
            return [str(value) for value in connection.execute(sa.text(query)).scalars()]
    finally:
        engine.dispose()


def test_purge_command_on_sqlite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    handoff_url = f"sqlite:///{tmp_path / 'handoffs.db'}"
    tracker_url = f"sqlite:///{tmp_path / 'rasa_tracker.db'}"
    key = Fernet.generate_key().decode()
    monkeypatch.setenv("HANDOFF_KEY", key)
    seed_handoffs(handoff_url)
    asyncio.run(
        # The tracker store endpoints.yml configures (SQLite in WAL mode).
        seed_trackers(SQLiteTrackerStore(dialect="sqlite", db=str(tmp_path / "rasa_tracker.db")))
    )
    old_spooled = Spool(tmp_path / "spool").put(_handoff("spooled-long-ago"))
    os.utime(old_spooled, (time.time() - 100 * DAY,) * 2)
    # Everything is encrypted at rest: what must vanish from the disk are the stored tokens.
    gone_tokens = stored_values(tracker_url, "select data from events where sender_id = 'gone'")
    gone_tokens += stored_values(
        handoff_url, "select answers from handoffs where conversation_id = 'old'"
    )
    assert gone_tokens and all(token.startswith("gAAAAA") for token in gone_tokens)

    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "TRACKER_STORE_URL")}
    env.update(VAR_DIR=str(tmp_path), HANDOFF_KEY=key, PYTHONPATH=str(ROOT))
    done = subprocess.run(
        [sys.executable, "-m", "bot", "purge", "--older-than", "90d"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    out = done.stdout + done.stderr
    assert "purged 1 handoff(s) (1 outbox, 1 audit rows)" in out, out
    assert "1 conversation(s) (6 tracker events)" in out and "1 spooled" in out, out
    assert SECRET_EMAIL not in out and "Old Patient" not in out
    assert remaining(handoff_url, handoffs) == ["new"]
    assert remaining(handoff_url, outbox) == ["1"] and remaining(handoff_url, audit) == ["1"]
    assert remaining(tracker_url, "events") == ["ongoing", "recent"]
    assert not old_spooled.exists()
    # Gone from the disk too, not only from query results (free pages, WAL).
    for name in ("handoffs.db", "rasa_tracker.db", "rasa_tracker.db-wal"):
        raw = (tmp_path / name).read_bytes() if (tmp_path / name).exists() else b""
        assert b"answers-of-" not in raw and b"said-by-" not in raw, name  # never plain
        for token in gone_tokens:
            assert token[20:80].encode() not in raw, name
    kept = stored_values(tracker_url, "select data from events where sender_id = 'recent'")
    assert kept and kept[0][20:80].encode() in (tmp_path / "rasa_tracker.db").read_bytes()
    recent = asyncio.run(
        SQLiteTrackerStore(dialect="sqlite", db=str(tmp_path / "rasa_tracker.db")).retrieve(
            "recent"
        )
    )
    assert recent is not None and "said-by-recent" in str(recent.latest_message.text)

    again = subprocess.run(
        [sys.executable, "-m", "bot", "purge", "--older-than", "2h"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert "purged 1 handoff(s)" in again.stdout and "1 conversation(s)" in again.stdout
    assert remaining(tracker_url, "events") == ["recent"]


def test_age_parsing() -> None:
    assert retention.parse_age("90d") == timedelta(days=90)
    assert retention.parse_age("12h") == timedelta(hours=12)
    for bad in ("90", "90m", "-1d", "d", "ninety days"):
        with pytest.raises(ValueError):
            retention.parse_age(bad)
    done = subprocess.run(
        [sys.executable, "-m", "bot", "purge", "--older-than", "3 weeks"],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2 and "like 90d or 12h" in done.stderr


async def test_purge_on_postgres(
    postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HANDOFF_KEY", Fernet.generate_key().decode())
    seed_handoffs(postgres_url)
    url = sa.engine.make_url(postgres_url)
    trackers = EncryptedTrackerStore(  # the production profile's store
        dialect="postgresql", host=url.host, port=url.port, db=url.database,
        username=url.username, query=dict(url.query),
    )  # fmt: skip
    await seed_trackers(trackers)
    trackers.engine.dispose()

    result = retention.purge(
        timedelta(days=90),
        handoff_url=postgres_url,
        tracker_store_url=postgres_url,
        spool_dir=tmp_path / "spool",
    )
    assert (result.handoffs, result.outbox, result.audit) == (1, 1, 1)
    assert (result.conversations, result.events) == (1, 6)
    assert remaining(postgres_url, handoffs) == ["new"]
    assert remaining(postgres_url, "events") == ["ongoing", "recent"]
