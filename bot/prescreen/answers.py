"""Read a patient's free-text reply to one prescreen question.

``interpret(text)`` gives "yes", "no", "unsure" or None (not an answer: a question back, or
something unrelated). Where a question allows it (the pregnancy one), "n/a" or one of the
question's own `not_applicable` phrasings in criteria.yml ("I'm a man") gives
"not_applicable". ``correction(text)`` finds "I meant no" / "actually yes" style
changes, and ``parse_age(text, entities)`` reads an age.

The rules work clause by clause. A clause that starts with a clear marker ("yes", "nope",
"not sure") is read by that marker. A clause that is a question ("is there a placebo?") is
not an answer. Other clauses are read by phrase ("I think so", "I haven't"). When clauses
disagree ("yes and no"), the reply is "unsure", which the prescreen sends to the study team.

Over 300 lines on purpose: the clause reader and its phrase lists belong together; the
reading stage (bot.prescreen.reading) calls them as one unit.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, Literal, get_args

from bot import content

Reply = Literal["yes", "no", "unsure", "not_applicable"]
REPLIES: tuple[Reply, ...] = get_args(Reply)

MIN_AGE = 1
MAX_AGE = 120

# --- normalising ------------------------------------------------------------------------------

_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'", "\u201c": '"', "\u201d": '"'})

# Applied in order to lower-cased text. Contractions become full words so that one negation
# rule ("not", "never") covers "don't", "dont" and "do not" alike.
_REWRITES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), replacement)
    for pattern, replacement in (
        (r"\bn\s*/\s*a\b", "not applicable"),
        (r"^\s*na\s*$", "not applicable"),
        (r"\b(?:can'?t|cannot)\b", "can not"),
        (r"\bwon'?t\b", "will not"),
        (r"\bain'?t\b", "is not"),
        (
            r"\b(do|does|did|have|has|had|is|are|was|were|would|could|should|need|must)n'?t\b",
            r"\1 not",
        ),
        (r"\bi'?m\b", "i am"),
        (r"\bi'?ve\b", "i have"),
        (r"\bi'll\b", "i will"),
        (r"\bi'd\b", "i would"),
        (r"\b(it|that|what|there)'s\b", r"\1 is"),
        (r"\bidk\b", "i do not know"),
        (r"\bdunno\b", "do not know"),
        (r"\bdon'?o\b", "do not know"),
        (r"\b(uh[- ]?huh|mhm+|mm[- ]?hmm+)\b", "yes"),
        (r"\by+e+s+\b", "yes"),
        (r"\byeah+\b", "yeah"),
        (r"\bn+o+\b", "no"),
        (r"\bnah+\b", "nah"),
        (r"\bnope+\b", "nope"),
        (r"[^a-z0-9' ]+", " "),
        (r"\s+", " "),
    )
)


def _normalise(text: str) -> str:
    text = text.translate(_QUOTES).lower()
    for pattern, replacement in _REWRITES:
        text = pattern.sub(replacement, text)
    return text.strip()


# --- vocabulary ---------------------------------------------------------------------------------

_FILLERS = frozenset(
    "well um umm uh uhh er erm hmm hm oh ah so then honestly and but lol haha oops hey".split()
)
_YES_WORDS = frozenset(
    "yes yeah yea yep yup ya yah yeh y ye yess sure definitely absolutely certainly correct "
    "affirmative indeed totally exactly true".split()
)
# "sure" on its own is a yes, but "sure, what is IVIG?" is someone about to ask something.
_WEAK_YES = frozenset({"sure"})
_NO_WORDS = frozenset("no nope nah never n nay negative none nothing not".split())
# A reply that opens with one of these is a question ("why do you ask", "how long is it").
_WH_WORDS = frozenset("what what's whats why how who whom whose where when which".split())
# These open a question only before a subject: "is there ...", "do I ...", but not "would be
# fine" or "have been on it".
_AUX_WORDS = frozenset(
    "is are am was were can could do does did will would should shall may might must have has "
    "tell explain".split()
)
_SUBJECTS = frozenset(
    "you i it they there he she we that this these those the a an my your me us any anyone "
    "someone everyone people".split()
)


def _rx(*patterns: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in patterns))


# "n/a" and "does not apply" fit any question; why a question does not apply to someone ("I'm
# a man", "past menopause") is that question's own `not_applicable` list in criteria.yml.
_NOT_APPLICABLE_ANY = (
    r"\bnot applicable\b",
    r"\b(does|do) not apply\b",
    r"\bnot relevant\b",
)


@content.per_trial
def _not_applicable() -> re.Pattern[str]:
    """The general phrasings and every question's own (read late: criteria.yml is loaded by
    bot.prescreen.engine, which imports this module)."""
    from bot.prescreen import engine as eligibility  # noqa: PLC0415 - a cycle at import time

    own = [str(p) for c in eligibility.load_criteria() for p in c.reading.get("not_applicable", ())]
    return _rx(*_NOT_APPLICABLE_ANY, *dict.fromkeys(own))


_UNSURE = _rx(
    r"\bnot (\w+ )?(sure|certain|positive)\b",
    r"\b(unsure|uncertain)\b",
    r"\bno (idea|clue)\b",
    r"\b(do|did) not (really )?know\b",
    r"\b(can not|could not|do not|did not) (really )?(remember|recall|say|tell)\b",
    r"\bforg[eo]t\b",
    r"\b(maybe|perhaps|possibly|probably)\b",
    r"\bhard to say\b",
    r"\bwho knows\b",
    r"\bnot that i (know|remember|recall)\b",
)
# Checked before the yes idioms so that "of course not" is a no and "of course" a yes.
_NO_PHRASES = _rx(
    r"^(definitely|absolutely|certainly|of course|sure|really) not\b",
    r"^not (really|at all|yet|ever|anymore|any more|that i can think of)\b",
    r"^(i|we) (\w+ )?(think|believe|guess|suppose) not\b",
    r"^(i|we) (\w+ )?(do not|did not) think so\b",
    r"^no way\b",
    r"\brather not\b",
)
_YES_IDIOMS = _rx(
    r"\bno (problem|doubt|worries)\b",
    r"\bnot a problem\b",
    r"\bcan not wait\b",
    r"^(of course|why not|you bet|for sure|that is (right|correct|true)|right|i agree)\b",
)
_HEDGE = re.compile(r"^(i|we) (\w+ )?(think|believe|guess|suppose|reckon)\b ?")
# Replies without a subject: "haven't", "did", "have been".
_BARE_NO = re.compile(r"^(have|has|had|did|do|does|am|was|were|would|will|could|can|should) not\b")
_BARE_YES = re.compile(
    r"^(have|had|did|do|does|am|was|will|would|can|could|tried|took|take|taken|taking|used|"
    r"using|been|on)\b"
)
_FIRST_PERSON_NO = re.compile(r"^(i|we)( \w+){0,2} (not|never)\b")
_FIRST_PERSON_YES = _rx(
    r"^(i|we)( (really|definitely|certainly|still|already|also|have|do|did|would|will))* "
    r"(have|has|had|did|do|will|would|can|could|tried|took|take|taken|taking|used|use|using|"
    r"agree|got|get|been|on)\b",
    # "I am" / "I'm willing", but not "I'm 52" or "I'm a woman".
    r"^(i|we) (am|are|was|were)( (really|definitely|certainly|still|already|also))*"
    r"( (willing|ok|okay|fine|happy|able|on|taking|using|ready|sure|good|open|glad)\b|$)",
)

# --- clauses ------------------------------------------------------------------------------------

# A clause runs to the next . , ; ! ? or line break; a decimal point ("1.5") does not end one.
_SEGMENT = re.compile(r"(?:\d[.,]\d|[^.,;!?\n])+[.,;!?\n]*")
_JOINERS = re.compile(r"\b(?:but|and|though|although|because|cause|cuz)\b")


def _strip_fillers(words: list[str]) -> list[str]:
    while words and words[0] in _FILLERS:
        words = words[1:]
    return words


def _lead(clause: str, allow_not_applicable: bool) -> Reply | None:
    """The reply a clause opens with, if it opens with a clear marker."""
    if not clause:
        return None
    if _not_applicable().search(clause):
        return "not_applicable" if allow_not_applicable else None
    if _UNSURE.match(clause) or clause.startswith(("no idea", "no clue")):
        return "unsure"
    if _NO_PHRASES.search(clause):
        return "no"
    if _YES_IDIOMS.match(clause):
        return "yes"
    first = clause.split()[0]
    if first in _YES_WORDS:
        return "yes"
    if first in _NO_WORDS:
        return "no"
    return None


def _phrase(clause: str, allow_not_applicable: bool) -> Reply | None:
    """The reply a clause gives anywhere in it, for clauses without a clear opening."""
    if _UNSURE.search(clause):
        return "unsure"
    if _YES_IDIOMS.search(clause):
        return "yes"
    hedge = _HEDGE.match(clause)
    if hedge:
        rest = clause[hedge.end() :]
        if rest in ("", "so"):
            return "yes" if rest == "so" else "unsure"
        # "I think I did" is a yes; "I think it was that one" is a hedge.
        return _clause(rest, allow_not_applicable) or "unsure"
    if _FIRST_PERSON_NO.match(clause) or _BARE_NO.match(clause):
        return "no"
    if _FIRST_PERSON_YES.match(clause) or _BARE_YES.match(clause):
        return "yes"
    return None


def _clause(clause: str, allow_not_applicable: bool) -> Reply | None:
    text = " ".join(_strip_fillers(clause.split()))
    if _not_applicable().search(text):
        # "I'm a man" answers the pregnancy question and no other.
        return "not_applicable" if allow_not_applicable else None
    return _lead(text, allow_not_applicable) or _phrase(text, allow_not_applicable)


def _is_question(segment: str) -> bool:
    raw = segment.translate(_QUOTES).lower().strip()
    if raw.rstrip().endswith("?"):
        return True
    words = [w for w in re.findall(r"[a-z']+", raw) if w not in _FILLERS]
    if len(words) < 2:
        return False
    if words[0] in _WH_WORDS:
        return True
    return words[0] in _AUX_WORDS and words[1] in _SUBJECTS


def _segments(text: str) -> list[str]:
    return [m.group(0) for m in _SEGMENT.finditer(text) if m.group(0).strip(" .,;!?\n")]


def _combine(found: list[Reply]) -> Reply | None:
    if not found:
        return None
    if "not_applicable" in found:
        return "not_applicable"
    distinct = set(found)
    return found[0] if len(distinct) == 1 else "unsure"


def _interpret_plain(text: str, allow_not_applicable: bool) -> Reply | None:
    found: list[Reply] = []
    weak_only = True
    asked = False
    for segment in _segments(text):
        normal = " ".join(_strip_fillers(_normalise(segment).split()))
        if _is_question(segment):
            asked = True
            lead = _lead(normal, allow_not_applicable)
            if lead is not None and normal.split()[0] not in _WEAK_YES:
                found.append(lead)
                weak_only = False
            continue
        for part in _JOINERS.split(normal):
            words = _strip_fillers(part.split())
            reply = _clause(" ".join(words), allow_not_applicable)
            if reply is not None:
                found.append(reply)
                weak_only = weak_only and words[0] in _WEAK_YES
    if asked and weak_only:
        return None
    return _combine(found)


# --- public -------------------------------------------------------------------------------------


def interpret(text: str, allow_not_applicable: bool = False) -> Reply | None:
    """The answer a free-text reply gives to a yes/no question, or None if it gives none.

    ``allow_not_applicable`` is for questions that may not apply (pregnancy): then "n/a",
    "I'm a man" or "post menopause" give "not_applicable"; otherwise such replies give None.
    A correction ("no wait, yes") gives the corrected value.
    """
    fixed = correction(text, allow_not_applicable)
    if fixed is not None:
        return fixed
    return _interpret_plain(text, allow_not_applicable)


_CORRECTION = re.compile(
    r"\b(?:i meant(?: to say)?|i mean|meant to say|actually|wait|sorry|oops|correction|"
    r"scratch that|my (?:mistake|bad)|on second thought|make (?:that|it)|"
    r"change (?:that|it|my answer)(?: to)?|let me change(?: that| it| my answer)?(?: to)?)\b"
    r"[\s,.:;!-]*"
)


def correction(text: str, allow_not_applicable: bool = False) -> Reply | None:
    """The corrected value when a reply changes an answer ("I meant no", "actually yes").

    Reads what follows the last correction word; None when there is no correction word or
    nothing after it is an answer.
    """
    lowered = text.translate(_QUOTES).lower()
    markers = list(_CORRECTION.finditer(lowered))
    if not markers:
        return None
    rest = lowered[markers[-1].end() :]
    return _interpret_plain(rest, allow_not_applicable) if rest.strip() else None


_UNIT_AFTER = re.compile(
    r"^\s*(%|percent|mg|mcg|g\b|ml|kg|lbs?\b|pounds|months?|mos?\b|weeks?|wks?\b|days?|hours?|"
    r"hrs?\b|times|pills|tablets|doses|ago)"
)


def entity_age(entity: Mapping[str, Any]) -> int | None:
    """The age an ``age`` entity holds, if it is a plausible age in years."""
    if entity.get("entity") != "age":
        return None
    value = entity.get("value")
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if MIN_AGE <= value <= MAX_AGE else None


def parse_age(text: str, entities: Iterable[Mapping[str, Any]] = ()) -> int | None:
    """An age in years from a reply to "How old are you?".

    Prefers an ``age`` entity from the extractor; otherwise the one number in a short reply
    ("52", "52 years old", "I'm 52"). None for questions ("is 17 too young?"), several
    numbers, numbers with other units ("3 months") and years ("1972").
    """
    if any(_is_question(segment) for segment in _segments(text)):
        return None
    for entity in entities:
        age = entity_age(entity)
        if age is not None:
            return age
    number = _one_number(text)
    if number is None or len(number.lstrip("-")) > 3:
        return None
    value = int(number)
    return value if MIN_AGE <= value <= MAX_AGE else None


# A whole number, with its minus sign: "-3" is not 3, and "52.5" or "1,000" is not 52 or 1.
_NUMBER = re.compile(r"(?<![\d.,/])-?\d+(?!\d|[.,/]\d)")


def _one_number(text: str) -> str | None:
    """The one whole number in a reply, unless a unit follows it ("3 months")."""
    numbers = list(_NUMBER.finditer(text))
    if len(numbers) != 1:
        return None
    number = numbers[0]
    if _UNIT_AFTER.match(text[number.end() :].lower()):
        return None
    return number.group(0)


def implausible_age(text: str) -> bool:
    """True for a reply to "How old are you?" that is one number but no one's age: 0, 250, -3.

    A year ("1972") is not counted here: it may be a year of birth. Questions ("is 17 too
    young?") are not replies.
    """
    if any(_is_question(segment) for segment in _segments(text)):
        return False
    number = _one_number(text)
    if number is None:
        return False
    value = int(number)
    if len(number) == 4 and 1900 <= value <= 2100:
        return False
    return not MIN_AGE <= value <= MAX_AGE
