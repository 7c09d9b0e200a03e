"""bot.store.outbox / bot.staff.notify against a real SMTP server (aiosmtpd), a real HTTP
webhook receiver (aiohttp) and real databases (a SQLite file; the PostgreSQL server on this
machine)."""

from __future__ import annotations

import asyncio
import email
import email.policy
import json
import logging
import socket
import threading
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from aiohttp import web
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from bot.staff.notify import Notice, NotifySettings
from bot.store.handoff import Handoff, HandoffStore
from bot.store.outbox import OutboxWorker, delivery_status, worker_context
from bot.store.schema import handoffs, outbox

# Personal details that must never leave the database in a notification or a log line.
NAME = "Zebedee Quixote"
PATIENT_EMAIL = "zq.patient@example.org"
PHONE = "+44 7700 900123"
ANSWER = "flare-on-forearms-since-2019"
PERSONAL = (NAME, PATIENT_EMAIL, PHONE, "7700 900123", ANSWER)
STAFF_EMAIL = "staff@study.example"
INBOX = "https://inbox.study.example"


# -- servers ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Mailbox:
    """aiosmtpd handler keeping every message it accepts."""

    def __init__(self) -> None:
        self.envelopes: list[Envelope] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    def texts(self) -> list[str]:
        """Each message as headers plus decoded body (no transfer encoding in the way)."""
        texts = []
        for envelope in self.envelopes:
            raw = envelope.content
            data = raw.encode() if isinstance(raw, str) else bytes(raw or b"")
            message = email.message_from_bytes(data, policy=email.policy.default)
            assert isinstance(message, EmailMessage)
            body = message.get_body()
            assert body is not None
            headers = "".join(f"{key}: {value}\n" for key, value in message.items())
            texts.append(headers + "\n" + str(body.get_content()))
        return texts


class SmtpServer:
    def __init__(self) -> None:
        self.port = free_port()
        self.mailbox = Mailbox()
        self.controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)
        self.running = False

    def start(self) -> None:
        self.controller.start()
        self.running = True

    def stop(self) -> None:
        if self.running:
            self.controller.stop()
            self.running = False


class Receiver:
    """Incoming-webhook endpoint; answers with the queued statuses, then 200."""

    def __init__(self) -> None:
        self.statuses: list[int] = []
        self.requests: list[tuple[int, dict[str, Any]]] = []
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        payload = await request.json()
        status = self.statuses.pop(0) if self.statuses else 200
        self.requests.append((status, payload))
        return web.json_response({"ok": status == 200}, status=status)

    @property
    def delivered(self) -> list[dict[str, Any]]:
        return [payload for status, payload in self.requests if status == 200]


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def smtp_down() -> Iterator[SmtpServer]:
    """A server on a reserved port that is not started yet."""
    server = SmtpServer()
    yield server
    server.stop()


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    made = Receiver()
    app = web.Application()
    app.router.add_post("/hook/{token}", made.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    made.url = f"http://127.0.0.1:{port}/hook/T0KEN-secret"
    yield made
    await runner.cleanup()


def notify_settings(smtp_port: int, webhook_url: str) -> NotifySettings:
    return NotifySettings(
        smtp_host="127.0.0.1",
        smtp_port=smtp_port,
        email_from="trial-assistant@study.example",
        email_to=(STAFF_EMAIL,),
        webhook_url=webhook_url,
        inbox_url=INBOX,
        timeout=2.0,
    )


# -- databases -------------------------------------------------------------------------------


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'handoffs.db'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'handoffs.db'}"
    return str(request.getfixturevalue("postgres_url"))


Stores = list[HandoffStore]


@pytest.fixture
def stores() -> Iterator[Stores]:
    made: Stores = []
    yield made
    for store in made:
        store.engine.dispose()


@pytest.fixture
def workers() -> Iterator[list[OutboxWorker]]:
    made: list[OutboxWorker] = []
    yield made
    for worker in made:
        worker.close()


def make_store(stores: Stores, url: str, channels: list[str]) -> HandoffStore:
    store = HandoffStore(url, channels=channels)
    stores.append(store)
    return store


