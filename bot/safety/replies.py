"""What the channels say themselves: safety answers when Rasa cannot, "too long", "possible".

The safety answers are the domain's responses (`utter_<kind>` in domain.yml), so there is one
text for each; the channel sends it only when Rasa produced no reply at all.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from bot import content
from bot.safety import patterns

ROOT = Path(__file__).resolve().parents[2]


@cache
def _domain() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    return data


def _domain_responses() -> dict[str, Any]:
    responses: dict[str, Any] = _domain()["responses"]
    return responses


def domain_intents() -> list[str]:
    """The intent names of the domain (a "/name" payload is a button, not words)."""
    intents = _domain().get("intents", [])
    return [next(iter(i)) if isinstance(i, dict) else str(i) for i in intents]


def no_reply() -> str:
    """The apology for a turn that produced no reply (bot/content/service.yml)."""
    return " ".join(str(content.load("service")["no_reply"]).split())


def response(name: str) -> dict[str, Any] | None:
    """The domain's response `name` as one message: {"text", "buttons"}."""
    variants = _domain_responses().get(name)
    if not variants:
        return None
    first = variants[0]
    return {"text": " ".join(str(first["text"]).split()), "buttons": first.get("buttons", [])}


def responses() -> dict[str, list[dict[str, Any]]]:
    """Every response of the domain with all its variants, each {"text", "buttons"}."""
    return {
        name: [
            {"text": " ".join(str(v["text"]).split()), "buttons": v.get("buttons", [])}
            for v in variants
        ]
        for name, variants in _domain_responses().items()
    }


def safety(kind: str) -> dict[str, Any] | None:
    """The answer to a safety message of this kind."""
    return response(f"utter_{kind}")


def possible(kind: str) -> str:
    lines: dict[str, str] = content.load("service")["possible"]
    return lines.get(kind, lines["emergency"])


def _plain(text: str) -> str:
    """The safety layer's normalised words (patterns.normalise), punctuation left out."""
    return " ".join(w for w in patterns.normalise(text).split() if re.search(r"\w", w))


@cache
def _typed_buttons() -> dict[str, str]:
    """The safety answers' buttons by their title, as a person types it ("im safe go on"):
    titles of three words or more (a bare "Go on" is said for many other reasons)."""
    found = {}
    for kind in ("emergency", "overdose", "crisis", "stopped_medicine"):
        for button in (safety(kind) or {}).get("buttons", []):
            title = _plain(str(button["title"]))
            if len(title.split()) >= 3:
                found[title] = str(button["payload"])
    return found


def typed_button(text: str) -> str | None:
    """The payload of the safety button whose title this message is ("Stop for now" typed, or
    sent over REST by a client that shows titles only), else None."""
    return _typed_buttons().get(_plain(text)) if len(text) < 40 else None
