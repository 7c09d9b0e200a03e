"""Nothing a patient typed is on the disk in plain text: after a question and a full prescreen
with the live bot (default profile, SQLite), the raw bytes of the conversation store
(`rasa_tracker.db` and its WAL) and the handoff store hold none of the patient's name, email,
phone, answers or question; var/ is 0700 and every file in it 0600. The same check for the
production profile's PostgreSQL is in tests/production/test_replicas.py (a raw pg_dump)."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from bot.ops.settings import Settings
from bot.store.handoff import HandoffStore
from tests.at_rest import EMAIL, NAME, QUESTION, full_prescreen_with_a_question, secrets_to_find
from tests.conftest import Conversation

pytestmark = pytest.mark.live


def test_raw_sqlite_files_hold_no_patient_text_and_are_private(
    chat: Conversation, live_settings: Settings
) -> None:
    asked, shared = full_prescreen_with_a_question(chat)
    var = Path(live_settings.var_dir)
    store = HandoffStore(f"sqlite:///{var / 'handoffs.db'}", channels=[])
    try:
        records = store.all_for(chat.sender)
    finally:
        store.engine.dispose()
    # The data is really there (decrypted through the store) ...
    assert [r["kind"] for r in records] == ["question", "prescreen"]
    assert records[0]["reference"] in asked and records[1]["reference"] in shared
    assert records[0]["questions"] == [QUESTION] and records[1]["contact"]["name"] == NAME
    assert records[1]["contact"]["email"] == EMAIL and records[1]["answers"]["answers"]["age"]
    # ... and the conversation is in the tracker files (its id is stored in clear, to index).
    files = [p for p in var.glob("*.db*") if p.is_file()]
    names = {p.name for p in files}
    assert {"rasa_tracker.db", "handoffs.db"} <= names, names
    tracker_bytes = b"".join(p.read_bytes() for p in files if p.name.startswith("rasa_tracker.db"))
    assert chat.sender.encode() in tracker_bytes
    for path in files:
        raw = path.read_bytes()
        leaked = [s for s in secrets_to_find() if s in raw]
        assert not leaked, (path.name, leaked)
    # var/ is 0700; every file and folder under it is private (stores, WAL, logs, spool).
    assert stat.S_IMODE(var.stat().st_mode) == 0o700
    for path in var.rglob("*"):
        mode = stat.S_IMODE(path.lstat().st_mode)
        assert mode == (0o700 if path.is_dir() else 0o600), (str(path), oct(mode))
