"""Which trial a conversation is about: each action reads that trial's content (bot.content).

The page's widget sends its trial id in every message's metadata (socket.io and REST
`metadata: {"trial": ...}`); Rasa 3.6 keeps a message's metadata in its user event. A
prescreen or question keeps the trial it began with (its state's trial), so a later
message cannot switch the questions under it. No id, or one this deployment does not serve:
the default trial (bot.content.known).
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from rasa_sdk import Tracker

from bot import content
from bot.prescreen import dialogue as prescreen

STATE_SLOT = "prescreen"
R = TypeVar("R")


def trial_of(tracker: Tracker) -> str | None:
    """The trial id of this conversation: its running prescreen's, else the latest message's
    (a prescreen that has ended no longer holds the conversation to its trial)."""
    slot = tracker.slots.get(STATE_SLOT) if isinstance(tracker.slots, dict) else None
    state = prescreen.from_slot(slot)
    if state is not None and state.running and isinstance(state.trial, str):
        return state.trial
    latest = (tracker.latest_message or {}).get("metadata")
    if isinstance(latest, dict) and isinstance(latest.get("trial"), str):
        return str(latest["trial"])
    for event in reversed(tracker.events or []):
        metadata = event.get("metadata") if event.get("event") == "user" else None
        found = metadata.get("trial") if isinstance(metadata, dict) else None
        if isinstance(found, str):
            return found
    return None


Run = Callable[..., Awaitable[R]]


def for_trial(run: Run[R]) -> Run[R]:
    """Run an action's ``run(dispatcher, tracker, domain)`` with its conversation's trial."""

    @functools.wraps(run)
    async def wrapped(self: Any, dispatcher: Any, tracker: Tracker, domain: Any) -> R:
        with content.serving(trial_of(tracker)):
            return await run(self, dispatcher, tracker, domain)

    return wrapped
