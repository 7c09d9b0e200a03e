"""Rasa's SQL tracker store with every event's payload encrypted at rest, on SQLite or PostgreSQL.

Encryption: Rasa keeps each conversation event as a row of the `events` table: the columns it
queries (sender_id, type_name, timestamp, intent_name, action_name: the conversation id, the
event kind, when, the intent or action or slot name) and `data`, the whole event as JSON (what
the patient typed, the parse data, slot values, what the bot said). Here `data` is a Fernet
token made with the handoff keys (bot.store.crypto, HANDOFF_KEY, rotation included); Rasa reads the
conversation back decrypted, so nothing else changes. Rows written before this store (plain
JSON) are still read, and `python -m bot rotate-key` encrypts them.

SQLite: Rasa saves the conversation after each message with a blocking commit on its event
loop. With SQLite's defaults (rollback journal, synchronous=FULL) each commit waits for several
fsyncs, about 11 ms on this machine, during which no other patient is served. In WAL mode with
synchronous=NORMAL a commit does not wait for the disk (about 0.01 ms) and is still atomic and
safe when a process crashes; only a power cut may lose the last turns. The database file (and
so its -wal and -shm files) is created 0600. PostgreSQL (the production profile) is used as
Rasa's store uses it.

Used from endpoints.yml: `tracker_store: {type: bot.rasa.tracker_store.SQLiteTrackerStore, ...}`
and deploy/endpoints.production.yml:
`{type: bot.rasa.tracker_store.EncryptedTrackerStore, url: ...}`.
"""

from __future__ import annotations

import itertools
import json
import logging
from collections.abc import Iterable
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import Event
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

from bot.staff import funnel
from bot.store import crypto, private

logger = logging.getLogger(__name__)

PRAGMAS = ("PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL")


def _set_pragmas(connection: Any, record: Any) -> None:
    cursor = connection.cursor()
    try:
        for pragma in PRAGMAS:
            cursor.execute(pragma)
    finally:
        cursor.close()


def seal(event: dict[str, Any]) -> str:
    """One event as stored: its JSON, encrypted."""
    return crypto.encrypt(json.dumps(event))


# Rasa re-reads the whole conversation on every message: decrypting each event again would add
# about 40 us per event (8 ms a turn late in a prescreen). Events never change once stored, so
# a token's plaintext is kept in this bounded cache (in the Rasa process's memory only, which
# holds the same conversations anyway).
@lru_cache(maxsize=20_000)
def _decrypted(token: str) -> str:
    return crypto.decrypt(token)


def unseal(stored: str) -> dict[str, Any]:
    """One stored event back; plain JSON from before encryption is read as it is."""
    text = _decrypted(stored) if crypto.is_token(stored) else stored
    event: dict[str, Any] = json.loads(text)
    return event


# Rasa finds an event's class by its name by walking every subclass of Event, for each event
# of each conversation it reads back (about a third of a retrieve's time): the classes are
# all defined once imported, so each name's class is looked up once.
@cache
def _event_class(type_name: str) -> type[Event] | None:
    return Event.resolve_by_type(type_name)


def events_from_dicts(stored: list[dict[str, Any]]) -> list[Event]:
    """Rasa's deserialise_events, with the class lookup above (same events, same order)."""
    events = []
    for data in stored:
        name = data.get("event")
        if name is None:
            continue
        cls = _event_class(name)  # an unknown name raises, as Rasa's does
        if cls is None:
            logger.warning("tracker store: an event of kind %r was skipped", name)
            continue
        event = cls._from_parameters(data)
        if event is not None:
            events.append(event)
    return events


# How many events of its latest session a tracker had when it was read from the store. Rasa's
# save() counts them again with a query on every turn (to know which events are new); the
# Rasa server holds the conversation's lock from the read to the save, so the number read is
# the number stored. Kept with the object's id, so that a copy (copy.deepcopy copies it) asks
# again; dropped at the save: a later save of the same tracker object asks again.
_READ = "_bot_events_read"


def _sqlite_file(kwargs: dict[str, Any]) -> Path | None:
    host = kwargs.get("host")
    if host and "://" in str(host):
        url = sa.engine.make_url(str(host))
        if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
            return Path(str(url.database))
        return None
    if kwargs.get("dialect", "sqlite") == "sqlite":
        db = kwargs.get("db", "rasa.db")
        return Path(db) if db and db != ":memory:" else None
    return None


class EncryptedTrackerStore(SQLTrackerStore):
    """SQLTrackerStore with encrypted event payloads; on SQLite, WAL and a private file."""

    engine: sa.engine.Engine

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        database = _sqlite_file(kwargs)
        if database is not None:
            private.restrict()  # whatever Rasa's process creates from now on is private
            private.sqlite_files(database)  # 0600 before SQLite opens (and copies its mode)
        super().__init__(*args, **kwargs)
        crypto.fernet()  # no key: fail at start-up, not at the first message
        if self.engine.dialect.name != "sqlite":
            return
        # SQLAlchemy 1.4 opens a new SQLite connection per session (NullPool); closing the last
        # one checkpoints the WAL with an fsync. Keep connections open in a pool instead (Rasa
        # calls the store from its event loop thread only).
        url = self.engine.url
        self.engine.dispose()
        self.engine = sa.create_engine(
            url,
            poolclass=sa.pool.QueuePool,
            pool_size=2,
            max_overflow=8,
            connect_args={"check_same_thread": False},
        )
        sa.event.listen(self.engine, "connect", _set_pragmas)
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)

    def journal_mode(self) -> str:
        with self.engine.connect() as connection:
            return str(connection.exec_driver_sql("PRAGMA journal_mode").scalar())

    # Rasa 3.6's SQLTrackerStore.save and _retrieve, with `data` sealed and unsealed.

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Add the conversation's new events to the database, encrypted."""
        await self.stream_events(tracker)
        owner, read = tracker.__dict__.pop(_READ, (None, 0))
        with self.session_scope() as session:
            events: Iterable[Any]
            if owner != id(tracker):
                events = self._additional_events(session, tracker)
            else:
                events = itertools.islice(tracker.events, read, len(tracker.events))
            opened = 0
            for event in events:
                data = event.as_dict()
                opened += event.type_name == "session_started"
                intent = data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY)
                session.add(
                    self.SQLEvent(
                        sender_id=tracker.sender_id,
                        type_name=event.type_name,
                        timestamp=data.get("timestamp"),
                        intent_name=intent,
                        action_name=data.get("name"),
                        data=seal(data),
                    )
                )
            session.commit()
        for _ in range(opened):  # a chat (session) began: counted, nothing about who
            funnel.record("chat_opened")

    async def _retrieve(
        self, sender_id: str, fetch_events_from_all_sessions: bool
    ) -> DialogueStateTracker | None:
        with self.session_scope() as session:
            rows = self._event_query(
                session, sender_id, fetch_events_from_all_sessions=fetch_events_from_all_sessions
            ).all()
            stored = [unseal(row.data) for row in rows]
        if self.domain and stored:
            tracker = DialogueStateTracker.from_events(
                sender_id, events_from_dicts(stored), self.domain.slots
            )
            if not fetch_events_from_all_sessions:
                # The events the tracker holds (from_events may leave out one it cannot read).
                tracker.__dict__[_READ] = (id(tracker), len(tracker.events))
            return tracker
        return None


# The name endpoints.yml has always used (SQLite is the default profile's store).
SQLiteTrackerStore = EncryptedTrackerStore
