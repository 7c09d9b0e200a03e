"""Malformed REST webhook calls are refused with a 400 (stock Rasa: a 500, silence, or one
conversation shared by every caller without a sender); well-formed ones still get replies."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from typing import Any

import pytest

from tests.conftest import post_message, texts

pytestmark = pytest.mark.live


def post_raw(base_url: str, body: bytes) -> tuple[int, Any]:
    request = urllib.request.Request(
        f"{base_url}/webhooks/rest/webhook",
        data=body,
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


@pytest.mark.parametrize(
    "body",
    [
        b"[]",
        b'"hello"',
        b"null",
        b'{"message": "is there a placebo?"}',
        b'{"sender": null, "message": "hi"}',
        b'{"sender": "   ", "message": "hi"}',
        b'{"sender": 7, "message": "hi"}',
        json.dumps({"sender": "x" * 129, "message": "hi"}).encode(),
        b'{"sender": "s1", "message": 5}',
        b'{"sender": "s1", "message": ["x"]}',
        b'{"sender": "s1"}',
    ],
)
def test_malformed_calls_are_refused_with_400(live_bot: str, body: bytes) -> None:
    status, reply = post_raw(live_bot, body)
    assert status == 400
    assert isinstance(reply, dict) and reply["error"]


def test_well_formed_call_still_answered(live_bot: str) -> None:
    reply = post_message(live_bot, f"ok-{uuid.uuid4().hex[:8]}", "is there a placebo?")
    assert "placebo" in texts(reply).lower()


def test_channel_health_route_unaffected(live_bot: str) -> None:
    with urllib.request.urlopen(f"{live_bot}/webhooks/rest/", timeout=10) as response:
        assert response.status == 200
        assert json.loads(response.read()) == {"status": "ok"}
