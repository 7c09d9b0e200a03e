"""The handoff store: one durable record per submission the study team should act on.

SQLite under var/ by default; PostgreSQL (or any SQLAlchemy URL) when DATABASE_URL is set.
The schema is created and upgraded with Alembic (bot/store/migrations).

One conversation may hand over several times (a question, then a prescreen, then another
question): each submission is its own record with its own reference code, linked to the others
by the conversation id. Writing is idempotent per submission: the same submission sent again
(a retry after a crash at submit, a drained spool file, a resent final message) returns the first
record; the key is the submission id the prescreen state carries
(bot.prescreen.dialogue.new_state), or for a record without one a digest of its content. The
handoff and its outbox rows (one per notification channel) are written in one transaction.
Everything the patient typed (answers, questions, contact details, transcript) is encrypted
(bot.store.crypto).
"""

from __future__ import annotations

import hashlib
import json
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

from bot import content
from bot.ops.settings import Settings
from bot.staff import funnel
from bot.store import crypto, private, search
from bot.store.schema import handoffs, outbox

# No 0/O, 1/I/L: easy to read out on the phone.
_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
REFERENCE_LENGTH = 4
LEGACY = "legacy"  # the submission id migration 0003 gave the records made before it
MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def default_url(settings: Settings | None = None) -> str:
    """DATABASE_URL, else SQLite var/handoffs.db (its folder made private)."""
    settings = settings or Settings.from_env()
    if settings.database_url:
        return settings.database_url
    var_dir = Path(settings.var_dir)
    private.directory(var_dir)
    return f"sqlite:///{var_dir / 'handoffs.db'}"


def new_reference() -> str:
    """A short code staff can read out; always with a letter, so /staff/handoffs/<code> can
    never be taken for a record's numeric id."""
    while True:
        code = "".join(secrets.choice(_ALPHABET) for _ in range(REFERENCE_LENGTH))
        if not code.isdigit():
            return code


# Alembic's `context` is one module-level proxy per process: two threads migrating at once
# (e.g. two spool drainers each opening a store) would swap configs under each other.
_MIGRATING = threading.Lock()


