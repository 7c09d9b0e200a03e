"""A stop signal for the web app's background loops that aiohttp's shutdown does not wait on.

aiohttp 3.9's run_app, on SIGTERM, waits (up to its 60 s shutdown timeout) for every task made
after start-up before it runs the cleanup that tells the loops to stop. `asyncio.wait_for(
event.wait(), timeout)` makes a new task at each pause, so a loop pausing that way held the web
app's exit for a minute. Here one waiter task is made at start-up (inside a cleanup_ctx, before
its `yield`) and every pause waits on it.
"""

from __future__ import annotations

import asyncio


class Stopping:
    """Make it while the app starts (its waiter task must exist before start-up ends)."""

    def __init__(self) -> None:
        self._event = asyncio.Event()
        self._waiter = asyncio.ensure_future(self._event.wait())

    def set(self) -> None:
        self._event.set()

    def is_set(self) -> bool:
        return self._event.is_set()

    async def pause(self, seconds: float) -> None:
        """Sleep for `seconds`, or less if the stop comes first."""
        await asyncio.wait({self._waiter}, timeout=seconds)
