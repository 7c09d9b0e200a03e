"""Where one FAQ turn's time goes inside the Rasa server, timed in process.

Loads a trained model (default models/current.tar.gz) with Rasa's own Agent and this project's
endpoints.yml (the encrypted SQLite tracker store in a scratch folder, the action server at
ACTION_ENDPOINT_URL, which must be running), then sends held-out FAQ questions one at a time,
four per conversation, through the same path as the REST channel: the safety layer
(bot.safety.assess), then Rasa's handle_message. Every graph node (NLU components, policies),
the tracker store's retrieve and save, each call of the action server and the encoder's
forward passes are timed with wall-clock and process CPU time; it prints the median and mean
per turn of each.

Usage: python -m bench.turn_profile [MODEL] [TURNS] [ENDPOINTS]   (for ours: ACTION_ENDPOINT_URL
and TRACKER_DB set). With the stock bot's project folder's endpoints.yml as ENDPOINTS, the turns
are the stock bot's own phrases (bench/loadgen.py) and the safety layer is left out.
"""

from __future__ import annotations

import asyncio
import functools
import random
import sys
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from statistics import median
from typing import Any

from rasa.core.actions.action import RemoteAction
from rasa.core.agent import load_agent
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.tracker_store import TrackerStore
from rasa.core.utils import AvailableEndpoints
from rasa.engine.graph import GraphNode

from bench import loadgen
from bench.loadgen import QUESTIONS
from bot import safety
from bot.nlu import encoder

WALL: dict[str, list[float]] = defaultdict(list)
CPU: dict[str, list[float]] = defaultdict(list)


def _record(name: str, wall: float, cpu: float) -> None:
    WALL[name].append(wall)
    CPU[name].append(cpu)


def timed(name: Callable[..., str] | str, function: Callable[..., Any]) -> Callable[..., Any]:
    label = name if callable(name) else (lambda *a: name)

    @functools.wraps(function)
    def sync(*args: Any, **kwargs: Any) -> Any:
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            return function(*args, **kwargs)
        finally:
            _record(label(*args), time.perf_counter() - wall, time.process_time() - cpu)

    @functools.wraps(function)
    async def coroutine(*args: Any, **kwargs: Any) -> Any:
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            return await function(*args, **kwargs)
        finally:
            _record(label(*args), time.perf_counter() - wall, time.process_time() - cpu)

    return coroutine if asyncio.iscoroutinefunction(function) else sync


def instrument(store: TrackerStore) -> None:
    GraphNode.__call__ = timed(lambda node, *a: f"node {node._node_name}", GraphNode.__call__)  # type: ignore[method-assign]
    encoder.Encoder.encode = timed("  (encoder forward passes)", encoder.Encoder.encode)  # type: ignore[method-assign]
    RemoteAction.run = timed(lambda action, *a: f"action server: {action.name()}", RemoteAction.run)  # type: ignore[method-assign]
    cls = type(store)
    cls.retrieve = timed("tracker store retrieve", cls.retrieve)  # type: ignore[method-assign]
    cls.save = timed("tracker store save", cls.save)  # type: ignore[method-assign]


def stock_turns(count: int) -> list[str]:
    rng = random.Random(0)
    texts: list[str] = []
    while len(texts) < count:
        texts += [text for text, _ in rng.choice(loadgen.STOCK)[1](rng)][:4]
    return texts


async def main(model: str, count: int, endpoints_file: str) -> None:
    stock = endpoints_file != "endpoints.yml"
    texts = (
        stock_turns(count + 8)
        if stock
        else [QUESTIONS[i % len(QUESTIONS)] for i in range(count + 8)]
    )
    endpoints = AvailableEndpoints.read_endpoints(endpoints_file)
    agent = await load_agent(model_path=model, endpoints=endpoints)
    assess = (lambda text: None) if stock else timed("safety.assess (channel)", safety.assess)

    async def turn(sender: str, text: str) -> None:
        wall, cpu = time.perf_counter(), time.process_time()
        assess(text)
        await agent.handle_message(UserMessage(text, CollectingOutputChannel(), sender))
        _record("TURN", time.perf_counter() - wall, time.process_time() - cpu)

    for i, text in enumerate(texts[:8]):  # warm up: lazy loads, tracing
        await turn(f"warm-{i // 4}", text)
    WALL.clear()
    CPU.clear()
    instrument(agent.tracker_store)
    sender = ""
    for i in range(count):
        if i % 4 == 0:
            sender = f"profile-{uuid.uuid4().hex[:12]}"
        await turn(sender, texts[8 + i])
    turns = len(WALL["TURN"])
    kind = "stock" if stock else "FAQ"
    print(f"{turns} {kind} turns (4 per conversation); ms per turn (all calls' sum / turns)")
    print(f"  {'what':58s} {'calls/turn':>10s} {'wall med':>9s} {'wall/turn':>9s} {'cpu/turn':>9s}")
    for name in sorted(WALL, key=lambda n: -sum(WALL[n])):
        w, c = WALL[name], CPU[name]
        print(
            f"  {name:58s} {len(w) / turns:10.2f} {1000 * median(w):9.2f} "
            f"{1000 * sum(w) / turns:9.2f} {1000 * sum(c) / turns:9.2f}"
        )


if __name__ == "__main__":
    asyncio.run(
        main(
            sys.argv[1] if len(sys.argv) > 1 else "models/current.tar.gz",
            int(sys.argv[2]) if len(sys.argv) > 2 else 120,
            sys.argv[3] if len(sys.argv) > 3 else "endpoints.yml",
        )
    )
