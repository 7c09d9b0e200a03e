"""The safety layer: does a patient's message need 911, Poison Control or the 988 line first?

`assess(text)` runs on every message, in the channels (bot/channels.py), before NLU or the
prescreen sees it. The reviewed patterns of bot/content/safety.yml decide first; when none is
certain, a small classifier trained on our own examples does (bot/safety/model.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from bot import content
from bot.safety import model, patterns

# Intents (and domain responses utter_<kind>) of the safety messages.
KINDS = patterns.KINDS
# Far longer than any message a channel lets through; the patterns read this much at most.
MAX_READ = 4000


@dataclass(frozen=True)
class Verdict:
    """What the safety layer found in one message."""

    # overdose | emergency | crisis | stopped_medicine, or None for an ordinary message.
    kind: str | None = None
    # pattern | classifier: which part decided (never logged with the text).
    source: str | None = None
    # For an ordinary message that might still be one ("I had chest pain last week"): the
    # kind, so the normal answer gets one more line ("If you feel very unwell, call 911.").
    possible: str | None = None


@cache
def _buttons() -> frozenset[str]:
    return frozenset(patterns.normalise(text) for text in model.button_examples())


@cache
def _thresholds() -> dict[str, float]:
    return {k: float(v) for k, v in content.load("safety")["classifier"].items()}


def assess(text: str) -> Verdict:
    if not text or text.startswith("/"):
        return Verdict()  # a button payload ("/affirm"), not the person's words
    text = text[:MAX_READ]
    if patterns.normalise(text) in _buttons():
        return Verdict()  # one of our own buttons ("No, keep going")
    found = patterns.match(text)
    if found is not None and found.certain:
        return Verdict(found.kind, "pattern")
    return _classified(text, found)


def assess_start(text: str, length: int) -> Verdict:
    """The patterns alone, on the first `length` characters: for a message too long to read,
    which is refused whatever the classifier would say (and must stay cheap)."""
    found = patterns.match(text[:length]) if text and not text.startswith("/") else None
    return Verdict(found.kind, "pattern") if found is not None and found.certain else Verdict()


def _classified(text: str, found: patterns.Match | None) -> Verdict:
    limits = _thresholds()
    label, probability = model.classifier().scores(text).alarm
    # A question about a risk ("if I swallowed some cream, would it hurt me?") gets its answer
    # and the one line, never the classifier's alarm alone: it reads words, not questions.
    hypothetical = patterns.asks_about_risk(patterns.normalise(text))
    # A match that its context disarmed ("no chest pain", "I fainted in 2021, I'm fine now")
    # is never turned back into an alarm by the classifier, which reads words, not time.
    if found is not None:
        return Verdict(possible=found.kind)
    if probability >= limits["alarm"] and not hypothetical:
        return Verdict(label, "classifier")
    if probability >= limits["possible"]:
        return Verdict(possible=label)
    return Verdict()


def classify(text: str) -> str | None:
    """The safety kind of a message, or None (see `assess`)."""
    return assess(text).kind


def warm_up() -> None:
    """Compile the patterns and train the classifier now, not on a patient's first message."""
    patterns.rules()
    _buttons()
    model.classifier()
