"""Staff login limiting, keyed on the real client address and on the account.

- Per client address: after LOGIN_LIMIT_PER_IP failed logins (30) within LOGIN_LIMIT_WINDOW
  seconds (15 minutes) that address gets 429 until old failures age out of the window.
- Per account: a named user is never locked. After LOGIN_SLOW_AFTER failures (3) on that name
  in the window, each further attempt waits LOGIN_DELAY_BASE x 2^(n - LOGIN_SLOW_AFTER)
  seconds (1, 2, 4, ... at most LOGIN_DELAY_MAX, 30) before the password is even checked;
  the right password then still works. Names that are no user are slowed the same way, so
  the delay tells nobody which names exist.

An attempt counts as failed from the moment it starts and is withdrawn on success, so
concurrent guesses cannot slip past the limits while argon2 runs. The client address is the
TCP peer, or, only when that peer is one of TRUSTED_PROXIES, the right-most address in
X-Forwarded-For that is not itself a trusted proxy.

Counters live in memory (one process), or in Redis (`RedisCounters`: every web replica of the
production profile shares them).
"""

from __future__ import annotations

import ipaddress
import logging
import math
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

log = logging.getLogger(__name__)

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_proxies(value: str | Iterable[str]) -> tuple[Network, ...]:
    """ "10.0.0.1, 10.1.0.0/16" (or a list): addresses and networks; raises ValueError."""
    items = value.split(",") if isinstance(value, str) else list(value)
    return tuple(ipaddress.ip_network(item.strip(), strict=False) for item in items if item.strip())


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def client_address(
    peer: str | None, forwarded_for: Iterable[str], trusted: tuple[Network, ...]
) -> str:
    """The address a request really came from (see the module docstring)."""
    current = _ip(peer or "")
    if current is None:
        return peer or "unknown"
    hops = [hop.strip() for header in forwarded_for for hop in header.split(",") if hop.strip()]
    while any(current in network for network in trusted) and hops:
        previous = _ip(hops.pop())
        if previous is None:  # garbage left of a trusted proxy: stay with what we know
            break
        current = previous
    return str(current)


class Counters(Protocol):
    """Time-stamped hits per key, in a sliding window."""

    async def hit(self, key: str, member: str, now: float, window: float) -> int:
        """Add a hit; returns how many hits the key has in the window (this one included)."""

    async def count(self, key: str, now: float, window: float) -> int: ...

    async def withdraw(self, key: str, member: str) -> None: ...

    async def clear(self, key: str) -> None: ...

    async def close(self) -> None: ...


class MemoryCounters:
    """Counters in this process's memory, bounded to max_keys keys."""

    def __init__(self, max_keys: int = 100_000) -> None:
        self.max_keys = max_keys
        self._hits: dict[str, deque[tuple[float, str]]] = {}

    def _recent(self, key: str, now: float, window: float) -> deque[tuple[float, str]]:
        hits = self._hits.get(key)
        if hits is None:
            return deque()
        while hits and hits[0][0] <= now - window:
            hits.popleft()
        if not hits:
            del self._hits[key]
        return hits

    async def hit(self, key: str, member: str, now: float, window: float) -> int:
        if key not in self._hits and len(self._hits) >= self.max_keys:
            for old in list(self._hits):
                self._recent(old, now, window)
            while len(self._hits) >= self.max_keys:  # still full: drop the oldest keys
                self._hits.pop(next(iter(self._hits)))
        hits = self._recent(key, now, window)
        hits.append((now, member))
        self._hits[key] = hits
        return len(hits)

    async def count(self, key: str, now: float, window: float) -> int:
        return len(self._recent(key, now, window))

    async def withdraw(self, key: str, member: str) -> None:
        hits = self._hits.get(key)
        if hits is not None:
            for entry in list(hits):
                if entry[1] == member:
                    hits.remove(entry)

    async def clear(self, key: str) -> None:
        self._hits.pop(key, None)

    async def close(self) -> None:
        self._hits.clear()


class RedisCounters:
    """Counters in Redis sorted sets (score = time), shared by every web replica.

    If Redis cannot be reached, counting falls back to this process's memory (logged), so
    staff can still log in; the limits then hold per replica until Redis is back.
    """

    def __init__(self, url: str, prefix: str = "assistant:login:") -> None:
        import redis.asyncio as aioredis  # type: ignore[import-untyped]

        self.prefix = prefix
        self.client: Any = aioredis.Redis.from_url(url, socket_timeout=2)
        self.fallback = MemoryCounters()
        self._errors: Any = __import__("redis").RedisError

    async def hit(self, key: str, member: str, now: float, window: float) -> int:
        name = self.prefix + key
        try:
            pipe = self.client.pipeline(transaction=True)
            pipe.zremrangebyscore(name, "-inf", now - window)
            pipe.zadd(name, {member: now})
            pipe.zcard(name)
            pipe.expire(name, math.ceil(window) + 1)
            results = await pipe.execute()
            return int(results[2])
        except (self._errors, OSError) as error:
            log.warning("login limiter: Redis unreachable (%s), counting in memory", error)
            return await self.fallback.hit(key, member, now, window)

    async def count(self, key: str, now: float, window: float) -> int:
        name = self.prefix + key
        try:
            return int(await self.client.zcount(name, now - window, "+inf"))
        except (self._errors, OSError):
            return await self.fallback.count(key, now, window)

    async def withdraw(self, key: str, member: str) -> None:
        try:
            await self.client.zrem(self.prefix + key, member)
        except (self._errors, OSError):
            await self.fallback.withdraw(key, member)

    async def clear(self, key: str) -> None:
        try:
            await self.client.delete(self.prefix + key)
        except (self._errors, OSError):
            await self.fallback.clear(key)

    async def close(self) -> None:
        await self.client.close()


@dataclass
class Attempt:
    """One login attempt in progress: how long it must wait, and whether it tipped a limit."""

    username: str
    ip: str
    member: str
    delay: float
    account_failures: int  # failures on the name in the window, this attempt included
    ip_failures: int


@dataclass
class LoginLimiter:
    counters: Counters = field(default_factory=MemoryCounters)
    # The web process sets these from LOGIN_* (bot.ops.settings, bot.web.app.login_limiter).
    per_ip: int = 30
    window: float = 15 * 60
    slow_after: int = 3
    delay_base: float = 1.0
    delay_max: float = 30.0
    clock: Callable[[], float] = time.time  # wall clock: shared by replicas through Redis

    def delay_for(self, earlier_failures: int) -> float:
        """Seconds an attempt waits after that many failures on the same name."""
        over = earlier_failures - self.slow_after
        if over < 0:
            return 0.0
        return float(min(self.delay_max, self.delay_base * 2**over))

    async def blocked(self, ip: str) -> bool:
        """True when this client address has used up its failed logins."""
        return await self.counters.count(f"ip:{ip}", self.clock(), self.window) >= self.per_ip

    async def start(self, username: str, ip: str) -> Attempt:
        now, member = self.clock(), uuid.uuid4().hex
        ip_failures = await self.counters.hit(f"ip:{ip}", member, now, self.window)
        account = await self.counters.hit(f"user:{username}", member, now, self.window)
        return Attempt(username, ip, member, self.delay_for(account - 1), account, ip_failures)

    async def succeeded(self, attempt: Attempt) -> None:
        """The right password: the name's failures are cleared, this attempt withdrawn."""
        await self.counters.clear(f"user:{attempt.username}")
        await self.counters.withdraw(f"ip:{attempt.ip}", attempt.member)

    async def close(self) -> None:
        await self.counters.close()
