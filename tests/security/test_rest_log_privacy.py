"""Rasa's REST channel does not write a patient's message to the log when a request fails."""

from __future__ import annotations

import pytest
from rasa.core.channels import rest

import bot.rasa.channels  # noqa: F401 - installs the logger that drops what patients typed


def test_a_cancelled_request_is_logged_without_the_message(
    capsys: pytest.CaptureFixture[str],
) -> None:
    rest.structlogger.error("rest.message.received.timeout", text="Jane Test 216-555-0177")
    rest.structlogger.exception("rest.message.received.failure", text="i want to die")
    out = capsys.readouterr()
    logged = out.out + out.err
    assert "rest.message.received.timeout" in logged
    assert "Jane" not in logged and "555" not in logged and "want to die" not in logged