def submit(store: HandoffStore, outcome: str = "likely_eligible") -> tuple[int, str]:
    conversation = f"test-{uuid.uuid4().hex}"
    reference, created = store.submit(
        Handoff(
            conversation_id=conversation,
            outcome=outcome,
            answers={"answers": {"rash_location": ANSWER}, "reasons": {}},
            contact={"name": NAME, "email": PATIENT_EMAIL, "phone": PHONE},
            consent_version="1.0",
        )
    )
    assert created
    with store.engine.connect() as connection:
        handoff_id = connection.execute(
            sa.select(handoffs.c.id).where(handoffs.c.reference == reference)
        ).scalar_one()
    return int(handoff_id), reference


class Clock:
    """A controllable 'now' for the worker, starting just after the real one."""

    def __init__(self) -> None:
        self.value = datetime.now(timezone.utc) + timedelta(seconds=1)

    def __call__(self) -> datetime:
        return self.value

    def advance(self, seconds: float) -> None:
        self.value += timedelta(seconds=seconds)


def rows(engine: sa.engine.Engine) -> list[dict[str, Any]]:
    with engine.connect() as connection:
        found = connection.execute(sa.select(outbox).order_by(outbox.c.id)).mappings().all()
    return [dict(row) for row in found]


async def wait_until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met before the deadline")
        await asyncio.sleep(0.02)


class RacingWorker(OutboxWorker):
    barrier: threading.Barrier | None = None
    seen: int = 0

    def _due(self, now: datetime) -> list[tuple[int, str, int]]:
        due = super()._due(now)
        if self.barrier is not None:
            self.barrier.wait(timeout=10)
            self.barrier = None
            self.seen = len(due)
        return due


# -- tests -----------------------------------------------------------------------------------


async def test_delivered_by_email_and_webhook_exactly_once(
    db_url: str,
    smtp: SmtpServer,
    receiver: Receiver,
    stores: Stores,
    workers: list[OutboxWorker],
) -> None:
    store = make_store(stores, db_url, ["email", "webhook"])
    handoff_id, reference = submit(store)
    worker = OutboxWorker(store.engine, notify_settings(smtp.port, receiver.url))
    workers.append(worker)

    assert await worker.run_once() == 2
    assert await worker.run_once() == 0

    assert len(smtp.mailbox.envelopes) == 1
    assert smtp.mailbox.envelopes[0].rcpt_tos == [STAFF_EMAIL]
    assert len(receiver.requests) == 1
    assert receiver.delivered[0]["reference"] == reference
    status = delivery_status(store.engine, handoff_id)
    assert [(s["channel"], s["status"], s["attempts"]) for s in status] == [
        ("email", "sent", 1),
        ("webhook", "sent", 1),
    ]
    assert all(s["sent_at"] is not None and s["sent_at"].tzinfo for s in status)


async def test_messages_name_reference_and_outcome_but_nothing_personal(
    sqlite_url: str,
    smtp: SmtpServer,
    receiver: Receiver,
    stores: Stores,
    workers: list[OutboxWorker],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="bot")
    store = make_store(stores, sqlite_url, ["email", "webhook"])
    handoff_id, reference = submit(store, outcome="needs_review")
    worker = OutboxWorker(store.engine, notify_settings(smtp.port, receiver.url))
    workers.append(worker)
    await worker.run_once()

    link = f"{INBOX}/staff/handoffs/{handoff_id}"
    [mail] = smtp.mailbox.texts()
    assert f"Subject: New candidate (needs staff review), ref {reference}" in mail
    assert f"reference {reference}" in mail and link in mail
    [payload] = receiver.delivered
    assert payload == {
        "text": (
            f"A new person for the ruxolitinib cream study (needs staff review), "
            f"reference {reference}. Open the staff inbox: {link}"
        ),
        "reference": reference,
        "outcome": "needs_review",
        "trial": "NCT06857240",
        "url": link,
    }
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("bot"))
    assert reference in logged
    for text in (mail, json.dumps(payload), logged):
        for secret in PERSONAL:
            assert secret not in text


