"""A patient whose every word is easy to find in raw bytes, for the at-rest tests
(tests/security/test_at_rest.py on SQLite, tests/production/test_replicas.py on PostgreSQL)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from bot.prescreen import engine as eligibility
from tests.conftest import texts

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


def full_prescreen_with_a_question(chat: Callable[[str], list[dict[str, Any]]]) -> tuple[str, str]:
    """A question for the team, then a full likely-eligible prescreen, both shared."""
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
    # The question before gave the details: the prescreen offers to send it with them.
    assert "details you gave before" in texts(chat("Yes, share my answers"))
    return asked, texts(chat("Yes"))
