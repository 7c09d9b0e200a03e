"""Spot messages that must get the emergency or crisis answer, from reviewed patterns."""

from __future__ import annotations

import re
from functools import cache

from bot import content

# Checked in this order: a message that reads as both gets the emergency answer, which also
# tells the person to call 911.
KINDS = ("emergency", "crisis")


@cache
def _patterns() -> dict[str, re.Pattern[str]]:
    raw: dict[str, list[str]] = content.load("safety")
    return {
        kind: re.compile("|".join(rf"\b(?:{p})\b" for p in raw[kind]), re.IGNORECASE)
        for kind in KINDS
    }


def _normalise(text: str) -> str:
    # Curly apostrophes from phone keyboards, and runs of white space.
    return " ".join(text.replace("\u2019", "'").replace("\u2018", "'").split())


def classify(text: str) -> str | None:
    """Return "emergency", "crisis" or None for a user's message."""
    cleaned = _normalise(text)
    for kind, pattern in _patterns().items():
        if pattern.search(cleaned):
            return kind
    return None