async def test_smtp_down_then_back_is_retried_with_backoff_and_sent_once(
    sqlite_url: str,
    smtp_down: SmtpServer,
    stores: Stores,
    workers: list[OutboxWorker],
) -> None:
    store = make_store(stores, sqlite_url, ["email"])
    handoff_id, _ = submit(store)
    clock = Clock()
    worker = OutboxWorker(
        store.engine, notify_settings(smtp_down.port, ""), base_delay=5.0, now=clock
    )
    workers.append(worker)

    assert await worker.run_once() == 1  # connection refused
    [row] = rows(store.engine)
    assert (row["status"], row["attempts"]) == ("pending", 1)
    assert row["last_error"] and "SMTP" in row["last_error"]
    clock.advance(4.9)
    assert await worker.run_once() == 0  # still backing off (5 s)
    clock.advance(0.1)
    assert await worker.run_once() == 1  # second failure: next in 10 s
    clock.advance(9.9)
    assert await worker.run_once() == 0

    await asyncio.to_thread(smtp_down.start)
    clock.advance(0.1)
    assert await worker.run_once() == 1
    clock.advance(3600)
    assert await worker.run_once() == 0
    assert len(smtp_down.mailbox.envelopes) == 1
    [status] = delivery_status(store.engine, handoff_id)
    assert (status["status"], status["attempts"], status["last_error"]) == ("sent", 3, None)


async def test_webhook_500_then_200_records_attempts(
    sqlite_url: str,
    receiver: Receiver,
    stores: Stores,
    workers: list[OutboxWorker],
) -> None:
    store = make_store(stores, sqlite_url, ["webhook"])
    handoff_id, _ = submit(store)
    receiver.statuses = [500]
    clock = Clock()
    worker = OutboxWorker(store.engine, notify_settings(1, receiver.url), now=clock)
    workers.append(worker)

    assert await worker.run_once() == 1
    [status] = delivery_status(store.engine, handoff_id)
    assert status["status"] == "pending" and status["attempts"] == 1
    assert status["last_error"] == "webhook answered HTTP 500"
    clock.advance(5)
    assert await worker.run_once() == 1
    assert await worker.run_once() == 0
    assert [code for code, _ in receiver.requests] == [500, 200]
    [status] = delivery_status(store.engine, handoff_id)
    assert (status["status"], status["attempts"], status["last_error"]) == ("sent", 2, None)


async def test_gives_up_after_max_attempts_and_keeps_the_row(
    sqlite_url: str,
    receiver: Receiver,
    stores: Stores,
    workers: list[OutboxWorker],
) -> None:
    store = make_store(stores, sqlite_url, ["webhook"])
    handoff_id, _ = submit(store)
    receiver.statuses = [503] * 10
    clock = Clock()
    worker = OutboxWorker(
        store.engine, notify_settings(1, receiver.url), max_attempts=3, base_delay=1, now=clock
    )
    workers.append(worker)

    for _ in range(3):
        assert await worker.run_once() == 1
        clock.advance(600)
    assert await worker.run_once() == 0
    assert len(receiver.requests) == 3
    [status] = delivery_status(store.engine, handoff_id)
    assert status == {
        "channel": "webhook",
        "status": "failed",
        "attempts": 3,
        "last_error": "webhook answered HTTP 503",
        "sent_at": None,
    }


async def test_backoff_doubles_and_is_capped() -> None:
    worker = OutboxWorker("sqlite://", NotifySettings(), base_delay=5, max_delay=600)
    assert [worker.backoff(n) for n in (1, 2, 3, 4, 8, 20)] == [5, 10, 20, 40, 600, 600]
    worker.close()


