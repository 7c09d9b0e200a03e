"""A prescreen survives a restart of the Rasa and action servers (SQLite tracker store)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import Settings
from bot.stack import Stack
from tests.conftest import post_message, texts

pytestmark = pytest.mark.live


def test_prescreen_resumes_after_restart(tmp_path: Path) -> None:
    settings = Settings(rasa_port=25105, action_port=25155, web_port=25180, var_dir=tmp_path)
    sender = "restart-test"
    stack = Stack(settings)
    stack.start()
    try:
        stack.wait_ready()
        post_message(settings.rasa_url, sender, "can I join?")
        post_message(settings.rasa_url, sender, "Yes, let's start")
        reply = texts(post_message(settings.rasa_url, sender, "52"))
        assert "dermatomyositis?" in reply
    finally:
        stack.stop()
    assert (tmp_path / "rasa_tracker.db").exists()

    stack = Stack(settings)
    stack.start()
    try:
        stack.wait_ready()
        # The next answer is read as the answer to the question asked before the restart.
        reply = texts(post_message(settings.rasa_url, sender, "yes"))
        assert "biopsy" in reply, reply
    finally:
        stack.stop()
