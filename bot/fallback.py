"""Choose which topics to offer when the assistant is not sure what a person meant."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bot import content

# Intents that are never worth offering as a guess.
_NOT_OFFERED = {"nlu_fallback", "out_of_scope", "affirm", "deny", "greet", "goodbye", "thanks"}


# A guess less likely than this is noise (e.g. for a string of random letters): not offered.
MIN_SCORE = 0.1


def candidate_topics(parse_data: Mapping[str, Any], limit: int = 3) -> list[str]:
    """Most likely topic keys for an unclear message, best first.

    Keys are intents ("talk_to_person") or retrieval intents ("faq/placebo"); only keys that
    have a plain label in bot/content/topics.yml and a score of at least MIN_SCORE are returned.
    """
    labels = content.topic_labels()
    scored: dict[str, float] = {}
    selectors = parse_data.get("response_selector") or {}
    for item in parse_data.get("intent_ranking") or []:
        name, confidence = item.get("name"), float(item.get("confidence") or 0.0)
        if not name or name in _NOT_OFFERED:
            continue
        ranking = (selectors.get(name) or {}).get("ranking") or []
        if ranking:
            # A retrieval intent: spread its confidence over its best sub-topics.
            for sub in ranking[:limit]:
                key = sub.get("intent_response_key")
                if key in labels:
                    score = confidence * float(sub.get("confidence") or 0.0)
                    scored[key] = max(scored.get(key, 0.0), score)
        elif name in labels:
            scored[name] = max(scored.get(name, 0.0), confidence)
    best = sorted(
        ((k, v) for k, v in scored.items() if v >= MIN_SCORE), key=lambda kv: kv[1], reverse=True
    )
    return [key for key, _ in best[:limit]]


def label(topic: str) -> str:
    """The plain question a button shows for a topic key."""
    return content.topic_labels()[topic]
