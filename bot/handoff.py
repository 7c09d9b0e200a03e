"""The handoff store: one durable record per person the study team should contact.

SQLite under var/ by default; PostgreSQL (or any SQLAlchemy URL) when DATABASE_URL is set.
The schema is created and upgraded with Alembic (bot/migrations). Writing is idempotent per
conversation: a retried submission returns the first record. The handoff and its outbox rows
(one per notification channel) are written in one transaction. Contact details are encrypted.
"""

from __future__ import annotations

import json
import os
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError

from bot import crypto
from bot.schema import handoffs, outbox
from bot.settings import Settings

# No 0/O, 1/I/L: easy to read out on the phone.
_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
REFERENCE_LENGTH = 4
MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def default_url(settings: Settings | None = None) -> str:
    url = os.environ.get("DATABASE_URL", "").strip()
    if url:
        return url
    var_dir = Path((settings or Settings()).var_dir)
    var_dir.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{var_dir / 'handoffs.db'}"


def notification_channels() -> list[str]:
    """Channels configured in the environment; each new handoff gets one outbox row each."""
    channels = []
    if os.environ.get("NOTIFY_EMAIL_TO", "").strip():
        channels.append("email")
    if os.environ.get("NOTIFY_WEBHOOK_URL", "").strip():
        channels.append("webhook")
    return channels


def new_reference() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(REFERENCE_LENGTH))


# Alembic's `context` is one module-level proxy per process: two threads migrating at once
# (e.g. two spool drainers each opening a store) would swap configs under each other.
_MIGRATING = threading.Lock()


def migrate(engine: sa.engine.Engine) -> None:
    """Bring the schema to the newest revision (safe from several threads and processes)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    for attempt in range(5):
        try:
            with _MIGRATING, engine.begin() as connection:
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
            return
        except (OperationalError, ProgrammingError, IntegrityError):
            # Another process was migrating at the same moment; its work is then ours too.
            if attempt == 4:
                raise
            time.sleep(0.2 * (attempt + 1))


@dataclass(frozen=True)
class Handoff:
    conversation_id: str
    outcome: str
    answers: dict[str, Any]
    contact: dict[str, Any]
    consent_version: str
    consent_at: str | None = None
    share_consent_at: str | None = None
    kind: str = "prescreen"
    questions: list[str] = field(default_factory=list)
    # [{"who": "patient" | "assistant", "text": ...}] from the start of the prescreen
    transcript: list[dict[str, str]] = field(default_factory=list)


class HandoffStore:
    """Blocking store (SQLAlchemy 1.4 Core); call it from async code via asyncio.to_thread."""

    def __init__(self, url: str | None = None, channels: list[str] | None = None) -> None:
        self.url = url or default_url()
        self.engine = sa.create_engine(self.url, future=True, pool_pre_ping=True)
        self.channels = notification_channels() if channels is None else channels
        migrate(self.engine)

    def submit(self, handoff: Handoff) -> tuple[str, bool]:
        """Store the handoff (and its outbox rows) once; returns (reference, created)."""
        existing = self.reference_for(handoff.conversation_id)
        if existing:
            return existing, False
        for _ in range(20):
            reference = new_reference()
            now = datetime.now(timezone.utc)
            row = {
                "reference": reference,
                "conversation_id": handoff.conversation_id,
                "kind": handoff.kind,
                "outcome": handoff.outcome,
                "status": "new",
                "answers": json.dumps(handoff.answers),
                "questions": json.dumps(handoff.questions),
                "contact": crypto.encrypt(json.dumps(handoff.contact)),
                "transcript": crypto.encrypt(json.dumps(handoff.transcript)),
                "consent_version": handoff.consent_version,
                "consent_at": handoff.consent_at,
                "share_consent_at": handoff.share_consent_at,
                "created_at": now,
                "updated_at": now,
            }
            try:
                with self.engine.begin() as connection:
                    inserted = connection.execute(handoffs.insert().values(**row))
                    handoff_id = inserted.inserted_primary_key[0]
                    for channel in self.channels:
                        connection.execute(
                            outbox.insert().values(
                                handoff_id=handoff_id,
                                channel=channel,
                                status="pending",
                                attempts=0,
                                next_attempt_at=now,
                            )
                        )
                return reference, True
            except IntegrityError:
                existing = self.reference_for(handoff.conversation_id)
                if existing:  # a concurrent retry of the same conversation won
                    return existing, False
                # else: the reference was taken; draw another
        raise RuntimeError("could not allocate a handoff reference")

    def reference_for(self, conversation_id: str) -> str | None:
        with self.engine.connect() as connection:
            found = connection.execute(
                sa.select(handoffs.c.reference).where(handoffs.c.conversation_id == conversation_id)
            ).scalar_one_or_none()
        return str(found) if found else None

    def count(self, conversation_id: str | None = None) -> int:
        query = sa.select(sa.func.count()).select_from(handoffs)
        if conversation_id is not None:
            query = query.where(handoffs.c.conversation_id == conversation_id)
        with self.engine.connect() as connection:
            return int(connection.execute(query).scalar_one())

    def get(self, conversation_id: str) -> dict[str, Any] | None:
        with self.engine.connect() as connection:
            row = (
                connection.execute(
                    sa.select(handoffs).where(handoffs.c.conversation_id == conversation_id)
                )
                .mappings()
                .first()
            )
        return decode(dict(row)) if row is not None else None


def decode(record: dict[str, Any]) -> dict[str, Any]:
    """A handoff row as staff see it: JSON parsed, contact details decrypted."""
    record["answers"] = json.loads(record["answers"])
    record["questions"] = json.loads(record["questions"])
    record["contact"] = json.loads(crypto.decrypt(record["contact"]))
    transcript = record.get("transcript")
    record["transcript"] = json.loads(crypto.decrypt(transcript)) if transcript else []
    return record
