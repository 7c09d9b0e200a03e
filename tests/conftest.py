"""Shared fixtures: a live bot (real Rasa server + action server) on spare ports."""

from __future__ import annotations

import json
import os
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from bot.settings import Settings
from bot.stack import Stack

Chat = Callable[..., list[dict[str, Any]]]


@pytest.fixture(scope="session")
def live_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(
        rasa_port=int(os.environ.get("TEST_RASA_PORT", "25005")),
        action_port=int(os.environ.get("TEST_ACTION_PORT", "25055")),
        var_dir=tmp_path_factory.mktemp("var"),
    )


@pytest.fixture(scope="session")
def live_bot(live_settings: Settings) -> Iterator[str]:
    """Base URL of a running Rasa server, with its action server, for the whole session."""
    stack = Stack(live_settings)
    stack.start()
    try:
        stack.wait_ready()
        yield live_settings.rasa_url
    finally:
        stack.stop()


def post_message(base_url: str, sender: str, text: str) -> list[dict[str, Any]]:
    request = urllib.request.Request(
        f"{base_url}/webhooks/rest/webhook",
        data=json.dumps({"sender": sender, "message": text}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        assert response.status == 200
        reply: list[dict[str, Any]] = json.loads(response.read())
    return reply


class Conversation:
    """One new patient talking to the live bot; calling it sends a message."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.sender = f"test-{uuid.uuid4().hex[:12]}"
        self.turns = 0

    def __call__(self, text: str) -> list[dict[str, Any]]:
        self.turns += 1
        return post_message(self.base_url, self.sender, text)


@pytest.fixture
def chat(live_bot: str) -> Conversation:
    """Send messages as one new patient; returns the bot's messages for each call."""
    return Conversation(live_bot)


def texts(reply: list[dict[str, Any]]) -> str:
    return " ".join(m.get("text", "") for m in reply)


def button_titles(reply: list[dict[str, Any]]) -> list[str]:
    return [b["title"] for m in reply for b in m.get("buttons", [])]
