"""The action server dies mid-prescreen: the patient gets a short apology, never silence; after
a restart the conversation goes on where it was and the handoff is stored once."""

from __future__ import annotations

import asyncio
import socket
import urllib.error
import urllib.request

import pytest

from bot.ops.stack import Stack
from bot.safety.replies import no_reply
from bot.store.handoff import HandoffStore
from tests.conftest import Conversation, texts, widget_session
from tests.faults.conftest import ELIGIBLE_BUTTONS, EMAIL, NAME

pytestmark = pytest.mark.live

APOLOGY = no_reply()


def test_apology_then_resume_then_one_handoff(sqlite_stack: Stack) -> None:
    chat = Conversation(sqlite_stack.settings.rasa_url)
    assert "2 minutes" in texts(chat("can I join the study?"))
    assert "How old are you?" in texts(chat("Yes, let's start"))
    assert "dermatomyositis?" in texts(chat("52"))

    sqlite_stack.kill("action server")
    reply = chat("yes")
    assert [m.get("text") for m in reply] == [APOLOGY]
    assert [m.get("text") for m in chat("yes")] == [APOLOGY]  # again, while it is down
    sqlite_stack.restart("action server")

    # The lost answers are asked again: the prescreen is still at question 2.
    assert "biopsy" in texts(chat("yes"))
    for answer in ELIGIBLE_BUTTONS[2:]:
        chat(answer)
    assert "contact you" in texts(chat("Yes, share my answers"))
    chat(NAME)
    assert "best time" in texts(chat(EMAIL))

    # Down again at the very moment of submitting: apology, then the retry stores it once.
    sqlite_stack.kill("action server")
    assert [m.get("text") for m in chat("weekday mornings")] == [APOLOGY]
    sqlite_stack.restart("action server")
    done = texts(chat("weekday mornings"))
    store = HandoffStore(f"sqlite:///{sqlite_stack.settings.var_dir / 'handoffs.db'}", [])
    try:
        reference = store.reference_for(chat.sender)
        assert reference is not None and reference in done, done
        assert store.count(chat.sender) == 1
        chat("weekday mornings")  # a stray repeat after the end stores nothing new
        assert store.count(chat.sender) == 1
    finally:
        store.engine.dispose()


def test_other_conversations_unaffected_after_restart(sqlite_stack: Stack) -> None:
    chat = Conversation(sqlite_stack.settings.rasa_url)
    assert "placebo" in texts(chat("is there a placebo?")).lower()


def test_rasa_http_api_is_off_without_a_token(sqlite_stack: Stack) -> None:
    """`make run` without RASA_API_TOKEN: no tracker endpoint at all."""
    url = f"{sqlite_stack.settings.rasa_url}/conversations/someone/tracker"
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(url, timeout=10)
    assert error.value.code == 404


async def test_socketio_channel_apologises_too(sqlite_stack: Stack) -> None:
    """The website widget's channel (socket.io) gets the same apology, then goes on."""
    async with widget_session(sqlite_stack.settings.rasa_url) as chat:

        async def say(text: str) -> list[str]:
            # the rest of this turn's messages follow at once
            return [str(m.get("text", "")) for m in await chat.say(text, quiet=1.5)]

        assert "2 minutes" in " ".join(await say("can I join the study?"))
        assert "How old are you?" in " ".join(await say("Yes, let's start"))
        await asyncio.to_thread(sqlite_stack.kill, "action server")
        assert await say("52") == [APOLOGY]
        await asyncio.to_thread(sqlite_stack.restart, "action server")
        assert "dermatomyositis?" in " ".join(await say("52"))


def test_every_service_listens_on_bind_host_only(sqlite_stack: Stack) -> None:
    """BIND_HOST is 127.0.0.1: no service (the action server included) answers on another
    address of this machine, so nobody else can call actions and write handoffs."""
    s = sqlite_stack.settings
    for port in (s.rasa_port, s.action_port, s.web_port):
        with socket.create_connection(("127.0.0.1", port), timeout=5):
            pass
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.2", port), timeout=5).close()
