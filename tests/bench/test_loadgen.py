"""The load generator's counting, against a small real HTTP server that misbehaves on cue."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from bench import loadgen
from bench.profile import summarise
from bot.ops.settings import ROOT
from tests.conftest import free_port


async def webhook(request: web.Request) -> web.Response:
    text = (await request.json())["message"]
    if text == "fail":
        return web.Response(status=500)
    if text == "silent":
        return web.json_response([])
    if text == "slow":
        await asyncio.sleep(2)
    return web.json_response([{"recipient_id": "x", "text": f"you said {text}"}])


@pytest.fixture
async def server() -> AsyncIterator[str]:
    app = web.Application()
    app.router.add_post("/webhooks/rest/webhook", webhook)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    yield f"http://127.0.0.1:{port}"
    await runner.cleanup()


def script(*steps: loadgen.Step) -> loadgen.Script:
    return lambda rng: list(steps)


async def test_counts_answers_errors_empty_replies_and_wrong_words(server: str) -> None:
    conversation = script(("hi", "you said hi"), ("silent", ""), ("hello", "bye"), ("fail", ""))
    result = await loadgen.run_load(server, [(1.0, conversation)], 2, 0.5, "t", timeout=5)
    n = result.conversations
    assert n >= 2
    # Per conversation: 2 answered turns, 1 empty reply (error), 1 wrong, then HTTP 500 (error);
    # the time limit may cut the last conversation of each of the 2 patients short.
    assert 2 * (n - 2) <= len(result.latencies) <= 2 * n
    assert 2 * (n - 2) <= result.errors <= 2 * n
    assert n - 2 <= result.wrong <= n
    assert result.timeouts == 0
    assert any("HTTP 500" in s for s in result.error_samples)
    assert 0 < result.p50 <= result.p95 <= result.p99
    assert result.throughput > 0


async def test_a_turn_over_the_timeout_counts_as_a_timeout(server: str) -> None:
    result = await loadgen.run_load(server, [(1.0, script(("slow", "")))], 1, 0.2, "t", timeout=0.5)
    assert result.timeouts == 1 and result.errors == 0 and not result.latencies


def test_scripts_are_full_conversations() -> None:
    rng = random.Random(1)
    assert len(loadgen.faq_conversation(rng)) == 4
    for make in (loadgen.prescreen_free_text, loadgen.prescreen_buttons):
        steps = make(rng)
        assert steps[0][1] == "2 minutes" and steps[-1][1] == "reference code"
        assert any(expect == "may be a good fit" for _, expect in steps)


def test_profile_summary_attributes_time_to_packages_and_our_code(tmp_path: object) -> None:
    raw = (
        "handle (bot/rasa/channels.py:5);step (bot/prescreen/dialogue.py:9);"
        "loads (json/decoder.py:3) 30\n"
        "handle (bot/rasa/channels.py:5);validate (jsonschema/validators.py:5) 60\n"
        "handle (bot/rasa/channels.py:5);step (bot/prescreen/dialogue.py:9) 10\n"
    )
    summary = summarise("Rasa server", raw, ROOT / "var" / "x.txt")
    assert summary.samples == 100
    assert summary.ours == pytest.approx(0.1)  # innermost frame in our code
    assert dict(summary.packages) == {
        "jsonschema": 0.6,
        "python stdlib": 0.3,
        "ours: bot/prescreen": 0.1,
    }
    # The channel wrapper is on every stack: it is left out of "our functions".
    assert summary.our_functions == [("step (bot/prescreen/dialogue.py)", 0.4)]
