"""The post-911 reminders kept in Redis, shared by two replicas (review finding 1).

Against the real Redis of this machine and CI (TEST_REDIS_URL, default 127.0.0.1:6379/1), each
test with its own key prefix, its keys deleted after. When Redis is expected (TEST_REDIS_URL set,
or CI=true) and cannot be reached, the tests fail; they skip only when neither is set (review
finding 11: a skip there would leave the shared store silently untested)."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import Iterator, Mapping

import pytest
import redis

from bot.safety import follow_up

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/1")


def redis_expected(environ: Mapping[str, str] = os.environ) -> bool:
    return bool(environ.get("TEST_REDIS_URL", "").strip()) or (
        environ.get("CI", "").strip().lower() in ("1", "true", "yes")
    )


def _reachable_or_skip(url: str, environ: Mapping[str, str] = os.environ) -> None:
    plain = redis.Redis.from_url(url, socket_connect_timeout=2)
    try:
        plain.ping()
    except redis.RedisError as error:
        if redis_expected(environ):
            pytest.fail(f"Redis is expected (TEST_REDIS_URL or CI) at {url}: {error}")
        pytest.skip(f"needs Redis (set TEST_REDIS_URL to require it): {error}")
    finally:
        plain.close()


@pytest.fixture
def prefix() -> Iterator[str]:
    prefix = f"test{uuid.uuid4().hex[:10]}:followup:"
    _reachable_or_skip(REDIS_URL)
    plain = redis.Redis.from_url(REDIS_URL)
    yield prefix
    keys = plain.keys(prefix + "*")
    if keys:
        plain.delete(*keys)
    plain.close()


def _replica(prefix: str) -> follow_up.FollowUps:
    return follow_up.FollowUps(follow_up.RedisStore(REDIS_URL, prefix))


def test_a_reminder_noted_on_one_replica_is_sent_by_the_other(prefix: str) -> None:
    a, b = _replica(prefix), _replica(prefix)
    a.answered("c1", "emergency")
    plain = redis.Redis.from_url(REDIS_URL)
    ttl = plain.ttl(prefix + "c1")
    plain.close()
    assert 0 < ttl <= follow_up.FOLLOW_UP_SECONDS
    lines = [b.line_before("c1", "can i wait"), a.line_before("c1", "ok"), b.line_before("c1", "x")]
    assert all(line and line.startswith("If you still have") for line in lines)
    assert a.line_before("c1", "y") is None and b.line_before("c1", "z") is None
    assert a.memory.take("c1") is None  # kept in Redis, not in either process


def test_the_count_is_atomic_across_replicas(prefix: str) -> None:
    """Many takes at once from two replicas: exactly FOLLOW_UP_TURNS reminders in all."""
    from concurrent.futures import ThreadPoolExecutor

    a, b = _replica(prefix), _replica(prefix)
    a.answered("c2", "overdose")
    with ThreadPoolExecutor(8) as pool:
        got = list(pool.map(lambda i: (a, b)[i % 2].line_before("c2", "hi"), range(20)))
    sent = [line for line in got if line]
    assert len(sent) == follow_up.FOLLOW_UP_TURNS
    assert all("1-800-222-1222" in line for line in sent)


def test_safe_on_one_replica_ends_it_on_the_other(prefix: str) -> None:
    a, b = _replica(prefix), _replica(prefix)
    a.answered("c3", "emergency")
    assert b.line_before("c3", "/safety_resume") is None
    assert a.line_before("c3", "hello") is None
    a.answered("c3", "crisis")  # a crisis answer starts no 911 reminder
    assert b.line_before("c3", "hello") is None


def test_redis_down_falls_back_to_this_process() -> None:
    down = follow_up.FollowUps(follow_up.RedisStore("redis://127.0.0.1:1/0", "x:"))
    down.answered("c4", "emergency")
    line = down.line_before("c4", "can i wait")
    assert line is not None and "911" in line


def test_where_the_reminders_are_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("REDIS_URL", "ASSISTANT_PROFILE", "LOCK_STORE_KEY_PREFIX"):
        monkeypatch.delenv(name, raising=False)
    assert follow_up.configured_store() is None
    monkeypatch.setenv("ASSISTANT_PROFILE", "production")
    store = follow_up.configured_store()
    assert isinstance(store, follow_up.RedisStore) and store.prefix == "assistant:followup:"
    monkeypatch.setenv("REDIS_URL", REDIS_URL)
    monkeypatch.setenv("LOCK_STORE_KEY_PREFIX", "site1")
    store = follow_up.configured_store()
    assert isinstance(store, follow_up.RedisStore) and store.prefix == "site1:followup:"


def test_two_channel_replicas_share_the_reminder(prefix: str) -> None:
    """A 911 answer through replica A's channel, the next message through replica B's: B sends
    the reminder first, then its reply."""
    from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

    from bot.rasa import channels

    async def rasa(message: UserMessage) -> None:
        if not (message.text or "").startswith("/"):
            reply = {"text": "the normal answer"}
            await message.output_channel.send_response(message.sender_id, reply)

    replica_a = channels.guarded(rasa, _replica(prefix))
    replica_b = channels.guarded(rasa, _replica(prefix))

    async def turn(handler: channels.Handler, text: str) -> list[str]:
        output = CollectingOutputChannel()
        await handler(UserMessage(text, output, "widget-1"))
        await asyncio.gather(*channels._BACKGROUND)
        return [str(m.get("text")) for m in output.messages]

    async def run() -> tuple[list[str], list[str]]:
        first = await turn(replica_a, "my lips and tongue are swelling up")
        return first, await turn(replica_b, "should i take benadryl?")

    first, second = asyncio.run(run())
    assert first[0].startswith("Call 911 now")
    assert len(second) == 2 and second[0].startswith("If you still have") and "911" in second[0]
    assert second[1] == "the normal answer"


def _closed_url() -> str:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"redis://127.0.0.1:{probe.getsockname()[1]}/0"


def test_an_expected_redis_that_is_down_fails_rather_than_skips() -> None:
    url = _closed_url()
    for expected in ({"TEST_REDIS_URL": url}, {"CI": "true"}):
        with pytest.raises(pytest.fail.Exception, match="Redis is expected"):
            _reachable_or_skip(url, expected)
    with pytest.raises(pytest.skip.Exception):
        _reachable_or_skip(url, {"CI": ""})
