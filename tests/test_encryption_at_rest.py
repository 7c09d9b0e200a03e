"""Encryption at rest without Rasa's servers: the handoff store, the tracker store (SQLite and
the real PostgreSQL), the 0002 -> 0003 migration of plain-text rows, key rotation with several
keys in HANDOFF_KEY (and `python -m bot rotate-key`), and the modes of the files under var/."""

from __future__ import annotations

import asyncio
import json
import os
import stat
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.rasa.tracker_store import EncryptedTrackerStore
from bot.store import crypto, private
from bot.store.handoff import Handoff, HandoffStore
from bot.store.spool import Spool
from bot.web import changes, queries
from tests.stores import migrate_to

ROOT = Path(__file__).resolve().parents[1]
SECRET = "Quintessa Marlowe-Vance"
EMAIL = "quintessa.mv@example.com"
SAID = "my rash started after the hiking trip in Sedona"
QUESTION = "Can my daughter drive me to the Beachwood clinic?"
NOTE = "Left a voicemail about Beachwood parking"
DOMAIN = Domain.from_dict({"slots": {"prescreen": {"type": "any", "mappings": []}}})


def _handoff(conversation: str = "conv-1", submission: str = "s-1") -> Handoff:
    return Handoff(
        conversation_id=conversation,
        outcome="likely_eligible",
        answers={"answers": {"age": 58, "diagnosis": "yes"}, "reasons": {}},
        contact={"name": SECRET, "email": EMAIL},
        consent_version="1",
        questions=[QUESTION],
        transcript=[{"who": "patient", "text": SAID}],
        submission_id=submission,
    )


def _tracker(sender: str = "patient-1") -> DialogueStateTracker:
    tracker = DialogueStateTracker(sender, DOMAIN.slots)
    tracker.update(ActionExecuted("action_listen"))
    tracker.update(UserUttered(SAID, parse_data={"intent": {"name": "inform"}, "text": SAID}))
    tracker.update(SlotSet("prescreen", {"contact": {"name": SECRET, "email": EMAIL}}))
    tracker.update(BotUttered(f"Thank you, {SECRET}."))
    return tracker


def _key(monkeypatch: pytest.MonkeyPatch, *keys: str) -> None:
    monkeypatch.setenv("HANDOFF_KEY", ",".join(keys))


def _raw_column(url: str, query: str) -> list[str]:
    engine = sa.create_engine(url, future=True)
    try:
        with engine.connect() as connection:
            return [str(v) for v in connection.execute(sa.text(query)).scalars()]
    finally:
        engine.dispose()


def _plain_in(values: list[str]) -> list[str]:
    joined = "\n".join(values)
    return [s for s in (SECRET, EMAIL, SAID, QUESTION, NOTE, '"age"') if s in joined]


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    return str(request.getfixturevalue("postgres_url"))


