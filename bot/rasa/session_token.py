"""Socket.io conversations bound to a signed session token issued by our channel.

Stock Rasa 3.6 (session_persistence on) lets any client name any session id: `session_request
{session_id}` joins that conversation's room (and so receives its bot messages) and
`user_uttered {session_id}` writes into it. Knowing an id was enough to read and write someone
else's conversation. Here:

- `session_request {session_id, token}` with a token that our key signed for that id continues
  that conversation (a reload, a reconnect, a second replica); anything else (no id, an id
  without its token, a wrong token) gets a NEW random session id and its token. The reply is
  `session_confirm {session_id, token}`, to this connection only.
- every `user_uttered {message, session_id, token}` is checked: the token must be valid for the
  id, and the connection must have been confirmed for that id; otherwise the message is dropped
  (and `session_refused` is emitted to that connection only).

Key: CHAT_SESSION_KEY (urlsafe base64, made once into .env by `make run`), else derived from
HANDOFF_KEY, so every Rasa replica and every restart accepts the same tokens. With neither, a
random key per process (a reload after a restart then starts a new conversation).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import inspect
import json
import logging
import secrets
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.socketio import SocketIOInput, SocketIOOutput

from bot import safety
from bot.ops.settings import Settings
from bot.safety import replies

log = logging.getLogger(__name__)

Handler = Callable[[UserMessage], Awaitable[Any]]
CONTEXT = b"socket.io session token v1:"
MAX_ID_LENGTH = 64


def key_from_env(settings: Settings | None = None) -> bytes:
    """CHAT_SESSION_KEY, else one derived from HANDOFF_KEY; called once when Rasa builds the
    socket.io channel (its entry here: Rasa starts the channel, not our code)."""
    settings = settings or Settings.from_env()
    raw = settings.chat_session_key
    if raw:
        return base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
    handoff_key = settings.handoff_key
    if handoff_key:  # a separate key for this one purpose, derived from the handoff key
        return hmac.new(handoff_key.encode(), b"chat session key", hashlib.sha256).digest()
    log.warning("no CHAT_SESSION_KEY or HANDOFF_KEY: chat sessions end when Rasa restarts")
    return secrets.token_bytes(32)


class SessionTokens:
    def __init__(self, key: bytes) -> None:
        if len(key) < 16:
            raise ValueError("the chat session key must be at least 16 bytes")
        self.key = key

    def sign(self, session_id: str) -> str:
        digest = hmac.new(self.key, CONTEXT + session_id.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

    def issue(self) -> tuple[str, str]:
        """A new random session id and its token."""
        session_id = uuid.uuid4().hex
        return session_id, self.sign(session_id)

    def valid(self, session_id: object, token: object) -> bool:
        if not isinstance(session_id, str) or not isinstance(token, str):
            return False
        if not session_id or len(session_id) > MAX_ID_LENGTH or len(token) > 100:
            return False
        return hmac.compare_digest(self.sign(session_id).encode(), token.encode())


async def _maybe_await(result: object) -> None:
    if inspect.isawaitable(result):  # python-socketio >= 5.10 made room calls coroutines
        await result


async def _safety_answer_only(sio: Any, event: str, sid: str, text: object) -> None:
    """A refused message still gets the 911 / 988 answer if it needs one: to this connection
    only, revealing nothing of any conversation, and nothing else is done with it."""
    verdict = safety.assess(text) if isinstance(text, str) else None
    reply = replies.safety(verdict.kind) if verdict is not None and verdict.kind else None
    if reply is not None:
        output = SocketIOOutput(sio, event)
        await output.send_text_with_buttons(sid, reply["text"], reply["buttons"])


def bind_sessions(
    channel: SocketIOInput, on_new_message: Handler, tokens: SessionTokens | None = None
) -> None:
    """Replace the stock channel's session_request and message handlers (after its blueprint
    was built, so channel.sio exists) with ones that issue and check session tokens."""
    sio = channel.sio
    if sio is None:
        raise RuntimeError("build the socket.io blueprint first")
    tokens = tokens or SessionTokens(key_from_env())
    namespace = channel.namespace
    bound: dict[str, str] = {}  # connection (sid) -> the session id confirmed on it

    async def session_request(sid: str, data: Any) -> None:
        data = data if isinstance(data, dict) else {}
        session_id, token = data.get("session_id"), data.get("token")
        if not tokens.valid(session_id, token):
            if session_id:
                log.info("socket.io session request without a valid token: new session")
            session_id, token = tokens.issue()
        previous = bound.get(sid)
        if previous and previous != session_id:
            await _maybe_await(sio.leave_room(sid, previous, namespace=namespace))
        bound[sid] = str(session_id)
        await _maybe_await(sio.enter_room(sid, session_id, namespace=namespace))
        await sio.emit(
            "session_confirm", {"session_id": session_id, "token": token}, room=sid,
            namespace=namespace,
        )  # fmt: skip

    async def handle_message(sid: str, data: Any) -> None:
        data = data if isinstance(data, dict) else {}
        session_id = data.get("session_id")
        if bound.get(sid) != session_id or not tokens.valid(session_id, data.get("token")):
            log.warning("socket.io message refused: no valid session token on this connection")
            await sio.emit("session_refused", {}, room=sid, namespace=namespace)
            await _safety_answer_only(sio, channel.bot_message_evt, sid, data.get("message"))
            return
        metadata = data.get(channel.metadata_key, {})
        if isinstance(metadata, str):
            try:
                metadata = json.loads(metadata)
            except ValueError:
                metadata = {}
        text = data.get("message", "")
        message = UserMessage(
            text if isinstance(text, str) else "",
            SocketIOOutput(sio, channel.bot_message_evt),
            str(session_id),
            input_channel=channel.name(),
            metadata=metadata if isinstance(metadata, dict) else {},
        )
        await on_new_message(message)

    async def disconnect(sid: str) -> None:
        bound.pop(sid, None)

    sio.on("session_request", session_request, namespace=namespace)
    sio.on(channel.user_message_evt, handle_message, namespace=namespace)
    sio.on("disconnect", disconnect, namespace=namespace)
