"""One call to the action server per prescreen turn (issue 15), counted on a live stack.

Rasa's action endpoint points at a small HTTP proxy in front of the real action server; the
proxy forwards every call and writes down which action Rasa asked for. A whole prescreen by
buttons is then typed over REST, and each turn's calls are checked.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from bot.ops.stack import Stack
from tests.conftest import Conversation, spare_port, texts
from tests.faults.conftest import make_stack

pytestmark = pytest.mark.live


class CountingProxy:
    """Forwards POST /webhook to the action server and records each call's action name."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.port = spare_port()
        self.calls: list[str] = []
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._runner: web.AppRunner | None = None

    async def _forward(self, request: web.Request) -> web.Response:
        body = await request.read()
        self.calls.append(str(json.loads(body).get("next_action")))
        async with (
            aiohttp.ClientSession() as session,
            session.post(
                self.upstream, data=body, headers={"Content-Type": "application/json"}
            ) as reply,
        ):
            return web.Response(
                body=await reply.read(), status=reply.status, content_type="application/json"
            )

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_post("/webhook", self._forward)
        self._runner = web.AppRunner(app)
        self._loop.run_until_complete(self._runner.setup())
        site = web.TCPSite(self._runner, "127.0.0.1", self.port)
        self._loop.run_until_complete(site.start())
        self._ready.set()
        self._loop.run_forever()

    def start(self) -> None:
        self._thread.start()
        assert self._ready.wait(10)

    def stop(self) -> None:
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def take(self) -> list[str]:
        calls, self.calls = self.calls, []
        return calls


@pytest.fixture(scope="module")
def counted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Stack, CountingProxy]]:
    var_dir: Path = tmp_path_factory.mktemp("round-trips")
    stack = make_stack(var_dir)
    proxy = CountingProxy(f"{stack.settings.action_url}/webhook")
    stack.extra_env["ACTION_ENDPOINT_URL"] = f"http://127.0.0.1:{proxy.port}/webhook"
    proxy.start()
    try:
        with stack:
            yield stack, proxy
    finally:
        proxy.stop()


def test_each_prescreen_turn_calls_the_action_server_once(
    counted: tuple[Stack, CountingProxy],
) -> None:
    stack, proxy = counted
    chat = Conversation(stack.settings.rasa_url)
    assert "2 minutes" in texts(chat("can I join the study?"))
    # Starting: our action asks the consent question; Rasa's form activation then calls the
    # validation action twice on its own (it returns at once, saying nothing). Before issue 15
    # this turn also called action_ask_prescreen_turn.
    assert proxy.take() == [
        "action_prescreen_start",
        "validate_prescreen_form",
        "validate_prescreen_form",
    ]
    assert "How old are you?" in texts(chat("Yes, let's start"))
    assert proxy.take() == ["validate_prescreen_form"]
    for answer in ["52", "Yes", "Yes", "Yes", "is there a placebo?", "Yes", "Yes", "Yes"]:
        reply = texts(chat(answer))
        assert "Question" in reply, reply
        assert proxy.take() == ["validate_prescreen_form"], answer
    for answer in ["Yes", "Yes"]:
        chat(answer)
        assert proxy.take() == ["validate_prescreen_form"], answer
    assert "may be a good fit" in texts(chat("No"))
    assert proxy.take() == ["validate_prescreen_form"]
    for answer in ["Yes, share my answers", "Pat Proxy", "pat@example.com"]:
        chat(answer)
        assert proxy.take() == ["validate_prescreen_form"], answer
    # The last turn also hands over: the form ends, then action_prescreen_done stores it.
    assert "reference code" in texts(chat("weekday mornings"))
    assert proxy.take() == ["validate_prescreen_form", "action_prescreen_done"]
