"""Rasa input channels: safety first, size limits before any work, never silence.

Every message from a patient goes through `guarded` before Rasa sees it:
1. A message over MAX_MESSAGE_CHARS is answered here ("could you ask in a few words?") and
   never reaches NLU or the tracker (unless its first part reads as an emergency). A request
   body over MAX_BODY_BYTES is refused unread (413).
2. The safety layer (bot.safety) reads every message. A message that needs 911, Poison Control,
   the 988 line or "call your doctor" is replaced by its intent payload ("/crisis"): the
   person's words never reach the NLU, the prescreen or the tracker, so they can be neither
   taken as an answer nor passed to staff, and the rules in data/rules/safety.yml answer it.
   A message that only might be one gets its normal answer plus one line.
3. A turn that produced no bot message gets the apology (or, for a safety message, its answer).

Rasa 3.6 catches a failed custom action inside its processor ("Encountered an exception while
running action ..."), drops the action's events and carries on; when the action server is down
mid-prescreen the patient gets no reply at all (RasaHQ/rasa issues 5588, 7630: no built-in
hook). These channels are the stock REST and socket.io channels, on the same URL paths and with
the same settings, that wrap the message handler: when a patient's message produced no bot
message (or the handler failed), they send one short apology from bot/content/service.yml.

Registered in credentials.yml by module path (`bot.rasa.channels.RestInput`, ...).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from rasa.core.channels import rest, socketio
from rasa.core.channels.channel import CollectingOutputChannel, OutputChannel, UserMessage
from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import safety
from bot.nlu import input_check
from bot.rasa import session_token
from bot.safety import follow_up, replies

log = logging.getLogger(__name__)


class _WithoutText:
    """Rasa's REST channel logs the patient's message itself when a request is cancelled or
    fails (`rest.message.received.timeout text=...`, at ERROR). This logger drops what a
    patient typed from those events; everything else is logged as before."""

    _DROPPED = ("text", "user_text", "message", "parse_data_text")

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._inner, name)

        def call(event: str, *args: Any, **fields: Any) -> Any:
            return method(
                event, *args, **{k: v for k, v in fields.items() if k not in self._DROPPED}
            )

        return call


rest.structlogger = _WithoutText(rest.structlogger)

Handler = Callable[[UserMessage], Awaitable[Any]]


def _count_replies(output: OutputChannel) -> list[int]:
    """Count the bot messages sent on this (per-message) output channel."""
    sent = [0]
    original = output.send_response

    async def send_response(recipient_id: str, message: dict[str, Any]) -> None:
        sent[0] += 1
        await original(recipient_id, message)

    output.send_response = send_response
    return sent


async def _send(message: UserMessage, reply: dict[str, Any]) -> None:
    """Send one bot message on the message's own channel, never raising."""
    try:
        if reply.get("buttons"):
            await message.output_channel.send_text_with_buttons(
                message.sender_id, reply["text"], reply["buttons"]
            )
        else:
            await message.output_channel.send_text_message(message.sender_id, reply["text"])
    except Exception as error:  # noqa: BLE001 - e.g. the socket went away
        log.warning("could not send a reply: %s", type(error).__name__)


# Rasa turns of safety messages, running after their answer was sent (kept referenced).
_BACKGROUND: set[asyncio.Task[Any]] = set()


async def _answer_safety(
    on_new_message: Handler, message: UserMessage, verdict: Any, reminders: follow_up.FollowUps
) -> None:
    """The safety answer goes out at once, from here, whatever Rasa, the action server and
    Redis do. Only then are the post-911 reminders noted (in Redis when configured: a worker
    thread, short time-outs, memory if it fails).

    Then Rasa gets the payload ("/crisis": the person's words go no further), in the
    background and with its replies discarded, so the prescreen pauses and the tracker knows.
    A later message of the same conversation waits for that turn (Rasa's lock store).
    """
    log.info("safety message (%s, %s)", verdict.kind, verdict.source)
    await _send(message, replies.safety(verdict.kind) or {"text": replies.no_reply()})
    try:
        await reminders.answered_async(message.sender_id, verdict.kind)
    except Exception as error:  # noqa: BLE001 - the answer is already out
        log.error("follow-up not noted: %s", type(error).__name__)
    message.text = f"/{verdict.kind}"
    message.output_channel = CollectingOutputChannel()

    async def quietly() -> None:
        try:
            await on_new_message(message)
        except Exception as error:  # noqa: BLE001 - the answer is already out
            log.error("safety turn failed in Rasa: %s", type(error).__name__)

    task = asyncio.create_task(quietly())
    _BACKGROUND.add(task)
    task.add_done_callback(_BACKGROUND.discard)


