"""The conversation store Rasa loads from endpoints.yml: SQLite in WAL mode, and persistent."""

from __future__ import annotations

import asyncio
import json
from copy import deepcopy
from pathlib import Path

import sqlalchemy as sa
import yaml
from rasa.core.tracker_store import TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from bot.ops.settings import ROOT
from bot.rasa.tracker_store import SQLiteTrackerStore
from bot.store import crypto


def store_from_endpoints(db: Path) -> TrackerStore:
    """Built by Rasa's own factory from endpoints.yml, as the Rasa server builds it."""
    config = yaml.safe_load((ROOT / "endpoints.yml").read_text())["tracker_store"]
    config["db"] = str(db)
    return TrackerStore.create(EndpointConfig.from_dict(config), Domain.empty())


def inner(store: TrackerStore) -> object:
    # Rasa wraps the configured store (FailSafeTrackerStore, AwaitableTrackerStore).
    while hasattr(store, "_tracker_store") or hasattr(store, "tracker_store"):
        store = getattr(store, "_tracker_store", None) or store.tracker_store
    return store


def test_endpoints_yml_gives_our_sqlite_store_in_wal_mode(tmp_path: Path) -> None:
    store = inner(store_from_endpoints(tmp_path / "tracker.db"))
    # An import error would make Rasa fall back to the in-memory store, silently.
    assert isinstance(store, SQLiteTrackerStore)
    with store.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL


def test_conversation_survives_a_new_store_on_the_same_file(tmp_path: Path) -> None:
    db = tmp_path / "tracker.db"
    first = store_from_endpoints(db)
    tracker = DialogueStateTracker("patient-1", [])
    tracker.update(UserUttered("can I join?"))
    tracker.update(BotUttered("This study is for adults aged 18 to 89."))
    asyncio.run(first.save(tracker))
    inner(first).engine.dispose()  # type: ignore[attr-defined]

    again = asyncio.run(store_from_endpoints(db).retrieve("patient-1"))
    assert again is not None
    assert [e.text for e in again.events if isinstance(e, UserUttered | BotUttered)] == [
        "can I join?",
        "This study is for adults aged 18 to 89.",
    ]


def _statements(store: object) -> list[str]:
    seen: list[str] = []
    engine = store.engine  # type: ignore[attr-defined]
    sa.event.listen(engine, "before_cursor_execute", lambda c, cur, sql, *a: seen.append(sql))
    return seen


def _turn(tracker: DialogueStateTracker, said: str, answer: str) -> None:
    tracker.update(UserUttered(said))
    tracker.update(ActionExecuted("action_answer"))
    tracker.update(BotUttered(answer))
    tracker.update(ActionExecuted("action_listen"))


def test_turns_read_back_as_rasa_reads_them_without_counting_again(tmp_path: Path) -> None:
    """A turn's save after its read writes only the new events and does not ask the database
    how many it holds (the number read is kept); the events read back are Rasa's own."""
    store = inner(store_from_endpoints(tmp_path / "tracker.db"))
    first = DialogueStateTracker("patient-2", [])
    _turn(first, "is there a placebo?", "No, there is no placebo.")
    asyncio.run(store.save(first))  # a new conversation: counted, as Rasa does
    for said in ("how long is it?", "where is it?"):
        tracker = asyncio.run(store.retrieve("patient-2"))
        assert tracker is not None
        _turn(tracker, said, "An answer.")
        statements = _statements(store)
        asyncio.run(store.save(tracker))
        assert not [s for s in statements if "count(" in s.lower()]
    again = asyncio.run(store.retrieve("patient-2"))
    assert again is not None
    with store.session_scope() as session:
        rows = store._event_query(session, "patient-2", fetch_events_from_all_sessions=False).all()
        stored = [json.loads(crypto.decrypt(r.data)) for r in rows]
    assert len(rows) == 12  # three turns of four events, none twice
    rasa_own = DialogueStateTracker.from_dict("patient-2", stored, [])
    assert [e.as_dict() for e in again.events] == [e.as_dict() for e in rasa_own.events]


def test_a_copy_of_a_read_tracker_is_counted_as_rasa_counts_it(tmp_path: Path) -> None:
    """Only the tracker object that was read skips the count: a copy of it (copy.deepcopy
    copies its attributes) and a second save of it ask the database, as Rasa's store does."""
    store = inner(store_from_endpoints(tmp_path / "tracker.db"))
    tracker = DialogueStateTracker("patient-3", [])
    _turn(tracker, "is there a placebo?", "No.")
    asyncio.run(store.save(tracker))
    read = asyncio.run(store.retrieve("patient-3"))
    assert read is not None
    copy = deepcopy(read)
    _turn(read, "how long is it?", "Six months.")
    asyncio.run(store.save(read))
    _turn(copy, "where is it?", "In Philadelphia.")
    asyncio.run(store.save(copy))  # the database holds 8 events: nothing past them to add
    asyncio.run(store.save(read))  # saved again: nothing new
    with store.session_scope() as session:
        query = store._event_query(session, "patient-3", fetch_events_from_all_sessions=False)
        assert query.count() == 8
