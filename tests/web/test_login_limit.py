"""Login limiting keyed on the real client: X-Forwarded-For believed only from TRUSTED_PROXIES;
a per-address lock; a per-account slowdown that never locks the named user out; counters
shared through the real Redis. (Behind the production profile's real nginx:
tests/production/test_login_behind_nginx.py.)"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import AsyncIterator

import pytest
import redis
import sqlalchemy as sa
from aiohttp.test_utils import TestClient, TestServer

from bot.ops.settings import Settings
from bot.staff import audit
from bot.store.schema import audit as audit_table
from bot.web.limiter import (
    LoginLimiter,
    MemoryCounters,
    RedisCounters,
    client_address,
    parse_proxies,
)
from tests.web.conftest import PASSWORD, USER, csrf_from, staff_app

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/1")


async def attempt(
    client: TestClient, user: str, password: str, forwarded_for: str | None = None
) -> int:
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    page = await client.get("/staff/login", headers=headers)
    response = await client.post(
        "/staff/login",
        data={"username": user, "password": password, "csrf_token": csrf_from(await page.text())},
        headers=headers,
        allow_redirects=False,
    )
    client.session.cookie_jar.clear()
    return response.status


def wrong_name() -> str:
    """A different unknown name each time, so only the per-address limit is in play."""
    return f"guess-{uuid.uuid4().hex[:8]}"


@pytest.fixture
async def app_factory(sqlite_url: str, seeded: dict[str, int]) -> AsyncIterator[object]:
    clients: list[TestClient] = []

    async def make(trusted: str, limiter: LoginLimiter) -> TestClient:
        app = staff_app(sqlite_url, trusted_proxies=trusted, limiter=limiter)
        client = TestClient(TestServer(app))
        await client.start_server()
        clients.append(client)
        return client

    yield make
    for client in clients:
        await client.close()


def test_client_address() -> None:
    proxies = parse_proxies("127.0.0.1, 10.0.0.0/8")
    # An untrusted peer: its header is ignored, whatever it says.
    assert client_address("203.0.113.9", ["198.51.100.1"], proxies) == "203.0.113.9"
    # A trusted peer: the right-most address that is not a trusted proxy.
    assert client_address("127.0.0.1", ["198.51.100.1"], proxies) == "198.51.100.1"
    assert client_address("127.0.0.1", ["1.2.3.4, 198.51.100.1, 10.1.2.3"], proxies) == (
        "198.51.100.1"
    )
    assert client_address("127.0.0.1", ["1.2.3.4", "198.51.100.1"], proxies) == "198.51.100.1"
    assert client_address("127.0.0.1", [], proxies) == "127.0.0.1"
    assert client_address("127.0.0.1", ["not an address"], proxies) == "127.0.0.1"
    assert client_address("::ffff:127.0.0.1", ["198.51.100.1"], proxies) == "198.51.100.1"
    assert client_address("127.0.0.1", ["198.51.100.1"], parse_proxies("")) == "127.0.0.1"


async def test_trusted_proxy_two_clients_one_locked_one_not(
    app_factory: object, sqlite_url: str
) -> None:
    limiter = LoginLimiter(MemoryCounters(), per_ip=4, slow_after=100)
    client = await app_factory("127.0.0.1", limiter)  # type: ignore[operator]
    a, b = "203.0.113.7", "198.51.100.9"
    for _ in range(4):
        assert await attempt(client, wrong_name(), "wrong password here", a) == 401
    assert await attempt(client, wrong_name(), "wrong password here", a) == 429
    assert await attempt(client, USER, PASSWORD, a) == 429  # locked: even the right password
    assert await attempt(client, USER, PASSWORD, b) == 303  # the other client is not
    assert await attempt(client, wrong_name(), "wrong password here", b) == 401
    engine = sa.create_engine(sqlite_url)
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(audit_table.c.action, audit_table.c.note).where(
                audit_table.c.action.in_([audit.LOGIN_LOCKED, audit.LOGIN_FAILED])
            )
        ).all()
    engine.dispose()
    assert (audit.LOGIN_LOCKED, f"ip={a} failures=4") in rows
    assert sum(1 for action, note in rows if note == f"ip={a}") == 4
    assert sum(1 for action, note in rows if note == f"ip={b}") == 1


async def test_untrusted_peer_cannot_pick_its_address(app_factory: object) -> None:
    """Without TRUSTED_PROXIES the header is ignored: changing it does not escape the lock."""
    limiter = LoginLimiter(MemoryCounters(), per_ip=3, slow_after=100)
    client = await app_factory("", limiter)  # type: ignore[operator]
    for i in range(3):
        assert await attempt(client, wrong_name(), "wrong password here", f"192.0.2.{i}") == 401
    assert await attempt(client, USER, PASSWORD, "192.0.2.200") == 429


async def test_named_user_is_slowed_not_locked(app_factory: object) -> None:
    limiter = LoginLimiter(
        MemoryCounters(), per_ip=1000, slow_after=2, delay_base=0.5, delay_max=1.0
    )
    client = await app_factory("127.0.0.1", limiter)  # type: ignore[operator]
    took = []
    for i in range(5):  # from five different addresses: the account is what is slowed
        start = time.monotonic()
        assert await attempt(client, USER, "wrong password here", f"192.0.2.{i}") == 401
        took.append(time.monotonic() - start)
    # Failures 1-2 free; then 0.5 s, 1.0 s, 1.0 s (the cap) before the password is checked.
    assert took[2] >= 0.5 and took[3] >= 1.0 and took[4] >= 1.0, took
    start = time.monotonic()
    assert await attempt(client, USER, PASSWORD, "192.0.2.99") == 303  # never locked out
    assert time.monotonic() - start >= 1.0
    # The success cleared the name's failures: the next attempt on it waits nothing.
    assert (await limiter.start(USER, "192.0.2.100")).delay == 0


async def test_delays_per_name_double_up_to_the_cap() -> None:
    limiter = LoginLimiter(MemoryCounters(), slow_after=3, delay_base=1, delay_max=30)
    delays = [(await limiter.start("carol", f"192.0.2.{i}")).delay for i in range(10)]
    assert delays == [0, 0, 0, 1, 2, 4, 8, 16, 30, 30]
    other = await limiter.start("dave", "192.0.2.1")  # another name is not slowed
    assert other.delay == 0 and other.account_failures == 1


async def test_counters_shared_between_replicas_through_redis(app_factory: object) -> None:
    prefix = f"test{uuid.uuid4().hex[:10]}:login:"
    try:
        replica_a = await app_factory(  # type: ignore[operator]
            "127.0.0.1", LoginLimiter(RedisCounters(REDIS_URL, prefix), per_ip=4, slow_after=100)
        )
        replica_b = await app_factory(  # type: ignore[operator]
            "127.0.0.1", LoginLimiter(RedisCounters(REDIS_URL, prefix), per_ip=4, slow_after=100)
        )
    except redis.RedisError as error:  # pragma: no cover - Redis runs here and in CI
        pytest.skip(f"needs Redis: {error}")
    client = "203.0.113.50"
    for replica in (replica_a, replica_b, replica_a, replica_b):
        assert await attempt(replica, wrong_name(), "wrong password here", client) == 401
    assert await attempt(replica_a, USER, PASSWORD, client) == 429
    assert await attempt(replica_b, USER, PASSWORD, client) == 429
    assert await attempt(replica_b, USER, PASSWORD, "203.0.113.51") == 303
    plain = redis.Redis.from_url(REDIS_URL)
    try:
        keys = plain.keys(prefix + "*")
        assert prefix.encode() + f"ip:{client}".encode() in keys
        assert all(plain.ttl(key) > 0 for key in keys)  # nothing stays in Redis for ever
        if keys:
            plain.delete(*keys)
    finally:
        plain.close()


async def test_where_the_web_process_counts(monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.web.app import login_limiter

    monkeypatch.delenv("LOGIN_LIMIT_REDIS_URL", raising=False)
    monkeypatch.delenv("ASSISTANT_PROFILE", raising=False)
    assert isinstance(login_limiter(Settings.from_env()).counters, MemoryCounters)
    monkeypatch.setenv("ASSISTANT_PROFILE", "production")
    monkeypatch.setenv("REDIS_URL", REDIS_URL)
    monkeypatch.setenv("LOCK_STORE_KEY_PREFIX", "site1")
    counters = login_limiter(Settings.from_env()).counters
    assert isinstance(counters, RedisCounters) and counters.prefix == "site1:login:"
    await counters.close()
    monkeypatch.delenv("ASSISTANT_PROFILE")
    monkeypatch.setenv("LOGIN_LIMIT_REDIS_URL", REDIS_URL)  # e.g. two web pods on Kubernetes
    counters = login_limiter(Settings.from_env()).counters
    assert isinstance(counters, RedisCounters)
    await counters.close()


async def test_redis_down_falls_back_to_counting_here() -> None:
    """Staff can still log in (and are still limited, per replica) while Redis is down."""
    limiter = LoginLimiter(RedisCounters("redis://127.0.0.1:1/0"), per_ip=2, slow_after=100)
    try:
        for _ in range(2):
            await limiter.start("someone", "192.0.2.1")
        assert await limiter.blocked("192.0.2.1")
        assert not await limiter.blocked("192.0.2.2")
    finally:
        await limiter.close()
