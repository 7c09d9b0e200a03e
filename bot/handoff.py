"""The handoff store: one durable record per patient who agreed to be contacted by staff.

SQLite under var/ by default; PostgreSQL (or any SQLAlchemy URL) when DATABASE_URL is set.
Writing is idempotent per conversation: a retried submission returns the first record.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from bot.settings import Settings

# No 0/O, 1/I/L: easy to read out on the phone.
_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
REFERENCE_LENGTH = 4

metadata = sa.MetaData()
handoffs = sa.Table(
    "handoffs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("reference", sa.String(12), nullable=False, unique=True),
    sa.Column("conversation_id", sa.String(255), nullable=False, unique=True),
    sa.Column("outcome", sa.String(32), nullable=False),
    sa.Column("status", sa.String(32), nullable=False, default="new"),
    sa.Column("answers", sa.Text, nullable=False),
    sa.Column("contact", sa.Text, nullable=False),
    sa.Column("consent_version", sa.String(32), nullable=False),
    sa.Column("consent_at", sa.String(40), nullable=True),
    sa.Column("share_consent_at", sa.String(40), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)


def default_url(settings: Settings | None = None) -> str:
    url = os.environ.get("DATABASE_URL", "").strip()
    if url:
        return url
    var_dir = (settings or Settings()).var_dir
    Path(var_dir).mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{Path(var_dir) / 'handoffs.db'}"


def new_reference() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(REFERENCE_LENGTH))


@dataclass(frozen=True)
class Handoff:
    conversation_id: str
    outcome: str
    answers: dict[str, Any]
    contact: dict[str, Any]
    consent_version: str
    consent_at: str | None = None
    share_consent_at: str | None = None


class HandoffStore:
    """Blocking store (SQLAlchemy 1.4 Core); call it from async code via asyncio.to_thread."""

    def __init__(self, url: str | None = None) -> None:
        self.url = url or default_url()
        self.engine = sa.create_engine(self.url, future=True, pool_pre_ping=True)
        metadata.create_all(self.engine)

    def submit(self, handoff: Handoff) -> tuple[str, bool]:
        """Store the handoff once; returns (reference, created)."""
        existing = self.reference_for(handoff.conversation_id)
        if existing:
            return existing, False
        for _ in range(20):
            reference = new_reference()
            row = {
                "reference": reference,
                "conversation_id": handoff.conversation_id,
                "outcome": handoff.outcome,
                "status": "new",
                "answers": json.dumps(handoff.answers),
                "contact": json.dumps(handoff.contact),
                "consent_version": handoff.consent_version,
                "consent_at": handoff.consent_at,
                "share_consent_at": handoff.share_consent_at,
                "created_at": datetime.now(timezone.utc),
            }
            try:
                with self.engine.begin() as connection:
                    connection.execute(handoffs.insert().values(**row))
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
        if row is None:
            return None
        record = dict(row)
        record["answers"] = json.loads(record["answers"])
        record["contact"] = json.loads(record["contact"])
        return record
