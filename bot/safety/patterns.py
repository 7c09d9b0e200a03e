"""Reviewed safety patterns (bot/content/safety.yml), with the context that can disarm a match.

`match(text)` says which kind of safety message the text is by its patterns, and whether the
words around the match (a negation, a past event, a question about a risk) make it only a
possible one. Plain Python and regular expressions: about 0.1 ms per message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Literal

from bot import content

Kind = Literal["overdose", "emergency", "crisis", "stopped_medicine"]
# The first kind that matches wins: an overdose is also an emergency, and its answer adds
# Poison Control; an emergency's answer comes before a crisis's (both say 911).
KINDS: tuple[Kind, ...] = ("overdose", "emergency", "crisis", "stopped_medicine")
# Kinds whose context (negation, past, a question about a risk) can disarm a match.
DISARMABLE: tuple[Kind, ...] = ("overdose", "emergency", "crisis")

_CONTRACTIONS = {
    "cant": "can't",
    "dont": "don't",
    "wont": "won't",
    "im": "i'm",
    "ive": "i've",
    "isnt": "isn't",
    "doesnt": "doesn't",
    "didnt": "didn't",
    "couldnt": "couldn't",
    "wouldnt": "wouldn't",
    "havent": "haven't",
    "hasnt": "hasn't",
    "wasnt": "wasn't",
    "arent": "aren't",
    "whats": "what's",
    "theres": "there's",
    "shes": "she's",
    "hes": "he's",
    "id": "i'd",
    "u": "you",
    "ur": "your",
    "bc": "because",
    "pls": "please",
    "plz": "please",
    "brethe": "breathe",
    "breth": "breathe",
    "chesst": "chest",
    "chets": "chest",
    "cheast": "chest",
    "throt": "throat",
    "thoat": "throat",
    "swolen": "swollen",
    "sweling": "swelling",
    "suicidle": "suicidal",
    "sucidal": "suicidal",
    "suicidel": "suicidal",
    "siezure": "seizure",
    "seizer": "seizure",
    "sezure": "seizure",
    "stoped": "stopped",
    "stopt": "stopped",
    "quitted": "quit",
    "becuz": "because",
    "becuase": "because",
    "bcuz": "because",
    "cuz": "because",
    "thot": "thought",
    "sudnly": "suddenly",
    "sudenly": "suddenly",
    "suddently": "suddenly",
    "suddnly": "suddenly",
    "workin": "working",
    "rite": "right",
    "numbb": "numb",
    "wek": "weak",
    "weeak": "weak",
}
# Letters of any alphabet ("aquí", "mí"), so that accented words stay whole.
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]*)*|'|[^\w'\s]+|_+")
# "tbh" and "honestly" start a new thought: "diagnosed 2018 tbh i just want to disappear" (the
# date is the answer's, not the crisis's).
_CLAUSE = re.compile(r"[.!?;,]+|\bbut\b|\bhowever\b|\btbh\b|\bhonestly\b|\bto be honest\b")


def normalise(text: str) -> str:
    """Lower case, straight apostrophes, apostrophes put back, one space between tokens."""
    lowered = text.lower().replace("\u2019", "'").replace("\u2018", "'").replace("`", "'")
    lowered = re.sub(r"(.)\1{2,}", r"\1\1", lowered)  # "sooooo" -> "soo", "!!!!" -> "!!"
    words = [_CONTRACTIONS.get(w, w) for w in _WORD.findall(lowered)]
    return " ".join(words)


def _compile(patterns: list[str]) -> re.Pattern[str]:
    return re.compile("|".join(rf"\b(?:{p})(?![a-z0-9])" for p in patterns))


@dataclass(frozen=True)
class _Rules:
    kinds: dict[Kind, re.Pattern[str]]
    idioms: re.Pattern[str]
    negation: re.Pattern[str]
    past: re.Pattern[str]
    present: re.Pattern[str]
    resolved: re.Pattern[str]
    present_anywhere: re.Pattern[str]
    history: re.Pattern[str]
    risk_question: re.Pattern[str]
    urgent: re.Pattern[str]
    not_stopped: re.Pattern[str]
    long_ago: re.Pattern[str]
    everyday: re.Pattern[str]


@cache
def rules() -> _Rules:
    raw = content.load("safety")
    context = raw["context"]
    return _Rules(
        kinds={kind: _compile(raw[kind]) for kind in KINDS},
        idioms=_compile(raw["idioms"]),
        negation=re.compile(rf"\b{context['negation']}"),
        past=re.compile(context["past"]),
        present=re.compile(context["present"]),
        resolved=re.compile(context["resolved"]),
        present_anywhere=re.compile(context["present_anywhere"]),
        history=re.compile(rf"\b{context['history']}"),
        risk_question=re.compile(context["risk_question"]),
        urgent=re.compile(context["urgent"]),
        not_stopped=re.compile(context["not_stopped"]),
        long_ago=re.compile(context["long_ago"]),
        everyday=_compile(raw.get("everyday") or ["(?!)"]),
    )


@dataclass(frozen=True)
class Match:
    kind: Kind
    # False when the context says it is not a present danger ("no chest pain", "I had a
    # seizure as a kid", "can it cause blood clots?").
    certain: bool
    # A match disarmed by a negation ("no chest pain"), not by its time or a question.
    negated: bool = False


def without_idioms(normalised: str) -> str:
    return rules().idioms.sub(" ", normalised)


def _clause_around(text: str, start: int, end: int) -> tuple[str, str]:
    """The part of the clause before the match, and the whole clause."""
    begin = max((m.end() for m in _CLAUSE.finditer(text, 0, start)), default=0)
    stop = next((m.start() for m in _CLAUSE.finditer(text, end)), len(text))
    return text[begin:start], text[begin:stop]


_IF_CLAUSE = re.compile(
    r"\bif (i'm|i've|i|you|he|she|they|we|someone|somebody|it|my|his|her|the|there) [\w']+"
)
# The start of a clause that makes it a supposition ("if I fainted at home, ...").
_IF_LEAD = re.compile(r"(what |and |but |so |even )?(if|in case|whether|unless|suppose)\b")
# A negation inside the matched words of an emergency ("my throat isn't swelling"), unless it
# is part of the danger itself ("isn't breathing", "won't wake up", "isn't moving").
_NEGATED_INSIDE = re.compile(
    r"\b(isn't|is not|wasn't|was not|aren't|are not|not|no longer|never)\b"
)
# ... or of the story ("gave me my dose not knowing I'd already taken it").
_DANGER_NEGATED = re.compile(
    r"breath|respond|wak|moving|move|answer|stop|work|grip|sense|not (knowing|realizing|realising)"
)
# The clause of a match told in the past ("my throat swelled up").
_PAST_VERB = re.compile(
    r"\b(was|were|had|swelled|fainted|passed|collapsed|happened|went|got|did|used to)\b"
)
# Crisis words that a question can be about ("can the cream cause suicidal thoughts?").
_CRISIS_TOPIC = re.compile(
    r"suicid|self[- ]?harm|hurt(ing)? myself|kill(ing)? myself|depress|death|dying"
)


# Asking whether to get care now ("should I go in?", "do we take her in?") is no question about
# a risk, unless it is a supposition ("if I get a fever, should I go in?").
_SEEK_CARE = re.compile(
    r"\b(should|do|shall|must) (i|we) (go|head|get|take (him|her|them|my [\w']+)) "
    r"(in|to (the|a) (er|hospital|emergency( room)?|urgent care|a&e))\b"
)
_SUPPOSED = re.compile(r"\b(if|in case|whether|suppose|unless)\b")
# A question that supposes the danger ("what would happen if someone swallowed the cream?"),
# even when another sentence says "I have a curious toddler".
_WHAT_IF = re.compile(
    r"\b(what (would|will|could) happen|what happens|what if|what (should|do|would) (i|we) do)"
    r"( [\w']+){0,2} (if|when)\b|\bwhat if\b"
)
_NOW = re.compile(r"\b(now|just|right now|tonight|today|happening|help)\b")


def _supposed(text: str, start: int, end: int) -> bool:
    """The match is inside a sentence that asks what would happen if it did."""
    begin = max((m.end() for m in re.finditer(r"[.!?]", text[:start])), default=0)
    after = re.search(r"[.!?]", text[end:])
    stop = end + after.end() if after else len(text)
    sentence = text[begin:stop]
    if not sentence.rstrip().endswith("?") or not _WHAT_IF.search(text[begin:start]):
        return False
    return _NOW.search(text) is None and rules().urgent.search(sentence) is None


# A match in a question the person then answers no ("Heart attack? Also no.").
_BARE_NO = re.compile(r"^\s*(?:also |and |again )?(?:no|nope|never|none|not that either)\b[\s.!,]*")


def _answered_no(text: str, end: int) -> bool:
    after = text[end:]
    mark = re.match(r"[^.!?]*\?", after)
    if mark is None or "." in after[: mark.end()]:
        return False
    rest = after[mark.end() :]
    answer = re.match(r"[^.!?]*[.!?]?", rest)
    return answer is not None and _BARE_NO.fullmatch(answer.group(0)) is not None


def _negated(kind: Kind, text: str, start: int, end: int) -> bool:
    """A negation just before the match ("no chest pain") or inside it ("throat isn't
    swelling")."""
    before, _ = _clause_around(text, start, end)
    if rules().negation.search(before.rstrip() + " "):
        return True
    inside = text[start:end]
    return kind != "crisis" and bool(
        _NEGATED_INSIDE.search(inside) and not _DANGER_NEGATED.search(inside)
    )


def _disarmed(kind: Kind, text: str, start: int, end: int) -> bool:
    r = rules()
    before, clause = _clause_around(text, start, end)
    lead = before.rstrip() + " "
    if _negated(kind, text, start, end):
        return True
    # "if I fainted at home, would the study want to know": a match inside an if-clause.
    if kind == "emergency" and _IF_LEAD.match(before.strip()) and not r.urgent.search(text):
        return True
    if kind != "crisis" and _supposed(text, start, end):
        return True
    if kind != "crisis" and _answered_no(text, end):
        return True
    if r.present_anywhere.search(text):
        return False
    over = r.resolved.search(text) is not None
    text, clause = r.resolved.sub(" ", text), r.resolved.sub(" ", clause)
    if (r.history.search(lead) or r.past.search(clause)) and not r.present.search(clause):
        return True
    if not r.present.search(text) and (over or (r.past.search(text) and _PAST_VERB.search(clause))):
        return True  # "I had a reaction as a kid, my throat swelled up"; "... I'm fine now"
    if kind == "crisis" and not _CRISIS_TOPIC.search(text[start:end]):
        return False  # a plan told as a question ("how many would it take?") is still a plan
    if kind == "crisis" and "?" not in text and not r.risk_question.search(text[:start]):
        return False  # told, not asked: "hurting myself is the only thing that helps"
    return asks_about_risk(text, clause)


def asks_about_risk(text: str, clause: str | None = None) -> bool:
    """A question about a risk ("can it cause clots?"), not a report of a danger now."""
    r = rules()
    asks = "?" in text or r.risk_question.search(clause or text) is not None
    if not asks or r.risk_question.search(text) is None:
        return False
    if _SEEK_CARE.search(text) and not _SUPPOSED.search(text):
        return False
    return r.urgent.search(_IF_CLAUSE.sub(" ", text)) is None


def urgent(text: str) -> bool:
    """Words that say a danger is now ("right now", "help", "i can't", "my throat is closing")."""
    return rules().urgent.search(normalise(text)) is not None


def over(text: str, past: bool = True) -> bool:
    """The message says its event is over ("it went away", "stopped bleeding", "I'm fine
    now") or, if `past`, long past ("my aunt died from bleeding in her brain", "in 2019"),
    and nothing says it is back or now."""
    r, cleaned = rules(), normalise(text)
    if r.present_anywhere.search(cleaned) is not None:
        return False
    if r.resolved.search(cleaned) is not None:
        return True
    return past and r.past.search(cleaned) is not None and r.present.search(cleaned) is None


def _not_stopped(text: str, start: int) -> bool:
    """A medicine stopped as a doctor said, a question about stopping one, old pills thrown
    out, or a negation just before ("I would never quit my meds on my own"): not a person who
    stopped a medicine on their own. Such a message gets its normal answer, no extra line."""
    r = rules()
    before, _ = _clause_around(text, start, start)
    if r.not_stopped.search(text) is not None:
        return True
    return r.negation.search(before.rstrip() + " ") is not None


def everyday(text: str) -> bool:
    """An everyday message that the classifier alone may misread (`everyday` in the patterns'
    file: "I bought some rope for the garden"), with no urgent words."""
    cleaned = normalise(text)
    r = rules()
    return r.everyday.search(cleaned) is not None and r.urgent.search(cleaned) is None


def long_ago(text: str) -> bool:
    """The message dates its event ("in 2019", "years ago", "when I was younger")."""
    return rules().long_ago.search(normalise(text)) is not None


def explained_stop(text: str) -> bool:
    """A medicine stopped as a doctor said, long ago, or asked about (`context.not_stopped`)."""
    return rules().not_stopped.search(normalise(text)) is not None


def match(text: str) -> Match | None:
    """The kind of safety message this is by the reviewed patterns, or None."""
    cleaned = without_idioms(normalise(text))
    possible: Match | None = None
    for kind, pattern in rules().kinds.items():
        for found in pattern.finditer(cleaned):
            if kind == "stopped_medicine" and _not_stopped(cleaned, found.start()):
                continue
            if kind in DISARMABLE and _disarmed(kind, cleaned, found.start(), found.end()):
                negated = _negated(kind, cleaned, found.start(), found.end())
                possible = possible or Match(kind, certain=False, negated=negated)
                continue
            return Match(kind, certain=True)
    return possible
