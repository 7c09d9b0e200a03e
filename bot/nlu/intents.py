"""Set a message's intent from one of our rule components (safety, advice, input checks)."""

from __future__ import annotations

from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY
from rasa.shared.nlu.training_data.message import Message


def force_intent(message: Message, name: str, confidence: float = 1.0, drop: tuple = ()) -> None:
    """Make ``name`` the message's intent, first in its ranking (without ``drop``'s names)."""
    chosen = {"name": name, "confidence": confidence}
    ranking = [
        r
        for r in message.get(INTENT_RANKING_KEY) or []
        if r.get("name") != name and r.get("name") not in drop
    ]
    message.set(INTENT, chosen, add_to_output=True)
    message.set(INTENT_RANKING_KEY, [chosen, *ranking], add_to_output=True)
