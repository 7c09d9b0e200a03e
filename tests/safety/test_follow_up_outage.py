"""Review finding 2: the 911 answer never waits on Redis, and a Redis that is down or silent
never freezes the channel's event loop; the reminders then come from this process's memory.

Through the channels' guard (bot/rasa/channels.py) with a stand-in for Rasa's message handler,
and a follow-up store (bot/safety/follow_up.py) pointed at a closed port, or at a socket that
accepts connections and never answers (packets dropped: each call waits its time-out)."""

from __future__ import annotations

import asyncio
import socket
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

from bot.rasa import channels
from bot.safety import follow_up

ALARM = "my lips and tongue are swelling up"


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(autouse=True, scope="module")
def _warm() -> None:
    """The safety layer loaded (its model): the times below are the channel's, not a load."""
    from bot import safety

    assert safety.assess(ALARM).kind == "emergency"


@pytest.fixture
def silent_redis() -> Iterator[str]:
    """A TCP port that takes connections (the kernel's backlog) and never replies."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    try:
        yield f"redis://127.0.0.1:{server.getsockname()[1]}/0"
    finally:
        server.close()


class _Timed(CollectingOutputChannel):
    """The messages sent, each with the time it went out."""

    def __init__(self) -> None:
        super().__init__()
        self.at: list[float] = []

    async def _persist_message(self, message: dict[str, Any]) -> None:
        self.at.append(time.monotonic())
        await super()._persist_message(message)


async def _rasa(message: UserMessage) -> None:
    if not (message.text or "").startswith("/"):
        await message.output_channel.send_response(message.sender_id, {"text": "the answer"})


async def _turn(handler: channels.Handler, sender: str, text: str) -> tuple[list[str], float]:
    """The texts sent for one message, and the seconds until the first went out."""
    output = _Timed()
    began = time.monotonic()
    await handler(UserMessage(text, output, sender))
    await asyncio.gather(*channels._BACKGROUND)
    return [str(m.get("text")) for m in output.messages], output.at[0] - began


def _store(url: str) -> follow_up.FollowUps:
    return follow_up.FollowUps(follow_up.RedisStore(url, f"t{uuid.uuid4().hex[:6]}:"))


def test_redis_down_the_911_answer_is_fast_and_the_reminder_comes_from_memory() -> None:
    handler = channels.guarded(_rasa, _store(f"redis://127.0.0.1:{_closed_port()}/0"))
    sender = f"w-{uuid.uuid4().hex[:8]}"

    async def run() -> tuple[tuple[list[str], float], tuple[list[str], float]]:
        return await _turn(handler, sender, ALARM), await _turn(handler, sender, "can i wait")

    (first, first_wait), (second, _) = asyncio.run(run())
    assert first[0].startswith("Call 911 now") and first_wait < 0.5
    assert len(second) == 2 and second[0].startswith("If you still have") and "911" in second[0]
    assert second[1] == "the answer"


def test_a_silent_redis_delays_neither_the_911_answer_nor_other_conversations(
    silent_redis: str,
) -> None:
    reminders = _store(silent_redis)
    handler = channels.guarded(_rasa, reminders)
    sender = f"w-{uuid.uuid4().hex[:8]}"
    ticks: list[float] = []

    async def ticker(stop: asyncio.Event) -> None:  # stands for every other conversation
        while not stop.is_set():
            ticks.append(time.monotonic())
            await asyncio.sleep(0.02)

    async def run() -> tuple[tuple[list[str], float], tuple[list[str], float], float]:
        stop = asyncio.Event()
        beat = asyncio.create_task(ticker(stop))
        began = time.monotonic()
        alarm = await _turn(handler, sender, ALARM)
        after = await _turn(handler, sender, "should i take benadryl?")
        took = time.monotonic() - began
        stop.set()
        await beat
        return alarm, after, took

    (alarm, alarm_wait), (after, _), took = asyncio.run(run())
    assert alarm[0].startswith("Call 911 now") and alarm_wait < 0.5
    # Each Redis call waited its time-out in a worker thread: the loop kept running meanwhile.
    assert took >= follow_up.REDIS_TIMEOUT
    gaps = [b - a for a, b in zip(ticks, ticks[1:], strict=False)]
    assert gaps and max(gaps) < 0.3, max(gaps)
    assert after[0].startswith("If you still have") and after[1] == "the answer"
    assert took < 6 * follow_up.REDIS_TIMEOUT + 1


def test_a_reminder_kept_in_memory_in_an_outage_is_found_when_the_store_answers() -> None:
    """Finding 2's fallback gap: `answered` fell back to memory, then the store is back (and
    has nothing): `take` still finds the reminder in memory."""

    class Flaky(follow_up.MemoryStore):
        down = True

        def start(self, sender: str, kind: str) -> None:
            if self.down:
                raise ConnectionError("down")
            super().start(sender, kind)

    store = Flaky()
    reminders = follow_up.FollowUps(store)
    reminders.answered("c1", "overdose")
    store.down = False
    line = reminders.line_before("c1", "what now")
    assert line is not None and "1-800-222-1222" in line
    reminders.answered("c2", "emergency")  # in the store this time; memory has none
    assert reminders.line_before("c2", "/safety_resume") is None
    assert reminders.line_before("c2", "hello") is None
