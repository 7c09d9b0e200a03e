"""The outbox worker: delivers the notifications written with each handoff.

Each outbox row (one per handoff and channel) moves pending -> sending -> sent, or back to
pending with exponential backoff after a failure, or to failed after max_attempts (the row is
kept so the inbox can show it). A worker claims a row with a conditional UPDATE and checks the
row count, so several workers (processes or tasks) never send the same row at the same time;
this works the same on SQLite and PostgreSQL.

While a row is 'sending', next_attempt_at holds the end of the claim's lease. A worker that
dies mid-send leaves the row 'sending'; once the lease has run out another worker reclaims it.
(If the crash fell between the server accepting the message and the row being marked sent,
that notification goes out twice: delivery is exactly once except across such a crash.)

The database calls are blocking SQLAlchemy Core and run in threads (asyncio.to_thread).
Logs carry only row id, channel, reference, outcome and attempt count.

A little over 300 lines: the worker's claim, lease, send and backoff are one state machine
(pending -> sending -> sent or failed) over one table, read together.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import sqlalchemy as sa
from aiohttp import web

from bot.ops.settings import Settings
from bot.ops.stopping import Stopping
from bot.staff import notify
from bot.staff.notify import Digest, Notice, NotifySettings
from bot.store.schema import handoffs, outbox

log = logging.getLogger(__name__)

Sender = Callable[[str, Notice, NotifySettings], Awaitable[None]]
Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _aware(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; everything stored here is UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value


@dataclass(frozen=True)
class _Claim:
    row_id: int
    channel: str
    attempts: int
    notice: Notice


class OutboxWorker:
    """Delivers due outbox rows. One instance per process is enough; more are safe.

    engine: a SQLAlchemy engine (e.g. HandoffStore(...).engine) or a database URL (then the
    worker makes its own engine, which close() disposes; the schema must already exist).
    """

    def __init__(
        self,
        engine: sa.engine.Engine | str,
        settings: NotifySettings | None = None,
        *,
        max_attempts: int | None = None,
        base_delay: float = 5.0,
        max_delay: float = 600.0,
        lease: float = 300.0,
        batch_size: int = 50,
        concurrency: int = 4,
        now: Clock = utcnow,
        sender: Sender = notify.send,
    ) -> None:
        if isinstance(engine, str):
            self.engine = sa.create_engine(engine, future=True, pool_pre_ping=True)
            self._owns_engine = True
        else:
            self.engine = engine
            self._owns_engine = False
        if settings is None or max_attempts is None:
            from_env = Settings.from_env()
            settings = settings if settings is not None else from_env.notices
            if max_attempts is None:
                max_attempts = from_env.outbox_max_attempts
        self.settings = settings
        self.max_attempts = max_attempts
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.lease = timedelta(seconds=lease)
        self.batch_size = batch_size
        self.concurrency = concurrency
        self.now = now
        self.sender = sender
        # A send must end well inside the lease, or another worker could reclaim it meanwhile.
        self.send_timeout = min(self.settings.timeout * 3, lease / 2)

    def close(self) -> None:
        if self._owns_engine:
            self.engine.dispose()

    def backoff(self, attempts: int) -> float:
        """Seconds to wait after the given (1-based) failed attempt."""
        return float(min(self.max_delay, self.base_delay * 2 ** max(attempts - 1, 0)))

    # -- the loop ----------------------------------------------------------------------------

    async def run_once(self) -> int:
        """Deliver every due row once; returns how many deliveries this worker attempted."""
        now = self.now()
        due = await asyncio.to_thread(self._due, now)
        if not due:
            return 0
        limit = asyncio.Semaphore(self.concurrency)

        async def one(row_id: int, status: str, attempts: int) -> bool:
            async with limit:
                return await self._deliver(row_id, status, attempts)

        results = await asyncio.gather(*(one(*row) for row in due))
        return sum(results)

    async def run_forever(self, stop: Stopping, interval: float = 5.0) -> None:
        """Call run_once every interval seconds (at once again after a full batch) until stop."""
        while not stop.is_set():
            attempted = 0
            try:
                attempted = await self.run_once()
            except Exception as exc:  # keep the worker alive through a database outage
                log.warning("outbox: run failed: %s", type(exc).__name__)
            if attempted >= self.batch_size:
                continue
            await stop.pause(interval)

    # -- one row -----------------------------------------------------------------------------

    async def _deliver(self, row_id: int, status: str, attempts: int) -> bool:
        claim = await asyncio.to_thread(self._claim, row_id, status, attempts, self.now())
        if claim is None:
            return False  # another worker has it
        error: str | None = None
        try:
            await asyncio.wait_for(
                self.sender(claim.channel, claim.notice, self.settings), self.send_timeout
            )
        except asyncio.TimeoutError:
            error = f"timed out after {self.send_timeout:g} s"
        except Exception as exc:
            error = notify.describe(exc, self.settings)
        outcome = await asyncio.to_thread(self._finish, claim, error, self.now())
        extra = (claim.row_id, claim.channel, claim.notice.reference, claim.notice.outcome)
        if error is None:
            log.info("outbox %d %s ref=%s outcome=%s: sent (attempt %d)", *extra, claim.attempts)
        else:
            log.warning(
                "outbox %d %s ref=%s outcome=%s: attempt %d failed (%s), now %s",
                *extra,
                claim.attempts,
                error,
                outcome,
            )
        return True

    # -- database (blocking; called in threads) ----------------------------------------------

    def _due(self, now: datetime) -> list[tuple[int, str, int]]:
        due_now = sa.and_(
            outbox.c.status.in_(["pending", "sending"]), outbox.c.next_attempt_at <= now
        )
        with self.engine.begin() as connection:
            # Rows that ran out of attempts (the worker died on the last one, or the limit
            # was lowered) are given up here rather than sent again.
            connection.execute(
                outbox.update()
                .where(due_now, outbox.c.attempts >= self.max_attempts)
                .values(
                    status="failed",
                    last_error=sa.case(
                        (outbox.c.status == "sending", "lease expired during last attempt"),
                        else_=sa.func.coalesce(outbox.c.last_error, "max attempts reached"),
                    ),
                )
            )
            rows = connection.execute(
                sa.select(outbox.c.id, outbox.c.status, outbox.c.attempts)
                .where(due_now, outbox.c.attempts < self.max_attempts)
                .order_by(outbox.c.next_attempt_at, outbox.c.id)
                .limit(self.batch_size)
            ).all()
        return [(int(row.id), str(row.status), int(row.attempts)) for row in rows]

    def _claim(self, row_id: int, status: str, attempts: int, now: datetime) -> _Claim | None:
        with self.engine.begin() as connection:
            claimed = connection.execute(
                outbox.update()
                .where(
                    outbox.c.id == row_id,
                    outbox.c.status == status,
                    outbox.c.attempts == attempts,
                    outbox.c.next_attempt_at <= now,
                )
                .values(
                    status="sending",
                    attempts=outbox.c.attempts + 1,
                    next_attempt_at=now + self.lease,
                )
            )
            if claimed.rowcount != 1:
                return None
            row = connection.execute(
                sa.select(
                    outbox.c.channel,
                    outbox.c.attempts,
                    outbox.c.kind,
                    outbox.c.digest_key,
                    outbox.c.payload,
                    handoffs.c.id.label("handoff_id"),
                    handoffs.c.reference,
                    handoffs.c.outcome,
                    handoffs.c.trial,
                )
                .select_from(outbox.outerjoin(handoffs, handoffs.c.id == outbox.c.handoff_id))
                .where(outbox.c.id == row_id)
            ).one()
        notice: Notice
        if row.kind == "digest":
            notice = digest_notice(str(row.digest_key), row.payload)
        else:
            notice = Notice(
                int(row.handoff_id), str(row.reference), str(row.outcome), str(row.trial)
            )
        return _Claim(row_id, str(row.channel), int(row.attempts), notice)

    def _finish(self, claim: _Claim, error: str | None, now: datetime) -> str:
        if error is None:
            values: dict[str, Any] = {"status": "sent", "sent_at": now, "last_error": None}
        elif claim.attempts >= self.max_attempts:
            values = {"status": "failed", "last_error": error}
        else:
            delay = timedelta(seconds=self.backoff(claim.attempts))
            values = {"status": "pending", "next_attempt_at": now + delay, "last_error": error}
        with self.engine.begin() as connection:
            done = connection.execute(
                outbox.update()
                .where(
                    outbox.c.id == claim.row_id,
                    outbox.c.status == "sending",
                    outbox.c.attempts == claim.attempts,
                )
                .values(**values)
            )
        if done.rowcount != 1:
            log.warning(
                "outbox %d %s: lease lost before the result was saved", claim.row_id, claim.channel
            )
            return "lease lost"
        return str(values["status"])


def digest_notice(key: str, payload: str | None) -> Digest:
    data = json.loads(payload or "{}")
    items = tuple(
        (str(i["reference"]), str(i["outcome"]), str(i["waited"]), int(i["id"]))
        for i in data.get("items", [])
    )
    return Digest(
        0,
        key,
        "digest",
        day=str(data.get("day", "")),
        target=str(data.get("target", "")),
        items=items,
    )


def delivery_status(engine: sa.engine.Engine, handoff_id: int) -> list[dict[str, Any]]:
    """Per-channel delivery state of one handoff, for the staff inbox (blocking)."""
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(
                outbox.c.channel,
                outbox.c.status,
                outbox.c.attempts,
                outbox.c.last_error,
                outbox.c.sent_at,
            )
            .where(outbox.c.handoff_id == handoff_id)
            .order_by(outbox.c.channel)
        ).all()
    return [
        {
            "channel": row.channel,
            "status": row.status,
            "attempts": row.attempts,
            "last_error": row.last_error,
            "sent_at": _aware(row.sent_at),
        }
        for row in rows
    ]


def worker_context(
    worker: OutboxWorker, interval: float = 5.0
) -> Callable[[web.Application], AsyncIterator[None]]:
    """For app.cleanup_ctx: run the worker in the background while the app is up."""

    async def context(app: web.Application) -> AsyncIterator[None]:
        stop = Stopping()
        task = asyncio.create_task(worker.run_forever(stop, interval))
        yield
        stop.set()
        try:
            await asyncio.wait_for(task, timeout=worker.send_timeout + 5)
        except asyncio.TimeoutError:
            pass  # wait_for has cancelled it; an unfinished claim is reclaimed after the lease
        worker.close()

    return context
