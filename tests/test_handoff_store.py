"""bot.store.handoff against a real SQLite file and the real PostgreSQL server on this machine."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.store.handoff import Handoff, HandoffStore, new_reference
from bot.store.schema import handoffs, outbox
from tests.conftest import POSTGRES_URL


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[HandoffStore]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'handoffs.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    made = HandoffStore(url, channels=["email", "webhook"])
    yield made
    made.engine.dispose()


def _handoff(conversation_id: str) -> Handoff:
    return Handoff(
        conversation_id=conversation_id,
        outcome="likely_eligible",
        answers={"answers": {"age": 52}, "reasons": {"age": {"status": "pass", "text": "ok"}}},
        contact={"name": "Test Person", "email": "t@example.com", "phone": None},
        consent_version="1.0",
        consent_at="2026-11-25T04:00:00+00:00",
        share_consent_at="2026-11-25T04:02:00+00:00",
    )


def test_a_reference_always_has_a_letter() -> None:
    # An all-digit code ("3767", about 1 in 230 draws) would read as a record id in
    # /staff/handoffs/<code>; 5,000 draws of the old code almost surely held one.
    codes = [new_reference() for _ in range(5000)]
    assert all(not code.isdigit() and len(code) == 4 for code in codes)


def test_submit_once_and_read_back(store: HandoffStore) -> None:
    conversation = f"test-{uuid.uuid4().hex}"
    reference, created = store.submit(_handoff(conversation))
    assert created and len(reference) == 4
    again, created_again = store.submit(_handoff(conversation))
    assert (again, created_again) == (reference, False)
    assert store.count(conversation) == 1
    record = store.get(conversation)
    assert record is not None
    assert record["answers"]["answers"] == {"age": 52}
    assert record["contact"]["email"] == "t@example.com"
    assert record["status"] == "new" and record["outcome"] == "likely_eligible"


def test_concurrent_retries_make_one_record(store: HandoffStore) -> None:
    conversation = f"test-{uuid.uuid4().hex}"
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: store.submit(_handoff(conversation)), range(16)))
    assert len({reference for reference, _ in results}) == 1
    assert sum(created for _, created in results) == 1
    assert store.count(conversation) == 1


def test_outbox_rows_written_with_the_handoff(store: HandoffStore) -> None:
    conversation = f"test-{uuid.uuid4().hex}"
    store.submit(_handoff(conversation))
    store.submit(_handoff(conversation))
    with store.engine.connect() as connection:
        rows = connection.execute(
            sa.select(outbox.c.channel, outbox.c.status)
            .join(handoffs, handoffs.c.id == outbox.c.handoff_id)
            .where(handoffs.c.conversation_id == conversation)
        ).all()
    assert sorted(rows) == [("email", "pending"), ("webhook", "pending")]


def test_contact_details_are_encrypted_at_rest(store: HandoffStore) -> None:
    conversation = f"test-{uuid.uuid4().hex}"
    store.submit(_handoff(conversation))
    with store.engine.connect() as connection:
        raw = connection.execute(
            sa.select(handoffs.c.contact).where(handoffs.c.conversation_id == conversation)
        ).scalar_one()
    assert "t@example.com" not in raw and "Test Person" not in raw


def test_postgres_really_is_postgres() -> None:
    engine = sa.create_engine(POSTGRES_URL, future=True)
    with engine.connect() as connection:
        assert "PostgreSQL" in connection.execute(sa.text("select version()")).scalar_one()
    engine.dispose()
