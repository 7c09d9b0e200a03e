"""Rasa's SQL tracker store, with SQLite set up for a server that commits on every turn.

Rasa saves the conversation after each message with a blocking commit on its event loop. With
SQLite's defaults (rollback journal, synchronous=FULL) each commit waits for several fsyncs,
about 11 ms on this machine, during which no other patient is served. In WAL mode with
synchronous=NORMAL a commit does not wait for the disk (about 0.01 ms) and is still atomic and
safe when a process crashes; only a power cut may lose the last turns. Other databases
(PostgreSQL in the production profile) are used exactly as Rasa's store uses them.

Used from endpoints.yml: `tracker_store: {type: bot.tracker_store.SQLiteTrackerStore, ...}`.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore

PRAGMAS = ("PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL")


def _set_pragmas(connection: Any, record: Any) -> None:
    cursor = connection.cursor()
    try:
        for pragma in PRAGMAS:
            cursor.execute(pragma)
    finally:
        cursor.close()


class SQLiteTrackerStore(SQLTrackerStore):
    """SQLTrackerStore; on SQLite every connection uses WAL and synchronous=NORMAL."""

    engine: sa.engine.Engine

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
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