def guarded(on_new_message: Handler, follow_ups: follow_up.FollowUps | None = None) -> Handler:
    """Wrap Rasa's message handler with the size limit, the safety layer and the apology.
    `follow_ups`: where the post-911 reminders are kept (default: the process's, in Redis
    when one is configured, bot/safety/follow_up.py)."""

    async def handle(message: UserMessage) -> Any:
        reminders = follow_ups or follow_up.shared()
        if message.metadata is not None and not isinstance(message.metadata, dict):
            message.metadata = {}  # e.g. {"metadata": "x"}: the trial id is read from a dict
        try:
            text = message.text if isinstance(message.text, str) else ""
            too_long = len(text) > MAX_MESSAGE_CHARS
            if too_long:
                verdict = safety.assess_start(text, 2 * MAX_MESSAGE_CHARS)
            else:
                verdict = safety.assess(text)
        except Exception as error:  # noqa: BLE001 - fail safe: nothing goes on unchecked
            log.error("safety check failed: %s", type(error).__name__)
            await _send(message, {"text": replies.no_reply()})
            return None
        if verdict.kind is None and too_long:
            await _send(message, replies.response("utter_too_long") or {"text": replies.no_reply()})
            if verdict.possible is not None:
                await _send(message, {"text": replies.possible(verdict.possible)})
            return None
        if verdict.kind is not None:
            await _answer_safety(on_new_message, message, verdict, reminders)
            return None
        # A safety button's title typed ("Stop for now") is that button, not words to read: it
        # got the prescreen's next question, or "I'm safe, go on" the FAQ answer on risks.
        payload = replies.typed_button(text)
        if payload is not None:
            message.text = payload
        reminder = await reminders.line_before_async(message.sender_id, message.text or "")
        if reminder is not None:  # right after a 911 answer: that first, then the reply
            await _send(message, {"text": reminder})
        sent = _count_replies(message.output_channel)
        result = None
        try:
            result = await on_new_message(message)
        except asyncio.CancelledError:
            raise
        except Exception as error:  # noqa: BLE001 - the patient must get an answer
            log.error("message handling failed: %s", type(error).__name__)
        if sent[0] == 0:
            log.warning("no reply on channel %s: sending the apology", message.input_channel)
            await _send(message, {"text": replies.no_reply()})
        elif verdict.possible is not None and reminder is None:  # one safety line a turn
            await _send(message, {"text": replies.possible(verdict.possible)})
        return result

    return handle


MAX_SENDER_LENGTH = 128
# A patient's message: longer than any real question (about 170 words). Longer ones get
# "could you ask in a few words?" here, before NLU or the tracker.
MAX_MESSAGE_CHARS = input_check.MAX_CHARS
# A request body: room for a pasted page of emoji (10,000, JSON-escaped), which still gets the
# kind "too long" answer. Larger bodies are refused unparsed (413) here, in the socket.io
# server and in nginx (deploy/nginx.conf.template).
MAX_BODY_BYTES = 256 * 1024


def invalid_rest_body(request: Request) -> str | None:
    """Why a REST webhook call is malformed, or None. Stock Rasa answers a body of `[]` with a
    500, a non-text message with silence, and puts every call without a sender into one shared
    "default" conversation; we refuse those with a 400 instead."""
    if len(request.body or b"") > MAX_BODY_BYTES:
        return "the body is too large"
    try:
        body = request.json
    except Exception:  # noqa: BLE001 - sanic raises its own error for bad JSON
        return "the body must be JSON"
    if not isinstance(body, dict):
        return "the body must be a JSON object"
    sender = body.get("sender")
    if not isinstance(sender, str) or not sender.strip() or len(sender) > MAX_SENDER_LENGTH:
        return f"'sender' must be a non-empty string of at most {MAX_SENDER_LENGTH} characters"
    if not isinstance(body.get("message"), str):
        return "'message' must be a string"
    return None


class RestInput(rest.RestInput):
    """The REST channel (`/webhooks/rest/webhook`) that never answers with silence and refuses
    malformed calls with a 400."""

    @classmethod
    def name(cls) -> str:
        return "rest"

    def blueprint(self, on_new_message: Handler) -> Any:
        blueprint = super().blueprint(guarded(on_new_message))
        safety.warm_up()

        @blueprint.middleware("request")
        async def check_body(request: Request) -> HTTPResponse | None:
            if request.method != "POST":
                return None
            problem = invalid_rest_body(request)
            if problem is None:
                return None
            status = 413 if problem == "the body is too large" else 400
            return response.json({"error": problem}, status=status)

        return blueprint


class SocketIOInput(socketio.SocketIOInput):
    """The socket.io channel (`/socket.io`) that never answers with silence, and whose
    conversations are bound to a signed session token (bot/rasa/session_token.py)."""

    @classmethod
    def name(cls) -> str:
        return "socketio"

    def blueprint(self, on_new_message: Handler) -> Any:
        handler = guarded(on_new_message)
        blueprint = super().blueprint(handler)
        if self.sio is not None:  # set by the stock blueprint(): refuse huge packets unread
            self.sio.eio.max_http_buffer_size = MAX_BODY_BYTES
        session_token.bind_sessions(self, handler)  # conversations bound to a signed token
        safety.warm_up()
        return blueprint
