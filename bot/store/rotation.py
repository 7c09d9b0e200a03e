"""Key rotation: `python -m bot rotate-key` re-encrypts every stored record with the newest key.

HANDOFF_KEY may hold several keys, newest first (bot.store.crypto): the first encrypts, all decrypt.
After putting a new key in front (and restarting, so new records use it), this command rewrites,
in batches, each encrypted value with the first key: the handoffs' answers, questions, contact
details and transcripts, the staff notes of the audit trail and of contact attempts, every
conversation event in Rasa's tracker store, and the spooled handoffs. Plain text left from
before encryption (migration 0003, bot.rasa.tracker_store) is encrypted on the way. Then the old key
can be dropped from HANDOFF_KEY. Running it again is harmless. Prints counts only, never
content (docs/operations.md).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from bot.ops.settings import Settings
from bot.store import crypto
from bot.store.retention import store_urls
from bot.store.spool import Spool

BATCH = 500

_handoff_columns = ("answers", "questions", "contact", "transcript")


def _table(name: str, columns: Iterable[str]) -> sa.Table:
    return sa.Table(
        name,
        sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True),
        *(sa.Column(column, sa.Text) for column in columns),
    )


def _renew(value: str | None) -> str | None:
    if value is None:
        return None
    return crypto.rotate(value) if crypto.is_token(value) else crypto.encrypt(value)


@dataclass
class Rotated:
    handoffs: int = 0
    notes: int = 0
    events: int = 0
    spooled: int = 0

    def summary(self) -> str:
        return (
            f"re-encrypted {self.handoffs} handoff(s), {self.notes} staff note(s), "
            f"{self.events} conversation event(s), {self.spooled} spooled handoff(s)"
        )


def rotate_table(engine: sa.engine.Engine, table: sa.Table, columns: Iterable[str]) -> int:
    """Re-encrypt the given columns of every row, BATCH rows per transaction; rows changed."""
    if not sa.inspect(engine).has_table(table.name):
        return 0
    names = list(columns)
    done, last = 0, -1
    while True:
        with engine.begin() as connection:
            rows = (
                connection.execute(
                    sa.select(table).where(table.c.id > last).order_by(table.c.id).limit(BATCH)
                )
                .mappings()
                .all()
            )
            for row in rows:
                values = {name: _renew(row[name]) for name in names if row[name] is not None}
                if values:
                    connection.execute(
                        table.update().where(table.c.id == row["id"]).values(**values)
                    )
                    done += 1
        if not rows:
            return done
        last = int(rows[-1]["id"])


def rotate_spool(spool: Spool) -> int:
    done = 0
    for path in spool.pending():
        try:
            token = path.read_text()
        except FileNotFoundError:
            continue
        temporary = path.with_name(f".{path.name}.{os.getpid()}.rotate.tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(crypto.rotate(token.strip()))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
        done += 1
    return done


def rotate(
    handoff_url: str | None = None,
    tracker_store_url: str | None = None,
    spool_dir: Path | None = None,
) -> Rotated:
    settings = Settings.from_env()
    default_handoffs, default_trackers = store_urls(settings)
    result = Rotated()
    engine = sa.create_engine(handoff_url or default_handoffs, future=True)
    try:
        result.handoffs = rotate_table(
            engine, _table("handoffs", _handoff_columns), _handoff_columns
        )
        result.notes = rotate_table(engine, _table("audit", ("note",)), ("note",))
        attempt_columns = ("next_step", "note")  # migration 0005 (none before it)
        result.notes += rotate_table(
            engine, _table("contact_attempts", attempt_columns), attempt_columns
        )
    finally:
        engine.dispose()
    trackers = tracker_store_url or default_trackers
    if trackers:
        engine = sa.create_engine(trackers, future=True)
        try:
            result.events = rotate_table(engine, _table("events", ("data",)), ("data",))
        finally:
            engine.dispose()
    result.spooled = rotate_spool(Spool(spool_dir or settings.var_dir / "spool"))
    return result


def main() -> int:
    started = time.monotonic()
    try:
        result = rotate()
    except crypto.InvalidToken:
        print(
            "A stored record was encrypted with a key that is not in HANDOFF_KEY: "
            "add the old key after the new one (comma-separated) and run this again."
        )
        return 1
    print(f"{result.summary()} in {time.monotonic() - started:.1f}s")
    return 0
