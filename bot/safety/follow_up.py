"""Right after a 911 answer, the next few messages of that conversation repeat it first.

A person told to call 911 often writes on ("should i take benadryl?", "i dont want to go to
the ER, can i just wait"); those are not alarms by themselves and used to get the
medical-advice answer and study topics. For FOLLOW_UP_TURNS messages within FOLLOW_UP_SECONDS
of an emergency or overdose answer, the channel sends the follow-up line (bot/content/
service.yml `after_emergency`) before the normal reply. "I'm safe, go on" and "Stop for now"
end it.

Where it is kept (no text, only a conversation id, the kind and the reminders left):
- in Redis when one is configured (REDIS_URL, or the production profile's, which its lock
  store uses: bot/ops/production.py), one key `<prefix>:followup:<sender>` per conversation with
  a FOLLOW_UP_SECONDS time to live, counted down atomically (a Lua script), so a follow-up
  that reaches another Rasa replica, or the same one after a restart, still gets the line;
- else in this process's memory (bounded).
A Redis that fails is logged and the memory is used for that call: the reply still goes out.
A reminder noted in memory during an outage is still found when Redis answers again (`take`
looks in memory when the store has none), and a clear clears both.

Redis calls are blocking (redis-py) with short time-outs (REDIS_TIMEOUT seconds); the channels
call them through `answered_async` / `line_before_async`, in a worker thread, so a slow or
unreachable Redis never freezes the Rasa server's event loop, and only after the 911 answer
itself has been sent (bot/rasa/channels.py).
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections import OrderedDict
from functools import cache
from typing import Any, Protocol

from bot import content

log = logging.getLogger(__name__)

FOLLOW_UP_SECONDS = 15 * 60
FOLLOW_UP_TURNS = 3
_MAX_CONVERSATIONS = 10_000
# The payloads that say the person is safe or stops: no more reminders.
_CLEARS = ("/safety_resume", "/safety_stop")
_KINDS = ("emergency", "overdose")
# Seconds a Redis connect or reply may take before the memory is used instead.
REDIS_TIMEOUT = 0.5


@cache
def _all_clear() -> tuple[tuple[re.Pattern[str], ...], re.Pattern[str]]:
    service = content.load("service")
    said = tuple(re.compile(rx, re.I) for rx in service.get("all_clear") or ())
    return said, re.compile(service.get("all_clear_unless") or r"(?!)", re.I)


def says_all_clear(text: str) -> bool:
    """The message says there is no emergency ("nobody is in danger", "false alarm", "I'm
    fine") and names no problem: no more reminders."""
    norm = " ".join(text.lower().replace("\u2019", "'").split())
    said, unless = _all_clear()
    return any(rx.search(norm) for rx in said) and not unless.search(norm)


class Store(Protocol):
    def start(self, sender: str, kind: str) -> None:
        """FOLLOW_UP_TURNS reminders of this kind for the conversation, from now."""

    def take(self, sender: str) -> str | None:
        """The kind of a reminder due now (one fewer left), or None."""

    def clear(self, sender: str) -> None:
        """No more reminders for the conversation."""


class MemoryStore:
    """One process's memory: conversation id -> (kind, when, reminders left)."""

    def __init__(self) -> None:
        self._recent: OrderedDict[str, tuple[str, float, int]] = OrderedDict()

    def start(self, sender: str, kind: str) -> None:
        self._recent[sender] = (kind, time.monotonic(), FOLLOW_UP_TURNS)
        self._recent.move_to_end(sender)
        while len(self._recent) > _MAX_CONVERSATIONS:
            self._recent.popitem(last=False)

    def take(self, sender: str) -> str | None:
        found = self._recent.get(sender)
        if found is None:
            return None
        kind, when, left = found
        if time.monotonic() - when > FOLLOW_UP_SECONDS:
            del self._recent[sender]
            return None
        if left <= 1:
            del self._recent[sender]
        else:
            self._recent[sender] = (kind, when, left - 1)
        return kind

    def clear(self, sender: str) -> None:
        self._recent.pop(sender, None)


# One reminder taken, atomically: the kind, or nil when none is left (the key then goes).
_TAKE = """
local kind = redis.call('HGET', KEYS[1], 'kind')
if not kind then return false end
local left = redis.call('HINCRBY', KEYS[1], 'left', -1)
if left <= 0 then redis.call('DEL', KEYS[1]) end
if left < 0 then return false end
return kind
"""


class RedisStore:
    """Shared by every replica: a hash {kind, left} per conversation, expiring with the
    follow-up window."""

    def __init__(self, url: str, prefix: str) -> None:
        import redis  # type: ignore[import-untyped]

        self.prefix = prefix
        self.red: Any = redis.Redis.from_url(
            url, socket_timeout=REDIS_TIMEOUT, socket_connect_timeout=REDIS_TIMEOUT
        )
        self._take = self.red.register_script(_TAKE)

    def key(self, sender: str) -> str:
        return f"{self.prefix}{sender}"

    def start(self, sender: str, kind: str) -> None:
        pipe = self.red.pipeline(transaction=True)
        pipe.hset(self.key(sender), mapping={"kind": kind, "left": FOLLOW_UP_TURNS})
        pipe.expire(self.key(sender), FOLLOW_UP_SECONDS)
        pipe.execute()

    def take(self, sender: str) -> str | None:
        kind = self._take(keys=[self.key(sender)])
        return kind.decode() if isinstance(kind, bytes) else kind or None

    def clear(self, sender: str) -> None:
        self.red.delete(self.key(sender))


class FollowUps:
    """The reminders of one Rasa server: its store, and this process's memory when the store
    fails."""

    def __init__(self, store: Store | None = None) -> None:
        self.memory = MemoryStore()
        self.store: Store = store or self.memory

    def _call(self, name: str, sender: str, *args: str) -> Any:
        if self.store is self.memory:
            return getattr(self.memory, name)(sender, *args)
        try:
            return getattr(self.store, name)(sender, *args)
        except Exception as error:  # noqa: BLE001 - e.g. Redis down: the reply still goes out
            log.error("follow-up store failed (%s): using memory", type(error).__name__)
            return getattr(self.memory, name)(sender, *args)

    def answered(self, sender: str, kind: str | None) -> None:
        """Note a safety answer of this kind for the conversation."""
        if kind in _KINDS:
            self._call("start", sender, str(kind))

    def take(self, sender: str) -> str | None:
        """The kind of a reminder due now: from the store, else from this process's memory
        (where `answered` put it if the store failed then)."""
        kind = self._call("take", sender)
        if kind is None and self.store is not self.memory:
            kind = self.memory.take(sender)
        return kind

    def clear(self, sender: str) -> None:
        self._call("clear", sender)
        self.memory.clear(sender)

    def line_before(self, sender: str, text: str) -> str | None:
        """The reminder to send before this message's reply, if one is due (it counts a
        turn)."""
        if text.strip().split("{")[0] in _CLEARS or says_all_clear(text):
            self.clear(sender)
            return None
        kind = self.take(sender)
        if kind is None:
            return None
        lines: dict[str, str] = content.load("service")["after_emergency"]
        return lines.get(kind, lines["emergency"])

    # The channels' (async) side: a store other than memory is called in a worker thread.

    async def answered_async(self, sender: str, kind: str | None) -> None:
        if kind not in _KINDS:
            return
        if self.store is self.memory:
            self.answered(sender, kind)
        else:
            await asyncio.to_thread(self.answered, sender, kind)

    async def line_before_async(self, sender: str, text: str) -> str | None:
        if self.store is self.memory:
            return self.line_before(sender, text)
        return await asyncio.to_thread(self.line_before, sender, text)


def configured_store() -> Store | None:
    """Redis when one is configured: REDIS_URL, or the production profile's (the lock store's
    Redis), with the lock store's key prefix; else None (memory)."""
    from bot.ops.settings import Settings

    settings = Settings.from_env()
    if not (settings.environ.get("REDIS_URL", "").strip() or settings.production):
        return None
    stores = settings.stores  # REDIS_URL and LOCK_STORE_KEY_PREFIX, or their defaults
    return RedisStore(stores.redis_url, f"{stores.lock_key_prefix}:followup:")


@cache
def shared() -> FollowUps:
    """This process's reminders (the channels'); memory when the store's settings are
    malformed (the chat must answer: the supervisor refuses such settings at start)."""
    try:
        return FollowUps(configured_store())
    except ValueError as error:
        log.error("follow-up store not configured (%s): using memory", error)
        return FollowUps()


def answered(sender: str, kind: str | None) -> None:
    shared().answered(sender, kind)


def line_before(sender: str, text: str) -> str | None:
    return shared().line_before(sender, text)
