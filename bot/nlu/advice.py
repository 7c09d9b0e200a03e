"""Recognise a question about the person's own treatment or diagnosis (medical advice).

``asks_for_advice(text)`` is True for "should i stop taking my plaquenil, it makes me
nauseous" or "is my rash dermatomyositis or lupus", and False for a question about the
study's rules ("do I have to stop my medicines to join?"). The reviewed patterns live in
bot/content/advice.yml; the NLU's router (bot/nlu/advice_router.py) applies them before any
FAQ topic is chosen.
"""

from __future__ import annotations

import re
from functools import cache

from bot import content

_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'"})


def normalise(text: str) -> str:
    return " ".join(text.translate(_QUOTES).lower().split())


Patterns = tuple[re.Pattern[str], ...]
_OWN = re.compile(r"\b(my|her|his)\b")


@cache
def _patterns(group: str) -> Patterns:
    return tuple(re.compile(rf"\b(?:{entry})") for entry in content.load("advice")[group])


def _any(group: str, text: str) -> bool:
    return any(pattern.search(text) for pattern in _patterns(group))


def asks_for_advice(text: str) -> bool:
    clean = normalise(text)
    for group in ("own_treatment", "advice"):
        for pattern in _patterns(group):
            for found in pattern.finditer(clean):
                span = found.group(0)
                if _any("study_rule", span):
                    continue
                if group == "own_treatment" and (not _OWN.search(span) or _any("not_own", span)):
                    continue
                return True
    return False


def about_study_rules(text: str) -> bool:
    """The message asks what the study allows or needs ("...during the trial", "to join")."""
    return _any("study_rule", normalise(text))


# "I get IVIG every month", "I take cellcept 1000 mg twice a day": a person telling about their
# treatment, asking nothing and naming no change, is not asking for advice (second new-user
# test, 2026-12-02): they get the kind acknowledgement, not the refusal.
_CHANGE = re.compile(
    r"\b(?:stop|quit|chang|switch|skip|lower|rais|increas|decreas|doubl|halv|taper|cut|"
    r"come off|go off|get off|start|wean|drop|replac|add|miss|forg[oe]t|instead)\w*"
)
_ASKS = re.compile(
    r"\?|(?:^|[,.;!] *|\b(?:and|but|so) )(?:should|shall|can|could|would|will|is|are|am|do|"
    r"does|did|what|how|when|why|which|who|where|may|must|need)\b"
    r"|\b(?:is|are|was|would|will|could|should) (?:that|this|it|i|that dose|my dose)\b"
    r"|\b(?:wondering|tell me|advice|recommend|suggest|okay to|ok to|too much|too little|safe)\b"
)


def only_tells(text: str) -> bool:
    """The message tells about one's own treatment: no question, no change named."""
    clean = normalise(text)
    return bool(clean) and not _ASKS.search(clean) and not _CHANGE.search(clean)