def test_handoff_answers_questions_contact_notes_are_encrypted(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _key(monkeypatch, Fernet.generate_key().decode())
    store = HandoffStore(url, channels=[])
    store.submit(_handoff())
    handoff_id = store.all_for("conv-1")[0]["id"]
    changes.change_status(store.engine, handoff_id, actor="alice", new_status=None, note=NOTE)
    raw = _raw_column(url, "select answers || questions || contact || transcript from handoffs")
    raw += _raw_column(url, "select note from audit")
    assert raw and not _plain_in(raw), _plain_in(raw)
    record = store.get("conv-1")
    assert record is not None and record["contact"]["email"] == EMAIL
    assert record["answers"]["answers"]["age"] == 58 and record["questions"] == [QUESTION]
    assert [e["note"] for e in queries.audit_trail(store.engine, handoff_id)] == [NOTE]
    store.engine.dispose()


def test_tracker_events_are_encrypted_and_read_back(
    url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _key(monkeypatch, Fernet.generate_key().decode())
    trackers = EncryptedTrackerStore(domain=DOMAIN, host=url)
    asyncio.run(trackers.save(_tracker()))
    rows = _raw_column(url, "select data from events")
    assert len(rows) == 4 and all(crypto.is_token(r) for r in rows) and not _plain_in(rows)
    # What Rasa queries stays readable: sender, event kind, intent and action/slot names.
    kinds = _raw_column(url, "select type_name || ':' || coalesce(action_name, '') from events")
    assert kinds == ["action:action_listen", "user:", "slot:prescreen", "bot:"]
    again = asyncio.run(trackers.retrieve("patient-1"))
    assert again is not None and again.latest_message is not None
    assert again.latest_message.text == SAID
    assert again.get_slot("prescreen") == {"contact": {"name": SECRET, "email": EMAIL}}
    trackers.engine.dispose()


def test_a_tracker_written_in_plain_json_before_encryption_is_still_read(tmp_path: Path) -> None:
    db = tmp_path / "tracker.db"
    trackers = EncryptedTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(db))
    event = UserUttered("hello from before", parse_data={"intent": {"name": "greet"}}).as_dict()
    with trackers.engine.begin() as connection:
        connection.execute(
            sa.text(
                "insert into events (sender_id, type_name, timestamp, data)"
                " values ('old', 'user', :t, :d)"
            ),
            {"t": time.time(), "d": json.dumps(event)},
        )
    again = asyncio.run(trackers.retrieve("old"))
    assert again is not None and again.latest_message.text == "hello from before"
    trackers.engine.dispose()


def _upgrade(url: str, revision: str) -> None:
    engine = sa.create_engine(url, future=True)
    migrate_to(engine, revision)
    engine.dispose()


def test_migration_0003_keeps_and_encrypts_existing_rows(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _key(monkeypatch, Fernet.generate_key().decode())
    _upgrade(url, "0002")  # the schema before: one handoff per conversation, answers in plain
    now = datetime.now(timezone.utc)
    engine = sa.create_engine(url, future=True)
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "insert into handoffs (reference, conversation_id, kind, outcome, status,"
                " answers, questions, contact, transcript, consent_version, created_at,"
                " updated_at) values ('OLD1', 'conv-1', 'question', 'question', 'new', '{}',"
                " :questions, :contact, null, '1', :now, :now)"
            ),
            {
                "questions": json.dumps([QUESTION]),
                "contact": crypto.encrypt(json.dumps({"name": SECRET})),
                "now": now,
            },
        )
        connection.execute(
            sa.text(
                "insert into audit (handoff_id, actor, action, note, created_at)"
                " select id, 'alice', 'note', :note, :now from handoffs"
            ),
            {"note": NOTE, "now": now},
        )
    engine.dispose()

    store = HandoffStore(url, channels=[])  # migrates to the newest revision
    raw = _raw_column(url, "select questions from handoffs")
    raw += _raw_column(url, "select note from audit")
    assert all(crypto.is_token(v) for v in raw) and not _plain_in(raw)
    assert _raw_column(url, "select submission_id from handoffs") == ["legacy"]
    old = store.get("conv-1")
    assert old is not None and old["questions"] == [QUESTION] and old["reference"] == "OLD1"
    assert [e["note"] for e in queries.audit_trail(store.engine, old["id"])] == [NOTE]
    # A copy of the old record without a submission id (a spool file from before) is the same
    # one; a new submission of the conversation is a second record, the first one kept.
    assert store.submit(_handoff("conv-1", "")) == ("OLD1", False)
    reference, created = store.submit(_handoff("conv-1", "s-2"))
    assert created and [r["reference"] for r in store.all_for("conv-1")] == ["OLD1", reference]
    store.engine.dispose()


