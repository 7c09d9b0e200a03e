"""The socket.io channel binds a conversation to a signed session token issued by our channel
(bot/rasa/session_token.py): knowing someone's session id is not enough to read or write their
conversation. Against the live bot, with real socket.io clients (websocket transport, as the
widget uses)."""

from __future__ import annotations

import asyncio
import base64
import os
from collections.abc import AsyncIterator
from typing import Any

import pytest
import socketio

from bot.rasa.session_token import SessionTokens, key_from_env

QUIET = 3.0  # seconds a client listens to show that nothing arrives


class Client:
    def __init__(self) -> None:
        self.sio = socketio.AsyncClient(reconnection=False)
        self.replies: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.confirms: asyncio.Queue[dict[str, str]] = asyncio.Queue()
        self.refused: asyncio.Queue[object] = asyncio.Queue()
        self.sio.on("bot_uttered", self.replies.put_nowait)
        self.sio.on("session_confirm", self.confirms.put_nowait)
        self.sio.on("session_refused", self.refused.put_nowait)

    async def connect(self, url: str) -> None:
        await self.sio.connect(url, transports=["websocket"], socketio_path="/socket.io")

    async def session(self, **request: str) -> dict[str, str]:
        await self.sio.emit("session_request", request)
        return await asyncio.wait_for(self.confirms.get(), 30)

    async def say(self, text: str, **session: str) -> list[str]:
        await self.sio.emit("user_uttered", {"message": text, **session})
        got = [await asyncio.wait_for(self.replies.get(), 60)]
        while True:
            try:
                got.append(await asyncio.wait_for(self.replies.get(), 1.5))
            except asyncio.TimeoutError:
                return [str(m.get("text", "")) for m in got]

    async def silent(self) -> bool:
        """True if no bot message arrives for QUIET seconds."""
        try:
            await asyncio.wait_for(self.replies.get(), QUIET)
        except asyncio.TimeoutError:
            return True
        return False


@pytest.fixture
async def clients(live_bot: str) -> AsyncIterator[list[Client]]:
    made: list[Client] = []

    async def connect() -> Client:
        client = Client()
        await client.connect(live_bot)
        made.append(client)
        return client

    yield [await connect(), await connect(), await connect()]
    for client in made:
        await client.sio.disconnect()


pytestmark = pytest.mark.live


async def test_a_known_session_id_neither_reads_nor_writes(clients: list[Client]) -> None:
    alice, mallory, reload = clients
    mine = await alice.session()
    assert set(mine) == {"session_id", "token"} and len(mine["session_id"]) == 32
    assert "2 minutes" in " ".join(await alice.say("can I join the study?", **mine))

    # Mallory knows Alice's id. Asking for it without the token gives a new, empty session.
    theirs = await mallory.session(session_id=mine["session_id"])
    assert theirs["session_id"] != mine["session_id"]
    forged = await mallory.session(session_id=mine["session_id"], token=theirs["token"])
    assert forged["session_id"] != mine["session_id"]
    # Writing into Alice's conversation: no token, a wrong token, her own valid token.
    for attempt in (
        {"session_id": mine["session_id"]},
        {"session_id": mine["session_id"], "token": "x" * 43},
        {"session_id": mine["session_id"], "token": forged["token"]},
    ):
        await mallory.sio.emit("user_uttered", {"message": "Yes, let's start", **attempt})
        await asyncio.wait_for(mallory.refused.get(), 30)
    assert await mallory.silent() and await alice.silent()

    # Alice's conversation is untouched: it is still waiting for "let's start".
    assert "How old are you?" in " ".join(await alice.say("Yes, let's start", **mine))
    assert await mallory.silent()  # and Mallory heard none of Alice's replies

    # A reload (a new connection with the id and token kept in sessionStorage) continues it.
    again = await reload.session(**mine)
    assert again == mine
    assert "dermatomyositis?" in " ".join(await reload.say("52", **mine))
    # Mallory's own session works as usual.
    assert "2 minutes" in " ".join(await mallory.say("can I join the study?", **forged))


def test_tokens_sign_verify_and_key(monkeypatch: pytest.MonkeyPatch) -> None:
    tokens = SessionTokens(os.urandom(32))
    session_id, token = tokens.issue()
    assert tokens.valid(session_id, token)
    assert not tokens.valid(session_id + "0", token)
    assert not tokens.valid(session_id, token[:-1] + ("A" if token[-1] != "A" else "B"))
    assert not tokens.valid(session_id, None) and not tokens.valid(None, token)
    assert not SessionTokens(os.urandom(32)).valid(session_id, token)  # another key
    key = base64.urlsafe_b64encode(os.urandom(32)).decode()
    monkeypatch.setenv("CHAT_SESSION_KEY", key)
    assert key_from_env() == base64.urlsafe_b64decode(key)
    monkeypatch.delenv("CHAT_SESSION_KEY")
    monkeypatch.setenv("HANDOFF_KEY", "some handoff key")
    derived = key_from_env()
    assert derived == key_from_env() and len(derived) == 32  # the same in every replica
    assert b"some handoff key" not in derived
