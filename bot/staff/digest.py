"""The daily digest of overdue records: once a working day, at DIGEST_TIME in the team's time
zone, one outbox row per notification channel lists the new records that have waited past the
follow-up target (reference, outcome, how long; no health or contact details). The outbox
worker delivers it like any notice (bot.store.outbox); the day is the row's key, so several web
replicas make it once. Nothing is sent on a day with no overdue record."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa
from aiohttp import web

from bot.ops.stopping import Stopping
from bot.staff.workhours import WorkHours
from bot.store.schema import handoffs, outbox

log = logging.getLogger(__name__)


def overdue(engine: sa.engine.Engine, hours: WorkHours, now: datetime) -> list[dict[str, Any]]:
    """New records waiting past the target, oldest first: id, reference, outcome, created_at."""
    cutoff = hours.cutoff(now)
    query = (
        sa.select(handoffs.c.id, handoffs.c.reference, handoffs.c.outcome, handoffs.c.created_at)
        .where(handoffs.c.status == "new", handoffs.c.created_at <= cutoff)
        .order_by(handoffs.c.created_at, handoffs.c.id)
    )
    with engine.connect() as connection:
        rows = connection.execute(query).mappings().all()
    found = []
    for row in rows:
        created = row["created_at"]
        if created.tzinfo is None:
            created = created.replace(tzinfo=timezone.utc)
        found.append({**dict(row), "created_at": created})
    return found


def make(
    engine: sa.engine.Engine,
    channels: list[str],
    hours: WorkHours,
    now: datetime | None = None,
    *,
    force: bool = False,
) -> int:
    """Write today's digest rows if it is time (or force) and there is anything overdue;
    returns how many rows were written (0: not time yet, nothing overdue, or already made)."""
    now = now or datetime.now(timezone.utc)
    local = hours.local(now)
    if not force and (not hours.is_working_day(local.date()) or local.time() < hours.digest_at):
        return 0
    key = f"digest-{local.date().isoformat()}"
    with engine.connect() as connection:
        made = connection.execute(
            sa.select(sa.func.count()).select_from(outbox).where(outbox.c.digest_key == key)
        ).scalar_one()
    if made:
        return 0
    records = overdue(engine, hours, now)
    if not records or not channels:
        return 0
    payload = json.dumps(
        {
            "day": local.date().isoformat(),
            "target": hours.describe_target(),
            "items": [
                {
                    "id": r["id"],
                    "reference": r["reference"],
                    "outcome": r["outcome"],
                    "waited": hours.waited(r["created_at"], now),
                }
                for r in records
            ],
        }
    )
    written = 0
    for channel in channels:
        try:
            with engine.begin() as connection:
                connection.execute(
                    outbox.insert().values(
                        handoff_id=None,
                        kind="digest",
                        digest_key=key,
                        payload=payload,
                        channel=channel,
                        status="pending",
                        attempts=0,
                        next_attempt_at=now,
                    )
                )
            written += 1
        except sa.exc.IntegrityError:
            pass  # another replica made it at the same moment
    log.info("digest %s: %d overdue record(s), %d channel(s)", key, len(records), written)
    return written


def digest_context(
    engine: sa.engine.Engine,
    channels: list[str],
    hours: WorkHours,
    interval: float = 60.0,
    now: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
) -> Callable[[web.Application], AsyncIterator[None]]:
    """For app.cleanup_ctx: check once a minute whether today's digest is due."""

    async def context(app: web.Application) -> AsyncIterator[None]:
        stop = Stopping()

        async def loop() -> None:
            while not stop.is_set():
                try:
                    await asyncio.to_thread(make, engine, channels, hours, now())
                except Exception as error:  # keep going through a database outage
                    log.warning("digest: %s", type(error).__name__)
                await stop.pause(interval)

        task = asyncio.create_task(loop())
        yield
        stop.set()
        await task

    return context


def main() -> int:
    """`python -m bot digest`: make today's digest now (the web app's worker sends it)."""
    from bot.ops.settings import Settings
    from bot.store.handoff import HandoffStore

    settings = Settings.from_env()
    store = HandoffStore(settings=settings)
    try:
        written = make(store.engine, store.channels, settings.hours, force=True)
    finally:
        store.engine.dispose()
    if not store.channels:
        print("No notification channel is set up (NOTIFY_EMAIL_TO, NOTIFY_WEBHOOK_URL).")
        return 1
    print(f"Digest rows written: {written} (0: nothing overdue, or already made today).")
    return 0