def migrations_config() -> Config:
    """Alembic's config for the store's migrations (bot/store/migrations)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def migrate(engine: sa.engine.Engine) -> None:
    """Bring the schema to the newest revision (safe from several threads and processes)."""
    config = migrations_config()
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
    # Random id of this prescreen or question (its state's "submission"); "" = from content.
    submission_id: str = ""
    # The trial it is about (trial.yml nct_id); "": the default trial's, filled in when the
    # record is stored (a spooled handoff from before 0007, a caller serving one trial).
    trial: str = ""

    def key(self) -> str:
        """What makes two submissions the same one (the store keeps each key once)."""
        if self.submission_id:
            return self.submission_id[:64]
        content = json.dumps(
            [
                self.kind,
                self.outcome,
                self.answers,
                self.questions,
                self.contact,
                self.consent_version,
                self.consent_at,
                self.share_consent_at,
            ],
            sort_keys=True,
            default=str,
        )
        return "c-" + hashlib.sha256(content.encode()).hexdigest()[:40]


def seal(value: Any) -> str:
    """JSON, encrypted (bot.store.crypto)."""
    return crypto.encrypt(json.dumps(value))


def unseal(stored: str | None, default: Any) -> Any:
    """Parse a sealed value; plain JSON written before migration 0003 is still read."""
    if not stored:
        return default
    return json.loads(crypto.decrypt(stored) if crypto.is_token(stored) else stored)


def _sqlite_path(url: str) -> Path | None:
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        return None
    if parsed.database == ":memory:":
        return None
    return Path(parsed.database)


def open_engine(url: str) -> sa.engine.Engine:
    """The engine of the handoff database at url (a new SQLite file is made private first)."""
    database = _sqlite_path(url)
    if database is not None and database.parent.is_dir():
        private.sqlite_files(database)  # 0600 before SQLite first creates it
    return sa.create_engine(url, future=True, pool_pre_ping=True)


class HandoffStore:
    """Blocking store (SQLAlchemy 1.4 Core); call it from async code via asyncio.to_thread."""

    def __init__(
        self,
        url: str | None = None,
        channels: list[str] | None = None,
        *,
        engine: sa.engine.Engine | None = None,
        settings: Settings | None = None,
    ) -> None:
        """url: the database (default: default_url(settings)); engine: one already made for it
        (the web process shares its one engine), else the store makes its own; channels: the
        notification channels (default: those settings configure). The encryption and search
        keys are the process environment's, never settings' (bot.store.crypto.same_keys)."""
        if settings is not None:
            crypto.same_keys(settings)
        settings = settings or Settings.from_env()
        if engine is None:
            self.url = url or default_url(settings)
            engine = open_engine(self.url)
        else:
            self.url = engine.url.render_as_string(hide_password=False)
        self.engine = engine
        self.channels = settings.channels if channels is None else channels
        migrate(self.engine)
        search.index_missing(self.engine)

    def submit(self, handoff: Handoff) -> tuple[str, bool]:
        """Store the handoff (and its outbox rows) once per submission; (reference, created)."""
        key = handoff.key()
        existing = self._reference(handoff.conversation_id, key)
        if not existing and not handoff.submission_id:
            # Made before submission ids (e.g. a spool file from before migration 0003): the
            # store was then one handoff per conversation, so a "legacy" record is this one.
            existing = self._reference(handoff.conversation_id, LEGACY)
        if existing:
            return existing, False
        for _ in range(20):
            reference = new_reference()
            now = datetime.now(timezone.utc)
            row = {
                "reference": reference,
                "conversation_id": handoff.conversation_id,
                "submission_id": key,
                "kind": handoff.kind,
                "outcome": handoff.outcome,
                "status": "new",
                "answers": seal(handoff.answers),
                "questions": seal(handoff.questions),
                "contact": seal(handoff.contact),
                "transcript": seal(handoff.transcript),
                "consent_version": handoff.consent_version,
                "consent_at": handoff.consent_at,
                "share_consent_at": handoff.share_consent_at,
                "trial": (handoff.trial or content.default_nct_id())[:32],
                "created_at": now,
                "updated_at": now,
            }
            try:
                with self.engine.begin() as connection:
                    inserted = connection.execute(handoffs.insert().values(**row))
                    handoff_id = inserted.inserted_primary_key[0]
                    search.index(connection, handoff_id, handoff.contact)
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
                funnel.recorder(self.url).record("shared", handoff.kind)
                return reference, True
            except IntegrityError:
                existing = self._reference(handoff.conversation_id, key)
                if existing:  # a concurrent retry of the same submission won
                    return existing, False
                # else: the reference was taken; draw another
        raise RuntimeError("could not allocate a handoff reference")

    def _reference(self, conversation_id: str, key: str) -> str | None:
        with self.engine.connect() as connection:
            found = connection.execute(
                sa.select(handoffs.c.reference).where(
                    handoffs.c.conversation_id == conversation_id,
                    handoffs.c.submission_id == key,
                )
            ).scalar_one_or_none()
        return str(found) if found else None

    def reference_for(self, conversation_id: str) -> str | None:
        """The newest reference of the conversation (None: nothing handed over)."""
        with self.engine.connect() as connection:
            found = connection.execute(
                sa.select(handoffs.c.reference)
                .where(handoffs.c.conversation_id == conversation_id)
                .order_by(handoffs.c.id.desc())
                .limit(1)
            ).scalar_one_or_none()
        return str(found) if found else None

    def count(self, conversation_id: str | None = None) -> int:
        query = sa.select(sa.func.count()).select_from(handoffs)
        if conversation_id is not None:
            query = query.where(handoffs.c.conversation_id == conversation_id)
        with self.engine.connect() as connection:
            return int(connection.execute(query).scalar_one())

    def all_for(self, conversation_id: str) -> list[dict[str, Any]]:
        """Every handoff of one conversation, oldest first, decoded."""
        with self.engine.connect() as connection:
            rows = (
                connection.execute(
                    sa.select(handoffs)
                    .where(handoffs.c.conversation_id == conversation_id)
                    .order_by(handoffs.c.id)
                )
                .mappings()
                .all()
            )
        return [decode(dict(row)) for row in rows]

    def get(self, conversation_id: str) -> dict[str, Any] | None:
        """The newest handoff of the conversation, decoded."""
        found = self.all_for(conversation_id)
        return found[-1] if found else None


def decode(record: dict[str, Any]) -> dict[str, Any]:
    """A handoff row as staff see it: decrypted and parsed."""
    record["answers"] = unseal(record["answers"], {})
    record["questions"] = unseal(record["questions"], [])
    record["contact"] = unseal(record["contact"], {})
    record["transcript"] = unseal(record.get("transcript"), [])
    return record
