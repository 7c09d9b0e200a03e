"""The conversation store Rasa loads from endpoints.yml: SQLite in WAL mode, and persistent."""

from __future__ import annotations

import asyncio
from pathlib import Path

import yaml
from rasa.core.tracker_store import TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import BotUttered, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

from bot.settings import ROOT
from bot.tracker_store import SQLiteTrackerStore


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
