"""The Rasa server dies (SIGKILL) mid-prescreen and is started again: the conversation resumes
where it was, because it lives in the persistent tracker store (SQLite in VAR_DIR)."""

from __future__ import annotations

import urllib.error

import pytest

from bot.stack import Stack
from tests.conftest import Conversation, texts

pytestmark = pytest.mark.live


def test_prescreen_resumes_after_a_rasa_crash(sqlite_stack: Stack) -> None:
    chat = Conversation(sqlite_stack.settings.rasa_url)
    other = Conversation(sqlite_stack.settings.rasa_url)
    assert "2 minutes" in texts(chat("can I join the study?"))
    assert "How old are you?" in texts(chat("Yes, let's start"))
    assert "dermatomyositis?" in texts(chat("52"))
    assert "2 minutes" in texts(other("can I join the study?"))

    sqlite_stack.kill("Rasa server")
    with pytest.raises((urllib.error.URLError, ConnectionError)):
        chat("yes")
    sqlite_stack.restart("Rasa server")

    # The next answer is read as the answer to the question asked before the crash.
    assert "biopsy" in texts(chat("yes"))
    assert "How old are you?" in texts(other("Yes, let's start"))  # and every other patient's
    assert (sqlite_stack.settings.var_dir / "rasa_tracker.db").exists()
