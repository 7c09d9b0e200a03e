"""A local spool for handoffs the store could not take (database down or locked).

When `HandoffStore.submit` fails, the action server writes the handoff here instead of losing
it: one file per submission under VAR_DIR/spool/ (a conversation may hand over several times),
the whole record encrypted with the store's keys (bot.store.crypto), written atomically (temporary
file, fsync, rename), so no plaintext answers or contact details ever reach the disk. A drainer
submits spooled handoffs to the store when it is back; the store is idempotent per submission,
so a handoff drained twice (two drainers, or a crash between submit and delete) is stored once.

Drainers: the action server starts one after spooling (and on each submit while files wait);
the web process runs one in the background (bot.web.server). Logs carry counts only.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
import logging
import os
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from cryptography.fernet import InvalidToken

from bot.ops.settings import Settings
from bot.store import crypto, private
from bot.store.handoff import Handoff, HandoffStore

log = logging.getLogger(__name__)

SUFFIX = ".handoff"


def default_dir() -> Path:
    return Settings.from_env().var_dir / "spool"


class Spool:
    def __init__(self, directory: Path | None = None) -> None:
        self.directory = Path(directory) if directory is not None else default_dir()

    def path_for(self, handoff: Handoff) -> Path:
        # The conversation id is a random session id, but keep even that out of file names.
        name = f"{handoff.conversation_id}\0{handoff.key()}"
        digest = hashlib.sha256(name.encode()).hexdigest()[:32]
        return self.directory / f"{digest}{SUFFIX}"

    def put(self, handoff: Handoff) -> Path:
        """Keep one handoff (encrypted) until the store takes it; atomic, durable."""
        private.directory(self.directory)
        path = self.path_for(handoff)
        token = crypto.encrypt(json.dumps(dataclasses.asdict(handoff)))
        temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(fd, "w") as handle:
                handle.write(token)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, path)
        except BaseException:
            temporary.unlink(missing_ok=True)
            raise
        directory_fd = os.open(self.directory, os.O_RDONLY)
        try:
            os.fsync(directory_fd)
        finally:
            os.close(directory_fd)
        return path

    def pending(self) -> list[Path]:
        """Spooled files, oldest first; one another drainer removes meanwhile is skipped."""
        if not self.directory.is_dir():
            return []
        found = []
        for path in self.directory.glob(f"*{SUFFIX}"):
            try:
                found.append((path.stat().st_mtime, path))
            except FileNotFoundError:
                continue
        return [path for _, path in sorted(found)]

    def count(self) -> int:
        return len(self.pending())

    @staticmethod
    def load(token: str) -> Handoff:
        fields: dict[str, Any] = json.loads(crypto.decrypt(token))
        return Handoff(**fields)

    def drain(self, store: HandoffStore) -> int:
        """Submit every spooled handoff; returns how many were stored (or found already stored).

        Stops at the first store failure (the store is still down) and raises it.
        """
        done = 0
        for path in self.pending():
            try:
                token = path.read_text()
            except FileNotFoundError:
                continue  # another drainer took it
            try:
                handoff = self.load(token)
            except (InvalidToken, ValueError, TypeError):
                # Encrypted with another key, or damaged: keep it for a person to look at.
                log.error("spool: cannot read %s; left in place", path.name)
                continue
            store.submit(handoff)  # idempotent per submission
            try:
                if path.read_text() == token:  # not replaced meanwhile
                    path.unlink()
            except FileNotFoundError:
                pass
            done += 1
        if done:
            log.info("spool: %d handoff(s) delivered to the store, %d waiting", done, self.count())
        return done


async def drain_until_empty(
    spool: Spool, store: Callable[[], HandoffStore], interval: float = 5.0
) -> None:
    """Retry every interval seconds until the spool is empty (the store factory may fail too)."""
    while spool.pending():
        try:
            await asyncio.to_thread(lambda: spool.drain(store()))
        except Exception as error:  # noqa: BLE001 - the store is still down: wait, retry
            log.warning("spool: store still unavailable (%s); retrying", type(error).__name__)
        if spool.pending():
            await asyncio.sleep(interval)


_drainers: dict[Path, asyncio.Task[None]] = {}


def ensure_drainer(
    spool: Spool, store: Callable[[], HandoffStore], interval: float | None = None
) -> None:
    """Start a background drainer on the running loop unless one is already at work."""
    task = _drainers.get(spool.directory)
    if task is not None and not task.done():
        return
    if not spool.pending():
        return
    every = interval if interval is not None else spool_interval()
    _drainers[spool.directory] = asyncio.get_running_loop().create_task(
        drain_until_empty(spool, store, every)
    )


def spool_interval() -> float:
    return Settings.from_env().spool_retry_interval


def drain_context(
    spool: Spool, store: HandoffStore, interval: float | None = None
) -> Callable[[Any], AsyncIterator[None]]:
    """For aiohttp's app.cleanup_ctx: drain the spool in the background while the app runs."""
    every = interval if interval is not None else spool_interval()

    async def context(app: Any) -> AsyncIterator[None]:
        async def loop() -> None:
            while True:
                if spool.pending():
                    try:
                        await asyncio.to_thread(spool.drain, store)
                    except Exception as error:  # noqa: BLE001 - store down: retry later
                        log.warning("spool: store unavailable (%s)", type(error).__name__)
                await asyncio.sleep(every)

        task = asyncio.create_task(loop())
        yield
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            pass

    return context