async def test_two_workers_send_each_notification_once(
    db_url: str,
    smtp: SmtpServer,
    receiver: Receiver,
    stores: Stores,
    workers: list[OutboxWorker],
) -> None:
    store = make_store(stores, db_url, ["email", "webhook"])
    references = {submit(store)[1] for _ in range(10)}
    settings = notify_settings(smtp.port, receiver.url)
    # Separate engines, as two processes would have; both see all 20 rows due before either
    # claims one, so every row is contended.
    barrier = threading.Barrier(2)
    first, second = RacingWorker(db_url, settings), RacingWorker(db_url, settings)
    first.barrier = second.barrier = barrier
    workers.extend([first, second])

    attempted = await asyncio.gather(first.run_once(), second.run_once())
    assert first.seen == second.seen == 20
    assert sum(attempted) == 20
    assert await first.run_once() + await second.run_once() == 0
    assert len(smtp.mailbox.envelopes) == 10
    mailed = {text.split("ref ")[1][:4] for text in smtp.mailbox.texts()}
    assert mailed == references
    assert sorted(p["reference"] for p in receiver.delivered) == sorted(references)
    assert len(receiver.requests) == 10
    assert {(r["status"], r["attempts"]) for r in rows(store.engine)} == {("sent", 1)}


async def test_row_left_sending_by_a_dead_worker_is_reclaimed_after_the_lease(
    sqlite_url: str,
    receiver: Receiver,
    stores: Stores,
    workers: list[OutboxWorker],
) -> None:
    store = make_store(stores, sqlite_url, ["webhook"])
    submit(store)
    clock = Clock()
    with store.engine.begin() as connection:  # claimed by a worker that then died
        connection.execute(
            outbox.update().values(
                status="sending", attempts=1, next_attempt_at=clock() + timedelta(seconds=300)
            )
        )
    worker = OutboxWorker(store.engine, notify_settings(1, receiver.url), lease=300, now=clock)
    workers.append(worker)

    clock.advance(299)
    assert await worker.run_once() == 0  # lease still held
    clock.advance(1)
    assert await worker.run_once() == 1
    assert len(receiver.delivered) == 1
    [row] = rows(store.engine)
    assert (row["status"], row["attempts"]) == ("sent", 2)


async def test_runs_in_the_background_of_an_aiohttp_app(
    sqlite_url: str,
    smtp: SmtpServer,
    receiver: Receiver,
    stores: Stores,
) -> None:
    store = make_store(stores, sqlite_url, ["email", "webhook"])
    worker = OutboxWorker(store.engine, notify_settings(smtp.port, receiver.url))
    app = web.Application()
    app.cleanup_ctx.append(worker_context(worker, interval=0.05))
    runner = web.AppRunner(app)
    await runner.setup()
    try:
        await asyncio.to_thread(submit, store)
        await wait_until(lambda: len(smtp.mailbox.envelopes) == 1 and len(receiver.delivered) == 1)
    finally:
        started = time.monotonic()
        await runner.cleanup()
        assert time.monotonic() - started < 2
    assert {r["status"] for r in rows(store.engine)} == {"sent"}


def test_labels_and_settings_from_env() -> None:
    settings = NotifySettings.from_env(
        {
            "SMTP_PORT": "2525",
            "SMTP_STARTTLS": "true",
            "NOTIFY_EMAIL_TO": "a@x.example, b@x.example",
            "INBOX_URL": "https://inbox.example/",
        }
    )
    assert settings.smtp_host == "127.0.0.1" and settings.smtp_port == 2525
    assert settings.smtp_starttls and settings.smtp_username is None
    assert settings.email_to == ("a@x.example", "b@x.example")
    assert settings.email_from == "trial-assistant@localhost" and settings.webhook_url == ""
    assert NotifySettings.from_env({}).smtp_port == 25
    assert not NotifySettings.from_env({}).smtp_starttls
    subjects = [
        Notice(7, "K7Q2", outcome).subject for outcome in ("likely_eligible", "question", "x")
    ]
    assert subjects == [
        "New candidate (likely eligible), ref K7Q2",
        "New candidate (question for the team), ref K7Q2",
        "New candidate (needs staff review), ref K7Q2",
    ]
    assert Notice(7, "K7Q2", "question").text(settings) == (
        "A new person for the ruxolitinib cream study (question for the team), reference K7Q2. "
        "Open the staff inbox: https://inbox.example/staff/handoffs/7"
    )
