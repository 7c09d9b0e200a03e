"""Rasa's Redis lock store, with every change to a conversation's lock made atomically.

Rasa Open Source 3.6's RedisLockStore reads a lock, changes it in Python and writes it back
(GET then SET). Within one Rasa process that is safe; across replicas it is not: when two
messages of one conversation reach two replicas at the same moment, a ticket can be lost or
issued twice (the maintainers called it "far from atomic" in RasaHQ/rasa PR 3933; the fix,
ConcurrentRedisLockStore, is Rasa Pro only). We saw the result in tests/production: a reply
held until the orphaned ticket expired (60 s). This subclass does each read-change-write in a
Redis transaction (WATCH/MULTI/EXEC, retried on conflict), so the ticket queue stays exact.

Selected in deploy/endpoints.production.yml with `type: bot.rasa.lockstore.AtomicRedisLockStore`
and the same settings as Rasa's `type: redis`.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable
from typing import Any

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

# Keep a lock key this long after its last ticket expires, so a crashed replica leaves no
# lasting garbage in Redis (the tickets themselves expire after TICKET_LOCK_LIFETIME).
KEY_GRACE_SECONDS = 60

# What a change does with the lock afterwards.
SAVE, DELETE, KEEP = "save", "delete", "keep"
Change = Callable[[TicketLock | None], tuple[str, TicketLock | None, Any]]


class AtomicRedisLockStore(RedisLockStore):
    def __init__(self, endpoint_config: EndpointConfig | None = None, **kwargs: Any) -> None:
        if endpoint_config is not None:
            kwargs = {
                "host": endpoint_config.url or "localhost",
                **endpoint_config.kwargs,
                **kwargs,
            }
        if isinstance(kwargs.get("use_ssl"), str):  # from ${...}: the string "false" is truthy
            kwargs["use_ssl"] = kwargs["use_ssl"].strip().lower() in ("1", "true", "yes")
        super().__init__(**kwargs)

    def _change(self, conversation_id: str, change: Change) -> Any:
        key = self.key_prefix + conversation_id

        def transaction(pipe: Any) -> Any:
            raw = pipe.get(key)
            lock = TicketLock.from_dict(json.loads(raw)) if raw else None
            action, new, value = change(lock)
            pipe.multi()
            if action == SAVE and new is not None:
                expires = max((t.expires for t in new.tickets), default=time.time())
                ttl = max(1, math.ceil(expires - time.time())) + KEY_GRACE_SECONDS
                pipe.set(key, new.dumps(), ex=ttl)
            elif action == DELETE:
                pipe.delete(key)
            return value

        return self.red.transaction(transaction, key, value_from_callable=True)

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        def issue(lock: TicketLock | None) -> tuple[str, TicketLock, int]:
            lock = lock or self.create_lock(conversation_id)
            return SAVE, lock, lock.issue_ticket(lock_lifetime)

        try:
            return int(self._change(conversation_id, issue))
        except Exception as error:
            raise LockError(f"Error while acquiring lock. Error:\n{error}") from error

    def update_lock(self, conversation_id: str) -> None:
        def drop_expired(lock: TicketLock | None) -> tuple[str, TicketLock | None, None]:
            if lock is None:
                return KEEP, None, None
            lock.remove_expired_tickets()
            return SAVE, lock, None

        self._change(conversation_id, drop_expired)

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        def finish(lock: TicketLock | None) -> tuple[str, TicketLock | None, None]:
            if lock is None:
                return KEEP, None, None
            lock.remove_ticket_for(ticket_number)
            return SAVE, lock, None

        self._change(conversation_id, finish)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        """Give the ticket back; delete the lock only if no one else holds a ticket."""

        def give_back(lock: TicketLock | None) -> tuple[str, TicketLock | None, None]:
            if lock is None:
                return KEEP, None, None
            lock.remove_ticket_for(ticket_number)
            return (SAVE if lock.is_someone_waiting() else DELETE), lock, None

        self._change(conversation_id, give_back)
