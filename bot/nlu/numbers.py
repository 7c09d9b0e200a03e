"""Numbers written as digits or English words ("52", "fifty-two", "a couple of")."""

from __future__ import annotations

import re

_UNITS = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
}
_TENS = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fourty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
# Vague quantities, as documented in tests/nlu/entity_testset.yml.
_VAGUE = {
    "a": 1.0,
    "an": 1.0,
    "one": 1.0,
    "a couple of": 2.0,
    "a couple": 2.0,
    "couple of": 2.0,
    "couple": 2.0,
    "a few": 3.0,
    "few": 3.0,
    "several": 3.0,
    "half a": 0.5,
    "half an": 0.5,
}

_UNIT_WORDS = "|".join(sorted(_UNITS, key=len, reverse=True))
_TENS_WORDS = "|".join(sorted(_TENS, key=len, reverse=True))

#: A whole number in words, 0-99 ("seven", "fifty-two", "forty one").
WORD_NUMBER = rf"(?:(?:{_TENS_WORDS})(?:[\s-]+(?:{_UNIT_WORDS}))?|(?:{_UNIT_WORDS}))"
#: A whole or decimal number in digits.
DIGIT_NUMBER = r"\d+(?:\.\d+)?"
#: Either of the above.
NUMBER = rf"(?:{DIGIT_NUMBER}|{WORD_NUMBER})"
#: A quantity: a number or a vague quantity word ("a couple of", "several").
QUANTITY = (
    rf"(?:half\s+an?|an?\s+couple(?:\s+of)?|couple(?:\s+of)?|an?\s+few|few|several|an?|{NUMBER})"
)

_WORD_RE = re.compile(rf"^{WORD_NUMBER}$", re.IGNORECASE)


def parse_number(text: str) -> float | None:
    """Return the value of a number or quantity phrase, or None if it is not one."""
    cleaned = " ".join(text.lower().replace("-", " ").split())
    if not cleaned:
        return None
    if re.fullmatch(DIGIT_NUMBER, cleaned):
        return float(cleaned)
    if cleaned in _VAGUE:
        return _VAGUE[cleaned]
    if not _WORD_RE.match(cleaned):
        return None
    total = 0
    for word in cleaned.split():
        if word in _TENS:
            total += _TENS[word]
        elif word in _UNITS:
            total += _UNITS[word]
        else:
            return None
    return float(total)


def round_half_up(value: float) -> int:
    """Round .5 away from zero (Python's round() rounds half to even)."""
    return int(value + 0.5) if value >= 0 else -int(-value + 0.5)
