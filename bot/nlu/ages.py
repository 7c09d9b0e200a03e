"""Find the patient's age: "I'm 52", "52 years old", "fifty-two", "born in 1971"."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date

from bot.nlu.dates import MONTH_RE, MONTHS, YEAR_RE
from bot.nlu.numbers import WORD_NUMBER, parse_number
from bot.nlu.text import normalise_quotes
from bot.nlu.types import Extracted, non_overlapping

_MAX_AGE = 120
_NUM = rf"(?P<num>\d{{1,3}}|{WORD_NUMBER})"
_F = re.IGNORECASE

# Words after "I'm 3 ..." that make the number something other than an age.
_NOT_AGE_AFTER = re.compile(
    r"""\s*(?:
        %|'|"|’|
        -?\s*(?:days?|weeks?|wks?|months?|mos?|mths?|hours?|hrs?|minutes?|mins?|times?|
               mg|mcg|ml|lbs?|pounds?|kgs?|kilos?|stone|foot|feet|ft|inch(?:es)?|cm|
               percent|out\s+of|of\s+(?!age)|x\b|and\s+a\s+half)\b|
        -?\s*(?:years?|yrs?)\b(?!\s*-?\s*(?:old|young|of\s+age)|\s*$|\s*[,.!?]))
    """,
    _F | re.VERBOSE,
)
# Someone else's age, or a past one: "my husband is", "when I was".
_OTHER_PERSON_BEFORE = re.compile(
    r"(?:\bmy\s+\w+(?:\s+\w+)?\s+(?:is|was|'s)|\b(?:he|she|they|was|were)|"
    r"\b(?:he|she|it)'s|\bhis|\bher)\s+(?:an?\s+)?$",
    _F,
)
_AGE_CUE_BLOCKERS = re.compile(r"\b(?:at|since|by|from|until|till|before|after)\s+(?:the\s+)?$", _F)

_I_AM = re.compile(
    rf"\b(?:i\s*'?\s*m|i\s+am)\s+(?:now\s+|just\s+|only\s+|currently\s+|almost\s+|nearly\s+)?{_NUM}\b",
    _F,
)
_YEARS_OLD = re.compile(
    rf"\b{_NUM}\s*-?\s*(?:(?:years?|yrs?|y)\s*-?\s*(?:old|young|of\s+age)|y\s*/\s*o|y\.\s*o\.?|yo)(?![a-z])",
    _F,
)
_AGE_WORD = re.compile(rf"\b(?:my\s+)?age(?:d)?\s*(?:is|:|=|-|\?)?\s*{_NUM}\b", _F)
_TURNED = re.compile(rf"\b(?:just\s+)?turned\s+{_NUM}\b", _F)
_TURNING = re.compile(rf"(?:\bturning|(?:'ll|\bwill|\bgoing\s+to|\bgonna)\s+be)\s+{_NUM}\b", _F)
_BORN = re.compile(
    rf"\b(?:born|dob|d\.o\.b\.?|date\s+of\s+birth)\s*(?:is\s+|:\s*|in\s+|on\s+)?"
    rf"(?:(?P<month>{MONTH_RE})\.?\s+(?:(?P<day>\d{{1,2}})(?:st|nd|rd|th)?,?\s+)?)?"
    rf"(?P<year>{YEAR_RE})\b",
    _F,
)
_BORN_NUMERIC = re.compile(
    r"\b(?:born|dob|d\.o\.b\.?|date\s+of\s+birth)\s*(?:is\s+|:\s*|on\s+)?"
    rf"(?P<m>\d{{1,2}})[/.-](?P<d>\d{{1,2}})[/.-](?P<year>{YEAR_RE})\b",
    _F,
)
# "born 1 December 2008", "dob 15th of march 1960"
_BORN_DAY_FIRST = re.compile(
    r"\b(?:born|dob|d\.o\.b\.?|date\s+of\s+birth)\s*(?:is\s+|:\s*|on\s+)?(?:the\s+)?"
    rf"(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<month>{MONTH_RE})\.?,?\s+"
    rf"(?P<year>{YEAR_RE})\b",
    _F,
)
_BORN_SHORT_YEAR = re.compile(r"\bborn\s+(?:in\s+)?'(?P<yy>\d{2})\b", _F)
_BARE = re.compile(rf"^\s*{_NUM}\s*[.!]?\s*$", _F)


def find_ages(original: str, today: date) -> list[Extracted]:
    """Return age mentions in ``original`` (value in whole years)."""
    text = normalise_quotes(original)
    found: list[Extracted] = []
    for pattern, offset in ((_I_AM, 0), (_YEARS_OLD, 0), (_AGE_WORD, 0), (_TURNED, 0)):
        for m in pattern.finditer(text):
            _add_number(found, text, m, offset, pattern)
    for m in _TURNING.finditer(text):
        _add_number(found, text, m, -1, _TURNING)
    for m in _BORN_NUMERIC.finditer(text):
        born = _safe_date(int(m["year"]), int(m["m"]), int(m["d"]))
        if born is not None:
            _add(found, text, m.start(), m.end(), _years_between(born, today), 1.0)
    for m in _BORN_DAY_FIRST.finditer(text):
        born = _safe_date(int(m["year"]), MONTHS[m["month"].lower()], int(m["day"]))
        if born is not None:
            _add(found, text, m.start(), m.end(), _years_between(born, today), 1.0)
    for m in _BORN.finditer(text):
        year = int(m["year"])
        month = MONTHS[m["month"].lower()] if m["month"] else None
        day = int(m["day"]) if m["day"] else 1
        if month is None:
            age = today.year - year
        else:
            born = _safe_date(year, month, day)
            if born is None:
                continue
            age = _years_between(born, today)
        _add(found, text, m.start(), m.end(), age, 0.95)
    for m in _BORN_SHORT_YEAR.finditer(text):
        yy = int(m["yy"])
        year = 2000 + yy if 2000 + yy <= today.year else 1900 + yy
        _add(found, text, m.start(), m.end(), today.year - year, 0.9)
    bare = None if found else _BARE.match(text)
    if bare is not None:
        _add_number(found, text, bare, 0, _BARE, confidence=0.6)
    return [_with_original_text(e, original) for e in non_overlapping(found)]


def _with_original_text(item: Extracted, original: str) -> Extracted:
    return replace(item, text=original[item.start : item.end])


def _add_number(
    found: list[Extracted],
    text: str,
    m: re.Match[str],
    offset: int,
    pattern: re.Pattern[str],
    confidence: float = 1.0,
) -> None:
    raw = m["num"]
    value = parse_number(raw)
    if value is None or value != int(value):
        return
    if not raw[0].isdigit() and value < 10:  # "I'm one of ..." is not an age
        return
    before = text[: m.start()]
    if pattern in (_I_AM, _TURNED, _TURNING) and _NOT_AGE_AFTER.match(text, m.end()):
        return
    if pattern is _YEARS_OLD and _OTHER_PERSON_BEFORE.search(before):
        return
    if pattern is _AGE_WORD and _AGE_CUE_BLOCKERS.search(before):
        return
    _add(found, text, m.start(), m.end(), int(value) + offset, confidence)


def _add(found: list[Extracted], text: str, start: int, end: int, age: int, conf: float) -> None:
    if 0 < age <= _MAX_AGE:
        found.append(
            Extracted(
                entity="age", start=start, end=end, text=text[start:end], value=age, confidence=conf
            )
        )


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _years_between(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))
