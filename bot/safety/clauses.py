"""The parts of a multi-part message, for the safety layer to judge one by one.

A patient often answers the prescreen's question first and tells of the danger after it ("72
yes dx in 2018. sorry my hand just went numb"): the whole message's classifier score is
diluted by the answer, and its guards (the "2018") wrongly disarm the rest. `parts` splits a
message:

- after a sentence end (".", "!", "?", ";", a new line) followed by a space, and
- before a joint that starts a new thought: "but", "sorry", "btw", "by the way", "anyway",
  "just so you know", "oh and", anywhere; "also" only at a sentence or clause start (after a
  comma), since "my mother also had a stroke" is one thought.

Commas alone do not split: "I had chest pain last week, it's gone" stays one part, with its
guard. A part that a later part takes back ("Chest pain? None of those.", "My throat felt
tight. It went away.") does not alarm (`taken_back`), nor one that an earlier question about
a risk frames (`framed`).
"""

from __future__ import annotations

import re

from bot.safety import patterns

# At most this many parts are judged (each costs one encoder row): of a longer message, the
# first and the last half of them (the danger is often told last: "72. yes. no. 2018. yes.
# sorry my chest is crushing").
MAX_PARTS = 10
_JOINT = r"but|sorry|btw|by the way|anyway|anyways|just so you know|jsyk|oh and|tbh|to be honest"
_SPLIT = re.compile(
    rf"(?<=[.!?;])\s+|\n+|\s+(?=(?:{_JOINT})\b)|(?<=,)\s*(?=also\b)",
    re.IGNORECASE,
)
# A later part that denies or ends what came before: "no", "none of those", "it went away".
_DENIAL = re.compile(
    r"((also |and )?(no|nope|nah|none|never|not me|neither|none of (those|them|that|these)"
    r"|no to (all|both)|i have none of (those|them|that)))( thanks| thank you)?[.! ]*"
)

# A later part that asks whether what came before matters for the trial: a history told.
_ABOUT_TRIAL = re.compile(
    r"\b(does|would|will|is|could|can) (that|this|it) (matter|count|be a problem|disqualify"
    r"|rule me out|affect)|\b(for|in|from) the (trial|study)\b|\bcan i still (join|be in|qualify)"
)


# A list of short items ("chest pain, fainting or seizures"): what a later "none of those"
# denies. Items of at most three words, as normalised ("chest pain , fainting").
_ITEM = r"[\w'-]+(?: [\w'-]+){0,2}"
_LIST = re.compile(rf"{_ITEM}(?:(?: ,(?: or| and)?| or| and/or| /) {_ITEM})+")


def parts(text: str) -> list[str]:
    """The message's parts (those with a word in them), or [text] when it is one part."""
    pieces = [p.strip(" ,") for p in _SPLIT.split(text)]
    pieces = [p for p in pieces if re.search(r"\w", p)]
    if len(pieces) <= 1:
        return [text]
    if len(pieces) > MAX_PARTS:
        half = MAX_PARTS // 2
        pieces = pieces[:half] + pieces[-half:]
    return pieces


def taken_back(judged: str, later: list[str]) -> bool:
    """A later part takes back the judged one: it says the event is over ("It went away."),
    asks whether it matters for the trial ("... had transfusions. does that matter for the
    trial?"), or denies it ("None of those.") when the judged part was itself a question or a
    list ("Chest pain? No."; a bare "no" after a report answers something else). Never a part
    with urgent words ("my arm is numb right now. can I still join?")."""
    if patterns.urgent(judged):
        return False
    asked = "?" in judged or _LIST.fullmatch(patterns.normalise(judged).rstrip(" .!")) is not None
    for part in later:
        cleaned = patterns.normalise(part)
        if asked and _DENIAL.fullmatch(cleaned):
            return True
        if patterns.over(part, past=False) or _ABOUT_TRIAL.search(cleaned):
            return True
    return False


def framed(earlier: list[str], text: str) -> bool:
    """An earlier part asks about a risk, so what follows is its context, not a report ("should
    I lock the cream up? my grandson puts everything in his mouth"). A question after the
    report ("... grabbed his chest. Should I call someone??") frames nothing."""
    asked = any("?" in part for part in earlier)
    return asked and patterns.asks_about_risk(patterns.normalise(text))
