"""The 911 / 988 answer does not wait for the action server: frozen mid-prescreen (SIGSTOP),
a crisis message is still answered at once, and the prescreen goes on once it is back."""

from __future__ import annotations

import os
import signal
import time

import pytest

from bot.ops.stack import Stack
from tests.conftest import Conversation, button_titles, texts

pytestmark = pytest.mark.live


def test_crisis_answered_at_once_while_the_action_server_is_frozen(sqlite_stack: Stack) -> None:
    chat = Conversation(sqlite_stack.settings.rasa_url)
    assert "2 minutes" in texts(chat("can I join the study?"))
    assert "How old are you?" in texts(chat("Yes, let's start"))
    process = sqlite_stack.service("action server").process
    assert process is not None
    os.killpg(process.pid, signal.SIGSTOP)
    try:
        start = time.monotonic()
        reply = chat("i have been saving up my pills")
        took = time.monotonic() - start
    finally:
        os.killpg(process.pid, signal.SIGCONT)
    assert reply[0]["text"].startswith("Please call or text 988 now"), reply
    assert button_titles(reply) == ["I'm safe, go on", "Stop for now"]
    assert took < 5, f"the 988 answer took {took:.1f} s"
    # Back: the same question, and the next answer counts.
    assert "How old are you?" in texts(chat("/safety_resume"))
    assert "Question 2 of" in texts(chat("52"))
