"""The safety layer: does a patient's message need 911, Poison Control or the 988 line first?

`assess(text)` runs on every message, in the channels (bot/rasa/channels.py), before NLU or the
prescreen sees it. The reviewed patterns of bot/content/safety.yml decide first; when none is
certain, a small classifier trained on our own examples does (bot/safety/model.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, lru_cache

from bot import content
from bot.nlu import language
from bot.safety import clauses, model, patterns, replies

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


# A button's payload: "/affirm", "/change_answer{...}". Anything else that starts with "/" is
# the person's own words ("/I took 40 pills") and is read like any message.
_PAYLOAD = re.compile(r"/[a-z_]+(\{.*\})?", re.DOTALL)


def is_payload(text: str) -> bool:
    match = _PAYLOAD.fullmatch(text.strip())
    return match is not None and text.strip()[1:].split("{")[0] in _intents()


@cache
def _intents() -> frozenset[str]:
    return frozenset(replies.domain_intents())


def _words(text: str) -> str:
    return "" if not text or is_payload(text) else text.lstrip("/ ")


def assess(text: str) -> Verdict:
    return _assess(text if isinstance(text, str) else "")


# The channels and the NLU's second net (bot/nlu/safety_override.py) check the same message in
# the same process: the second check, and a repeated message ("hi", "yes"), cost nothing.
@lru_cache(maxsize=1024)
def _assess(text: str) -> Verdict:
    return decide(text, _thresholds())


def decide(text: str, limits: dict[str, float]) -> Verdict:
    """`assess` with the classifier's thresholds given (evaluation/safety_thresholds.py tries
    others).

    The whole message is judged first; when it is no alarm and has several parts
    (bot/safety/clauses.py: "72 yes. sorry my hand just went numb"), each part is judged by
    the same rules, its classifier scores in one encoder pass, and the most urgent kind found
    wins (`URGENCY`)."""
    message = text
    text = _words(text)[:MAX_READ]
    if not text:
        return Verdict()  # a button payload ("/affirm"), not the person's words
    if patterns.normalise(text) in _buttons():
        return Verdict()  # one of our own buttons ("No, keep going")
    whole = _judge(text, limits, lambda: model.classifier().scores(text, message))
    if whole.kind in ALARMS:
        return whole
    pieces = clauses.parts(text)
    return whole if len(pieces) < 2 else _by_parts(text, pieces, whole, limits)


# When parts disagree, the most urgent kind wins: a swallowed overdose (Poison Control and
# 911), then an emergency (911), then a crisis (988), then a stopped medicine.
URGENCY = {"overdose": 4, "emergency": 3, "crisis": 2, "stopped_medicine": 1}
ALARMS = ("overdose", "emergency", "crisis")


def _by_parts(text: str, pieces: list[str], whole: Verdict, limits: dict[str, float]) -> Verdict:
    batch: list[model.Scores] = []

    def scores(index: int) -> model.Scores:
        if not batch:
            batch.extend(model.classifier().scores_many(pieces))
        return batch[index]

    best = whole
    for index, part in enumerate(pieces):
        if patterns.normalise(part) in _buttons():
            continue
        verdict = _judge(part, limits, lambda i=index: scores(i))  # type: ignore[misc]
        if verdict.kind is None:
            continue
        # A part taken back by a later one ("Chest pain? None of those."), framed by an
        # earlier question, not sure enough alone (`_sure_part`), or a stopped medicine in a
        # message that asks about it or explains it: the one line at most.
        asked = verdict.kind == "stopped_medicine" and (
            "?" in text or patterns.explained_stop(text)
        )
        if (
            asked
            or clauses.taken_back(part, pieces[index + 1 :])
            or clauses.framed(pieces[:index], text)
            or not _sure_part(text, part, verdict, lambda i=index: scores(i), limits)  # type: ignore[misc]
        ):
            verdict = Verdict(possible=verdict.kind)
        if URGENCY.get(verdict.kind or "", 0) > URGENCY.get(best.kind or "", 0):
            best = verdict
        elif best.kind is None and best.possible is None and verdict.possible:
            best = verdict
    return best


def _sure_part(
    text: str,
    part: str,
    verdict: Verdict,
    scores: Callable[[], model.Scores],
    limits: dict[str, float],
) -> bool:
    """A part's alarm from the classifier alone needs more than a whole message's: a short
    part has little context ("but I'm not planning to", "just being honest" read as a crisis).
    It needs the classifier all but sure (`question_alarm`), or, in a message that asks a
    question ("How much blood do they take? I bruise and bleed easy."), surer still
    (`disarmed_alarm`); a part with urgent words ("right now", "i can't") the usual threshold."""
    if verdict.source != "classifier" or verdict.kind not in ALARMS:
        return True
    probability = scores().alarm[1]
    if "?" in text:
        return probability >= limits["disarmed_alarm"]
    return patterns.urgent(part) or probability >= limits["question_alarm"]


def _judge(text: str, limits: dict[str, float], scores: Callable[[], model.Scores]) -> Verdict:
    """One message or one part of it: the patterns, then the classifier (`scores`)."""
    found = patterns.match(text)
    if found is not None and found.certain:
        if _vetoed(text, found, scores, limits):
            return Verdict(possible=found.kind)
        if found.kind == "stopped_medicine":
            # A stopped medicine never hides a crisis the classifier sees ("I've stopped all my
            # meds on purpose. I don't want to get better, I want it over").
            alarm = _classified(text, None, scores(), limits)
            if alarm.kind in ALARMS:
                return alarm
        return Verdict(found.kind, "pattern")
    return _classified(text, found, scores(), limits)


def _vetoed(
    text: str, found: patterns.Match, scores: Callable[[], model.Scores], limits: dict[str, float]
) -> bool:
    """An emergency or overdose word in a message that is surely not one: the classifier is
    all but certain it is ordinary ("the app has a big red Emergency button, does that call
    911?") and nothing in it says "now" or "help". Never for a crisis: a crisis word is
    always answered. The message gets its normal answer and the one line."""
    if found.kind not in ("emergency", "overdose"):
        return False
    if patterns.urgent(text):
        return False
    return scores().by_label["ordinary"] >= limits["veto"]


def assess_start(text: str, length: int) -> Verdict:
    """The patterns alone, on the first `length` characters: for a message too long to read,
    which is refused whatever the classifier would say (and must stay cheap)."""
    words = _words(text)
    found = patterns.match(words[:length]) if words else None
    if found is None:
        return Verdict()
    return Verdict(found.kind, "pattern") if found.certain else Verdict(possible=found.kind)


def _classified(
    text: str, found: patterns.Match | None, scores: model.Scores, limits: dict[str, float]
) -> Verdict:
    # The encoder reads the message as the NLU will, so that its vector is computed once.
    label, probability = scores.alarm
    # The classifier learned English; on another language its "emergency" means little ("la
    # crema es segura para mi hija"): the one line at most, the reviewed patterns (Spanish
    # ones included) still decide. A crisis or an overdose is still answered as one.
    if found is None and label == "emergency" and not language.is_english(text):
        return Verdict(possible=label) if probability >= limits["possible"] else Verdict()
    # A question about a risk ("if I swallowed some cream, would it hurt me?") gets its answer
    # and the one line, never the classifier's alarm alone: it reads words, not questions.
    hypothetical = patterns.asks_about_risk(patterns.normalise(text))
    # A match that its context disarmed ("no chest pain", "I fainted in 2021, I'm fine now")
    # gets the one line; the classifier, which reads words, not time, turns it back into an
    # alarm only when it is all but sure ("took 10 instead of 1, I read the label wrong" is
    # not a past event, "had two seizures and didn't wake up in between" is not history), and
    # never a negated match ("my throat is not swelling") or a dated one ("as a kid").
    if found is not None:
        sure = probability >= limits["disarmed_alarm"] and not hypothetical
        if sure and not found.negated and not patterns.long_ago(text):
            return Verdict(label, "classifier")
        return Verdict(possible=found.kind)
    # The classifier reads words, not time: an emergency that the message says is over ("a
    # little lightheaded, goes away in a second") or long past gets the one line. Never for a
    # crisis; for an overdose only when it is over (one is often told in the past tense).
    if label != "crisis" and patterns.over(text, past=label == "emergency"):
        return Verdict(possible=label) if probability >= limits["possible"] else Verdict()
    # An everyday message the classifier alone misreads ("I bought some rope for the garden",
    # "the dog just knocked over my coffee"): the one line at most.
    if found is None and patterns.everyday(text):
        return Verdict(possible=label) if probability >= limits["possible"] else Verdict()
    alarm = limits["crisis_alarm"] if label == "crisis" else limits["alarm"]
    if probability >= alarm and not hypothetical:
        return Verdict(label, "classifier")
    # A report told with a question ("... for thirty minutes. What should I do?"): an alarm
    # only when the classifier is all but sure.
    if probability >= limits["question_alarm"]:
        return Verdict(label, "classifier")
    # Stopping a medicine on one's own ("tossed my pills, I'm done with them"): never for a
    # question about stopping one ("do I have to stop my cream?"), one a doctor stopped, or a
    # bare answer ("I stopped the methotrexate", "stopped it last week"), the prescreen's
    # everyday reply to its medicine questions.
    stopped = scores.stopped >= max(limits["stopped"], probability)
    bare = len(text.split()) < limits["stopped_min_words"] or patterns.over(text)
    if stopped and not bare and "?" not in text and not hypothetical:
        if not patterns.explained_stop(text):
            return Verdict("stopped_medicine", "classifier")
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
    _intents()
    model.classifier()
