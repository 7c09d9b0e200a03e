"""Rasa's HTTP API (trackers, models) is never open without authentication.

The shared live bot runs as `make run` does with RASA_API_TOKEN set (API enabled behind the
token); tests/faults/test_action_server_down.py checks the default (no token: no API at all).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from tests.conftest import RASA_API_TOKEN, Conversation

pytestmark = pytest.mark.live

PATHS = ("/conversations/{sender}/tracker", "/conversations/{sender}/story", "/status", "/domain")


def _status(url: str, headers: dict[str, str] | None = None) -> int:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


@pytest.mark.parametrize("path", PATHS)
def test_refused_without_or_with_a_wrong_token(live_bot: str, path: str) -> None:
    chat = Conversation(live_bot)
    chat("hi")  # a real conversation exists
    url = live_bot + path.format(sender=chat.sender)
    assert _status(url) == 401
    assert _status(f"{url}?token=wrong-{RASA_API_TOKEN}") == 401


def test_open_only_with_the_token(live_bot: str) -> None:
    chat = Conversation(live_bot)
    chat("is there a placebo?")
    url = f"{live_bot}/conversations/{chat.sender}/tracker?token={RASA_API_TOKEN}"
    with urllib.request.urlopen(url, timeout=30) as response:
        tracker = json.loads(response.read())
    assert tracker["sender_id"] == chat.sender


def test_writes_refused_without_the_token(live_bot: str) -> None:
    request = urllib.request.Request(
        f"{live_bot}/conversations/someone/tracker/events",
        data=json.dumps({"event": "slot", "name": "prescreen", "value": None}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(request, timeout=30)
    assert error.value.code == 401
