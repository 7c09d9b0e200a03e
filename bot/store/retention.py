"""Retention: delete handoffs and conversations older than a limit.

    python -m bot purge --older-than 90d      (units: d = days, h = hours)

Removes, in one transaction per store:
- handoffs created before the cutoff, with their outbox, audit, contact-attempt and search
  rows (DATABASE_URL, or
  var/handoffs.db);
- whole conversations from Rasa's SQL tracker store (table `events`) whose newest event is
  older than the cutoff (TRACKER_STORE_URL, or var/rasa_tracker.db): a conversation still going
  on keeps its history. With ASSISTANT_PROFILE=production, both stores as that profile finds
  them (bot.ops.production);
- spooled handoffs (bot.store.spool) written before the cutoff.
Prints counts only, never content. Schedule it daily (cron or a Kubernetes CronJob).
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bot.ops.settings import Settings
from bot.store.handoff import default_url
from bot.store.schema import audit, contact_attempts, handoff_search, handoffs, outbox
from bot.store.spool import Spool

_AGE = re.compile(r"^\s*(\d+)\s*([dh])\s*$")
# Rasa's SQLTrackerStore table (rasa/core/tracker_store.py): one row per event.
_tracker_meta = sa.MetaData()
events = sa.Table(
    "events",
    _tracker_meta,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sender_id", sa.String(255)),
    sa.Column("timestamp", sa.Float),
)


def parse_age(text: str) -> timedelta:
    """'90d' -> 90 days, '12h' -> 12 hours."""
    found = _AGE.match(text)
    if not found:
        raise ValueError(f"expected a number of days or hours, like 90d or 12h, not {text!r}")
    amount, unit = int(found.group(1)), found.group(2)
    return timedelta(days=amount) if unit == "d" else timedelta(hours=amount)


@dataclass
class Purged:
    handoffs: int = 0
    outbox: int = 0
    audit: int = 0
    conversations: int = 0
    events: int = 0
    spooled: int = 0

    def summary(self) -> str:
        return (
            f"purged {self.handoffs} handoff(s) ({self.outbox} outbox, {self.audit} audit rows), "
            f"{self.conversations} conversation(s) ({self.events} tracker events), "
            f"{self.spooled} spooled handoff(s)"
        )


def purge_handoffs(engine: sa.engine.Engine, cutoff: datetime, result: Purged) -> None:
    old = sa.select(handoffs.c.id).where(handoffs.c.created_at < cutoff).scalar_subquery()
    with engine.begin() as connection:
        result.outbox += connection.execute(
            outbox.delete().where(outbox.c.handoff_id.in_(old))
        ).rowcount
        result.audit += connection.execute(
            audit.delete().where(audit.c.handoff_id.in_(old))
        ).rowcount
        if sa.inspect(connection).has_table(contact_attempts.name):  # migration 0005
            connection.execute(
                contact_attempts.delete().where(contact_attempts.c.handoff_id.in_(old))
            )
            connection.execute(handoff_search.delete().where(handoff_search.c.handoff_id.in_(old)))
        result.handoffs += connection.execute(
            handoffs.delete().where(handoffs.c.created_at < cutoff)
        ).rowcount


def purge_trackers(engine: sa.engine.Engine, cutoff: datetime, result: Purged) -> None:
    if not sa.inspect(engine).has_table("events"):
        return
    newest = sa.func.max(events.c.timestamp)
    stale = (
        sa.select(events.c.sender_id)
        .group_by(events.c.sender_id)
        .having(newest < cutoff.timestamp())
        .scalar_subquery()
    )
    with engine.begin() as connection:
        result.conversations += int(
            connection.execute(
                sa.select(sa.func.count(sa.distinct(events.c.sender_id))).where(
                    events.c.sender_id.in_(stale)
                )
            ).scalar_one()
        )
        result.events += connection.execute(
            events.delete().where(events.c.sender_id.in_(stale))
        ).rowcount


def purge_spool(spool: Spool, cutoff: datetime, result: Purged) -> None:
    for path in spool.pending():
        try:
            if path.stat().st_mtime < cutoff.timestamp():
                path.unlink()
                result.spooled += 1
        except FileNotFoundError:
            pass


def store_urls(settings: Settings) -> tuple[str, str | None]:
    """(handoff store, tracker store) as the running assistant uses them."""
    if settings.production:  # ASSISTANT_PROFILE=production: both in PostgreSQL
        config = settings.stores
        return config.database_url, config.tracker_store_url
    trackers = settings.tracker_store_url or None
    if trackers is None and settings.tracker_db.exists():
        trackers = f"sqlite:///{settings.tracker_db}"
    return default_url(settings), trackers


def _engine(url: str) -> sa.engine.Engine:
    engine = sa.create_engine(url, future=True)
    if engine.dialect.name == "sqlite":
        # Deleted rows are overwritten with zeros, not left in free pages of the file.
        sa.event.listen(engine, "connect", _secure_delete)
    return engine


def _secure_delete(connection: Any, record: Any) -> None:
    cursor = connection.cursor()
    try:
        cursor.execute("PRAGMA secure_delete=ON")
    finally:
        cursor.close()


def _flush_sqlite(engine: sa.engine.Engine) -> None:
    """SQLite in WAL mode (the tracker store): move the zeroed pages into the database file
    and empty the WAL, so no old copy of a deleted row stays on disk."""
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")


def purge(
    older_than: timedelta,
    *,
    handoff_url: str | None = None,
    tracker_store_url: str | None = None,
    spool_dir: Path | None = None,
    now: datetime | None = None,
) -> Purged:
    settings = Settings.from_env()
    cutoff = (now or datetime.now(timezone.utc)) - older_than
    result = Purged()
    default_handoffs, default_trackers = store_urls(settings)
    engine = _engine(handoff_url or default_handoffs)
    try:
        if sa.inspect(engine).has_table(handoffs.name):
            purge_handoffs(engine, cutoff, result)
        _flush_sqlite(engine)
    finally:
        engine.dispose()
    trackers = tracker_store_url or default_trackers
    if trackers:
        engine = _engine(trackers)
        try:
            purge_trackers(engine, cutoff, result)
            _flush_sqlite(engine)
        finally:
            engine.dispose()
    purge_spool(Spool(spool_dir or settings.var_dir / "spool"), cutoff, result)
    return result


def main(older_than: str) -> int:
    started = time.monotonic()
    result = purge(parse_age(older_than))
    print(f"{result.summary()} older than {older_than} in {time.monotonic() - started:.1f}s")
    return 0
