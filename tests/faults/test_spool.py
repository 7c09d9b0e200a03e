"""bot.store.spool without Rasa: encrypted atomic files, drained once into a real store."""

from __future__ import annotations

import asyncio
import dataclasses
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from bot.store import spool
from bot.store.handoff import Handoff, HandoffStore
from bot.store.spool import Spool

EMAIL = "spool.person@example.com"


@pytest.fixture(autouse=True)
def key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HANDOFF_KEY", Fernet.generate_key().decode())


def _handoff(conversation: str) -> Handoff:
    return Handoff(
        conversation_id=conversation,
        outcome="likely_eligible",
        answers={"answers": {"age": 44}, "reasons": {}},
        contact={"name": "Spool Person", "email": EMAIL},
        consent_version="1",
        transcript=[{"who": "patient", "text": f"my email is {EMAIL}"}],
    )


def test_put_is_encrypted_private_and_one_file_per_submission(tmp_path: Path) -> None:
    box = Spool(tmp_path / "spool")
    first = box.put(_handoff("c1"))
    again = box.put(_handoff("c1"))
    box.put(_handoff("c2"))
    assert first == again and box.count() == 2
    # A later submission of the same conversation (a question after the prescreen): its own file.
    later = box.put(dataclasses.replace(_handoff("c1"), kind="question", submission_id="q2"))
    assert later != first and box.count() == 3
    later.unlink()
    assert not list((tmp_path / "spool").glob(".*.tmp"))  # no temporary files left
    for path in box.pending():
        raw = path.read_text()
        assert EMAIL not in raw and "Spool Person" not in raw and "c1" not in path.name
        assert (path.stat().st_mode & 0o777) == 0o600
    assert Spool.load(first.read_text()) == _handoff("c1")


def test_drain_stores_each_once_even_with_two_drainers(tmp_path: Path, postgres_url: str) -> None:
    box = Spool(tmp_path / "spool")
    for n in range(10):
        box.put(_handoff(f"conv-{n}"))
    store = HandoffStore(postgres_url, channels=["email"])
    errors: list[BaseException] = []

    def drain() -> None:
        try:
            box.drain(HandoffStore(postgres_url, channels=["email"]))
        except BaseException as error:  # noqa: BLE001
            errors.append(error)

    threads = [threading.Thread(target=drain) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    assert box.count() == 0
    assert store.count() == 10
    assert all(store.count(f"conv-{n}") == 1 for n in range(10))
    store.engine.dispose()


def test_drain_keeps_files_while_the_store_is_down_and_unreadable_ones(tmp_path: Path) -> None:
    box = Spool(tmp_path / "spool")
    box.put(_handoff("c1"))
    (tmp_path / "spool" / "damaged.handoff").write_text("not a token")
    down = HandoffStore.__new__(HandoffStore)  # a store whose database is gone

    def refuse(handoff: Handoff) -> tuple[str, bool]:
        raise ConnectionError("database is down")

    down.submit = refuse  # type: ignore[method-assign]
    with pytest.raises(ConnectionError):
        box.drain(down)
    assert box.count() == 2
    store = HandoffStore(f"sqlite:///{tmp_path / 'handoffs.db'}", channels=[])
    assert box.drain(store) == 1
    assert [p.name for p in box.pending()] == ["damaged.handoff"]  # left for a person
    assert store.count("c1") == 1
    store.engine.dispose()


async def until(check: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def test_background_drainer_retries_until_the_store_is_back(tmp_path: Path) -> None:
    box = Spool(tmp_path / "spool")
    box.put(_handoff("c1"))
    url = f"sqlite:///{tmp_path / 'later' / 'handoffs.db'}"  # its folder does not exist yet
    attempts = []

    def factory() -> HandoffStore:
        attempts.append(1)
        return HandoffStore(url, channels=[])

    spool.ensure_drainer(box, factory, interval=0.05)
    spool.ensure_drainer(box, factory, interval=0.05)  # one drainer at a time
    await until(lambda: len(attempts) >= 3)
    assert box.count() == 1  # still failing, still retrying, nothing lost
    (tmp_path / "later").mkdir()
    await until(lambda: box.count() == 0)
    store = HandoffStore(url, channels=[])
    assert store.count("c1") == 1
    store.engine.dispose()
