"""The notification channels are down for a long time: the worker gives up after its attempts,
and the handoff stays in the inbox, marked undelivered (list and detail page)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from aiohttp.test_utils import TestClient, TestServer
from cryptography.fernet import Fernet

from bot.staff.notify import NotifySettings
from bot.store.handoff import HandoffStore
from bot.store.outbox import OutboxWorker, delivery_status
from tests.conftest import free_port
from tests.web.conftest import API_TOKEN, handoff, login, seed, staff_app


async def test_undelivered_handoff_stays_visible(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HANDOFF_KEY", Fernet.generate_key().decode())
    url = f"sqlite:///{tmp_path / 'handoffs.db'}"
    seed(url)  # three earlier handoffs (no channels) and the staff user
    store = HandoffStore(url, channels=["email", "webhook"])
    reference, _ = store.submit(handoff("c-undelivered"))
    record = store.get("c-undelivered")
    assert record is not None
    dead = free_port()  # nothing listens here: SMTP server and webhook both down
    settings = NotifySettings(
        smtp_port=dead,
        email_to=("coordinator@example.org",),
        webhook_url=f"http://127.0.0.1:{dead}/hook",
        timeout=2.0,
    )
    now = [datetime.now(timezone.utc)]
    worker = OutboxWorker(store.engine, settings, max_attempts=8, now=lambda: now[0])
    attempts = 0
    for _ in range(20):  # about 3 hours of outage, in the worker's own clock
        attempts += await worker.run_once()
        now[0] += timedelta(minutes=10)
    assert attempts == 16  # 8 per channel, then it gave up
    assert {d["status"] for d in delivery_status(store.engine, record["id"])} == {"failed"}
    store.engine.dispose()

    app = staff_app(url)
    async with TestClient(TestServer(app)) as client:
        assert await login(client) == 303
        listing = await (await client.get("/staff/handoffs")).text()
        assert reference in listing
        row = listing[listing.index(reference) :].split("</tr>", 1)[0]
        assert "notice undelivered" in row
        assert listing.count("notice undelivered") == 1  # only the one whose notice failed
        detail = await (await client.get(f"/staff/handoffs/{record['id']}")).text()
        assert detail.count("undelivered (failed)") == 2
        api = await client.get("/api/handoffs", headers={"Authorization": f"Bearer {API_TOKEN}"})
        assert reference in await api.text()