def test_migration_0003_downgrades_to_plain_one_per_conversation(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _key(monkeypatch, Fernet.generate_key().decode())
    store = HandoffStore(url, channels=[])
    store.submit(_handoff("conv-1"))
    store.engine.dispose()
    engine = sa.create_engine(url, future=True)
    migrate_to(engine, "0002", down=True)
    assert json.loads(_raw_column(url, "select questions from handoffs")[0]) == [QUESTION]
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as connection:
        connection.execute(
            sa.text(
                "insert into handoffs (reference, conversation_id, kind, outcome, status,"
                " answers, questions, contact, consent_version, created_at, updated_at)"
                " select 'DUP1', conversation_id, kind, outcome, status, answers, questions,"
                " contact, consent_version, created_at, updated_at from handoffs"
            )
        )
    engine.dispose()
    again = HandoffStore(url, channels=[])  # and up again
    record = again.get("conv-1")
    assert record is not None and record["questions"] == [QUESTION]
    again.engine.dispose()


def test_several_keys_old_records_readable_after_rotation_then_rotate_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    handoff_url = f"sqlite:///{tmp_path / 'handoffs.db'}"
    tracker_db = tmp_path / "rasa_tracker.db"
    _key(monkeypatch, old_key)
    store = HandoffStore(handoff_url, channels=[])
    store.submit(_handoff())
    handoff_id = store.all_for("conv-1")[0]["id"]
    changes.change_status(store.engine, handoff_id, actor="alice", new_status=None, note=NOTE)
    trackers = EncryptedTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(tracker_db))
    asyncio.run(trackers.save(_tracker()))
    spooled = Spool(tmp_path / "spool").put(_handoff("conv-2"))

    # Step 1 of a rotation: the new key first, the old one still there. Everything reads;
    # new records are made with the new key.
    _key(monkeypatch, new_key, old_key)
    record = store.get("conv-1")
    assert record is not None and record["contact"]["name"] == SECRET
    assert Fernet(new_key.encode()).decrypt(crypto.encrypt("x").encode()) == b"x"
    assert asyncio.run(trackers.retrieve("patient-1")) is not None

    # Step 2: re-encrypt everything with the new key (the command an operator runs).
    env = {**os.environ, "VAR_DIR": str(tmp_path), "HANDOFF_KEY": f"{new_key},{old_key}"}
    env.pop("DATABASE_URL", None)
    env.pop("TRACKER_STORE_URL", None)
    env.pop("ASSISTANT_PROFILE", None)
    env["PYTHONPATH"] = str(ROOT)
    done = subprocess.run(
        [sys.executable, "-m", "bot", "rotate-key"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "re-encrypted 1 handoff(s), 1 staff note(s), 4 conversation event(s), 1 spooled" in (
        done.stdout
    ), done.stdout
    assert SECRET not in done.stdout + done.stderr

    # Step 3: the old key dropped. Every record still reads; none can be read with the old key.
    _key(monkeypatch, new_key)
    record = store.get("conv-1")
    assert record is not None and record["contact"]["email"] == EMAIL
    assert [e["note"] for e in queries.audit_trail(store.engine, handoff_id)] == [NOTE]
    tracker = asyncio.run(trackers.retrieve("patient-1"))
    assert tracker is not None and tracker.latest_message.text == SAID
    assert Spool.load(spooled.read_text()).contact["name"] == SECRET
    old = Fernet(old_key.encode())
    tokens = _raw_column(handoff_url, "select contact from handoffs")
    tokens += _raw_column(handoff_url, "select note from audit")
    tokens += _raw_column(f"sqlite:///{tracker_db}", "select data from events")
    tokens.append(spooled.read_text())
    for token in tokens:
        with pytest.raises(InvalidToken):
            old.decrypt(token.encode())
    # And without any key in force that made them, reading fails loudly (never silently).
    _key(monkeypatch, old_key)
    with pytest.raises(InvalidToken):
        crypto.decrypt(tokens[0])
    store.engine.dispose()
    trackers.engine.dispose()


def test_rotate_command_names_a_missing_old_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _key(monkeypatch, Fernet.generate_key().decode())
    store = HandoffStore(f"sqlite:///{tmp_path / 'handoffs.db'}", channels=[])
    store.submit(_handoff())
    store.engine.dispose()
    env = {**os.environ, "VAR_DIR": str(tmp_path), "PYTHONPATH": str(ROOT)}
    env["HANDOFF_KEY"] = Fernet.generate_key().decode()  # the old key forgotten
    env.pop("DATABASE_URL", None)
    env.pop("ASSISTANT_PROFILE", None)
    done = subprocess.run(
        [sys.executable, "-m", "bot", "rotate-key"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 1 and "add the old key" in done.stdout, done.stdout


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_store_files_are_private_from_the_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _key(monkeypatch, Fernet.generate_key().decode())
    old_umask = os.umask(0o022)  # as a default shell leaves it
    try:
        var = tmp_path / "var"
        private.directory(var)
        store = HandoffStore(f"sqlite:///{var / 'handoffs.db'}", channels=[])
        store.submit(_handoff())
        trackers = EncryptedTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(var / "t.db"))
        asyncio.run(trackers.save(_tracker()))  # WAL mode: -wal and -shm exist now
        Spool(var / "spool").put(_handoff("conv-2"))
        assert (var / "t.db-wal").exists() and (var / "t.db-shm").exists()
        found = {p.name: _mode(p) for p in var.rglob("*")}
        assert _mode(var) == 0o700
        for name, mode in found.items():
            expected = 0o700 if (var / name).is_dir() or name == "spool" else 0o600
            assert mode == expected, (name, oct(mode))
        store.engine.dispose()
        trackers.engine.dispose()
    finally:
        os.umask(old_umask)


def test_var_tree_fixes_what_exists(tmp_path: Path) -> None:
    var = tmp_path / "var"
    (var / "log").mkdir(parents=True)
    (var / "log" / "rasa.log").write_text("x")
    (var / "log" / "rasa.log").chmod(0o644)
    var.chmod(0o755)
    private.var_tree(var)
    assert _mode(var) == 0o700 and _mode(var / "log") == 0o700
    assert _mode(var / "log" / "rasa.log") == 0o600
