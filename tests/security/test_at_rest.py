"""Nothing a patient typed is on the disk in plain text: after a question and a full prescreen
with the live bot (default profile, SQLite), the raw bytes of the conversation store
(`rasa_tracker.db` and its WAL) and the handoff store hold none of the patient's name, email,
phone, answers or question; var/ is 0700 and every file in it 0600. The same check for the
production profile's PostgreSQL is in tests/production/test_replicas.py (a raw pg_dump)."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from bot import eligibility
from bot.handoff import HandoffStore
from bot.settings import Settings
from tests.conftest import Conversation, texts

pytestmark = pytest.mark.live

NAME = "Philippa Thornquist"
EMAIL = "philippa.thornquist@example.com"
PHONE = "216-555-0183"
BEST_TIME = "Tuesday evenings after supper"
QUESTION = "Could my neighbour Rosalind drive me to the Beachwood visits?"
AGE = "I am 63 years old"
DIAGNOSIS = "yes, my rheumatologist confirmed it in 2019"


def secrets_to_find() -> list[bytes]:
    """Each secret as plain UTF-8 and as it would look inside JSON; the answers as JSON keys."""
    plain = [NAME, EMAIL, PHONE, "2165550183", BEST_TIME, QUESTION, AGE, DIAGNOSIS]
    found = [s.encode() for s in plain]
    found += [json.dumps(s).encode() for s in plain]
    found += [json.dumps(s, ensure_ascii=False)[1:-1].encode() for s in plain]
    # The answers themselves as stored in the prescreen slot and the handoff: {"age": 63, ...}
    found += [f'"{c.id}"'.encode() for c in eligibility.load_criteria()]
    found += [b"Rosalind", b"Thornquist", b"rheumatologist"]
    return found


def full_prescreen_with_a_question(chat: Conversation) -> tuple[str, str]:
    assert "ask the study team" in texts(chat("I want to talk to a real person"))
    assert "May I share" in texts(chat(QUESTION))
    chat("Yes, pass it on")
    chat(NAME)
    chat(f"{EMAIL} or {PHONE}")
    asked = texts(chat(BEST_TIME))
    assert "2 minutes" in texts(chat("can I join the study?"))
    assert "How old are you?" in texts(chat("Yes, let's start"))
    assert "Question 2 of" in texts(chat(AGE))
    assert "Question 3 of" in texts(chat(DIAGNOSIS))
    for answer in ["Yes"] * 7 + ["Does not apply"]:
        reply = texts(chat(answer))
    assert "may be a good fit" in reply, reply
    chat("Yes, share my answers")
    chat(NAME)
    chat(f"{EMAIL} or {PHONE}")
    return asked, texts(chat(BEST_TIME))


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
