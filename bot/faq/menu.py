"""Choose which topics to offer as buttons: when the assistant is not sure what a person meant,
the second question of a mixed message, and the study topic beside a medical-advice answer."""

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
    have a plain label in the trial's topics.yml and a score of at least MIN_SCORE are returned.
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


# A mixed message ("is there a placebo, and also does it cost anything?") gets its main answer
# and the other question's topic as a button, when that question's topic is this sure. The
# topic selector (bot/nlu/topic_selector.py) reads each question of a message on its own.
SECOND_MIN_SCORE = 0.3
# The study topic offered beside a medical-advice answer needs a confident topic choice.
RELATED_MIN_SCORE = 0.5


def second_topic(parse_data: Mapping[str, Any], main: str) -> str | None:
    """The topic of another question in the same message, if any."""
    labels = content.topic_labels()
    questions = (parse_data.get("response_selector") or {}).get("questions") or []
    for question in questions:
        key = question.get("intent_response_key")
        sure = float(question.get("confidence") or 0.0) >= SECOND_MIN_SCORE
        if key and key != main and key in labels and sure:
            return str(key)
    return None


def related_topic(parse_data: Mapping[str, Any]) -> str | None:
    """The study topic a medical-advice question also touches ("should I stop X" -> medicines)."""
    labels = content.topic_labels()
    best: tuple[float, str] | None = None
    for selector in (parse_data.get("response_selector") or {}).values():
        if not isinstance(selector, Mapping):
            continue  # "all_retrieval_intents" is a list of names
        response = selector.get("response") or {}
        key, score = response.get("intent_response_key"), float(response.get("confidence") or 0)
        if key in labels and score >= RELATED_MIN_SCORE and (best is None or score > best[0]):
            best = (score, key)
    return best[1] if best else None
