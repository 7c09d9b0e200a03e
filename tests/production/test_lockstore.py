"""bot.rasa.lockstore.AtomicRedisLockStore against the real Redis, from many clients at once (as
several Rasa replicas would be): no ticket is lost or issued twice, and the lock excludes."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import Iterator

import pytest
import redis

from bot.ops.production import ProductionConfig
from bot.rasa.lockstore import AtomicRedisLockStore

pytestmark = pytest.mark.production

CLIENTS = 8


@pytest.fixture
def store_args(prod_config: ProductionConfig) -> Iterator[dict[str, object]]:
    env = prod_config.lock_store_env()
    args: dict[str, object] = {
        "host": env["LOCK_STORE_HOST"],
        "port": int(env["LOCK_STORE_PORT"]),
        "db": int(env["LOCK_STORE_DB"]),
        "key_prefix": f"t{uuid.uuid4().hex[:12]}",
    }
    yield args
    client = redis.Redis(
        host=str(args["host"]), port=int(str(args["port"])), db=int(str(args["db"]))
    )
    for key in client.scan_iter(f"{args['key_prefix']}:*"):
        client.delete(key)
    client.close()


def in_parallel(work: object, count: int = CLIENTS) -> None:
    start = threading.Barrier(count)
    errors: list[BaseException] = []

    def run(i: int) -> None:
        start.wait()
        try:
            work(i)  # type: ignore[operator]
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors


def test_tickets_issued_at_once_by_many_clients_are_all_distinct(
    store_args: dict[str, object],
) -> None:
    conversation = "c-" + uuid.uuid4().hex
    issued: list[int] = []
    per_client = 25

    def issue(_: int) -> None:
        store = AtomicRedisLockStore(**store_args)  # own connection, like another replica
        for _ in range(per_client):
            issued.append(store.issue_ticket(conversation, lock_lifetime=60))

    in_parallel(issue)
    assert sorted(issued) == list(range(CLIENTS * per_client))
    store = AtomicRedisLockStore(**store_args)
    lock = store.get_lock(conversation)
    assert lock is not None and len(lock.tickets) == CLIENTS * per_client

    def give_back(i: int) -> None:
        other = AtomicRedisLockStore(**store_args)
        for ticket in issued[i::CLIENTS]:
            other.cleanup(conversation, ticket)

    in_parallel(give_back)
    assert store.get_lock(conversation) is None  # the last one out deleted it


def test_the_lock_lets_one_client_at_a_time_into_a_conversation(
    store_args: dict[str, object],
) -> None:
    conversation = "c-" + uuid.uuid4().hex
    inside = {"now": 0, "most": 0, "done": 0}
    guard = threading.Lock()

    async def one_turn(store: AtomicRedisLockStore) -> None:
        async with store.lock(conversation, lock_lifetime=30, wait_time_in_seconds=0.005):
            with guard:
                inside["now"] += 1
                inside["most"] = max(inside["most"], inside["now"])
            await asyncio.sleep(0.002)
            with guard:
                inside["now"] -= 1
                inside["done"] += 1

    def client(_: int) -> None:
        store = AtomicRedisLockStore(**store_args)

        async def turns() -> None:
            for _ in range(10):
                await one_turn(store)

        asyncio.run(turns())

    started = time.monotonic()
    in_parallel(client)
    assert inside["done"] == CLIENTS * 10
    assert inside["most"] == 1, inside
    assert time.monotonic() - started < 60  # no ticket was orphaned until it expired
