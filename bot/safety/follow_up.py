"""Right after a 911 answer, the next few messages of that conversation repeat it first.

A person told to call 911 often writes on ("should i take benadryl?", "i dont want to go to
the ER, can i just wait"); those are not alarms by themselves and used to get the
medical-advice answer and study topics. For FOLLOW_UP_TURNS messages within FOLLOW_UP_SECONDS
of an emergency or overdose answer, the channel sends the follow-up line (bot/content/
service.yml `after_emergency`) before the normal reply. "I'm safe, go on" and "Stop for now"
end it. Kept in the Rasa server's memory (bounded, no text, only a conversation id and a
time): behind several replicas a follow-up that reaches another replica goes without it.
"""

from __future__ import annotations

import time
from collections import OrderedDict

from bot import content

FOLLOW_UP_SECONDS = 15 * 60
FOLLOW_UP_TURNS = 3
_MAX_CONVERSATIONS = 10_000
# The payloads that say the person is safe or stops: no more reminders.
_CLEARS = ("/safety_resume", "/safety_stop")

# conversation id -> (kind, when, reminders left)
_recent: OrderedDict[str, tuple[str, float, int]] = OrderedDict()


def answered(sender: str, kind: str | None) -> None:
    """Note a safety answer of this kind for the conversation."""
    if kind not in ("emergency", "overdose"):
        return
    _recent[sender] = (kind, time.monotonic(), FOLLOW_UP_TURNS)
    _recent.move_to_end(sender)
    while len(_recent) > _MAX_CONVERSATIONS:
        _recent.popitem(last=False)


def line_before(sender: str, text: str) -> str | None:
    """The reminder to send before this message's reply, if one is due (it counts a turn)."""
    found = _recent.get(sender)
    if found is None:
        return None
    kind, when, left = found
    if text.strip().split("{")[0] in _CLEARS or time.monotonic() - when > FOLLOW_UP_SECONDS:
        del _recent[sender]
        return None
    if left <= 1:
        del _recent[sender]
    else:
        _recent[sender] = (kind, when, left - 1)
    lines: dict[str, str] = content.load("service")["after_emergency"]
    return lines.get(kind, lines["emergency"])
