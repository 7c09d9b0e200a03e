"""Rasa input channels that never leave a patient in silence.

Rasa 3.6 catches a failed custom action inside its processor ("Encountered an exception while
running action ..."), drops the action's events and carries on; when the action server is down
mid-prescreen the patient gets no reply at all (RasaHQ/rasa issues 5588, 7630: no built-in
hook). These channels are the stock REST and socket.io channels, on the same URL paths and with
the same settings, that wrap the message handler: when a patient's message produced no bot
message (or the handler failed), they send one short apology from bot/content/service.yml.

Registered in credentials.yml by module path (`bot.channels.RestInput`, ...).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from rasa.core.channels import rest, socketio
from rasa.core.channels.channel import OutputChannel, UserMessage
from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot import session_token

log = logging.getLogger(__name__)

Handler = Callable[[UserMessage], Awaitable[Any]]
SERVICE_TEXTS = Path(__file__).resolve().parent / "content" / "service.yml"


@cache
def no_reply_text() -> str:
    return str(yaml.safe_load(SERVICE_TEXTS.read_text())["no_reply"])


def _count_replies(output: OutputChannel) -> list[int]:
    """Count the bot messages sent on this (per-message) output channel."""
    sent = [0]
    original = output.send_response

    async def send_response(recipient_id: str, message: dict[str, Any]) -> None:
        sent[0] += 1
        await original(recipient_id, message)

    output.send_response = send_response
    return sent


def never_silent(on_new_message: Handler) -> Handler:
    """Wrap Rasa's message handler: a turn without any bot message gets the apology."""

    async def handle(message: UserMessage) -> Any:
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
            try:
                await message.output_channel.send_text_message(message.sender_id, no_reply_text())
            except Exception as error:  # noqa: BLE001 - e.g. the socket went away
                log.warning("could not send the apology: %s", type(error).__name__)
        return result

    return handle


MAX_SENDER_LENGTH = 128


def invalid_rest_body(request: Request) -> str | None:
    """Why a REST webhook call is malformed, or None. Stock Rasa answers a body of `[]` with a
    500, a non-text message with silence, and puts every call without a sender into one shared
    "default" conversation; we refuse those with a 400 instead."""
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
        blueprint = super().blueprint(never_silent(on_new_message))

        @blueprint.middleware("request")
        async def check_body(request: Request) -> HTTPResponse | None:
            if request.method != "POST":
                return None
            problem = invalid_rest_body(request)
            return response.json({"error": problem}, status=400) if problem else None

        return blueprint


class SocketIOInput(socketio.SocketIOInput):
    """The socket.io channel (`/socket.io`) that never answers with silence, and whose
    conversations are bound to a signed session token (bot/session_token.py)."""

    @classmethod
    def name(cls) -> str:
        return "socketio"

    def blueprint(self, on_new_message: Handler) -> Any:
        handler = never_silent(on_new_message)
        blueprint = super().blueprint(handler)
        session_token.bind_sessions(self, handler)
        return blueprint
