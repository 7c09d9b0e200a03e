"""Find durations and normalise them to days, with a direction.

``ago``: the event was that many days before today ("3 weeks ago", "in March", "last spring").
``for``: a span of that many days ("for 6 months", "since March", "over a year").
Conventions (also in tests/nlu/entity_testset.yml): week 7, month 30, year 365 days;
"since <period>" counts from its first day, a point in time from its middle.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta

from bot.nlu.dates import MONTH_RE, MONTHS, YEAR_RE
from bot.nlu.numbers import NUMBER, QUANTITY, parse_number, round_half_up
from bot.nlu.text import normalise_quotes
from bot.nlu.types import Direction, Extracted, non_overlapping

UNIT_DAYS: dict[str, int] = {"day": 1, "week": 7, "fortnight": 14, "month": 30, "year": 365}
UNIT_DAYS["decade"] = 10 * UNIT_DAYS["year"]
_F = re.IGNORECASE
_UNIT = r"(?:days?|weeks?|wks?|fortnights?|months?|mos|mo|mths?|mnths?|years?|yrs?|decades?)"
_QTY = rf"(?:{NUMBER}\s*(?:-|–|to|or)\s*{NUMBER}|{QUANTITY})"

_QUANTIFIED = re.compile(
    rf"""\b(?:
        (?P<num_half>{NUMBER})\s+and\s+a\s+half\s+(?P<unit_a>{_UNIT})
      | (?P<qty>{_QTY})\s*-?\s*(?P<unit>{_UNIT})(?P<half>\s+and\s+a\s+half)?
        (?:\s*(?:,|and)\s*(?P<qty2>{NUMBER}|an?)\s+(?P<unit2>{_UNIT}))?
    )\b(?P<ago>\s+(?:ago|back|earlier))?""",
    _F | re.VERBOSE,
)
_LAST_UNIT = re.compile(r"\b(?P<which>last|past)\s+(?P<unit>week|month|year|decade)\b", _F)
_MONTH = re.compile(
    rf"\b(?P<prep>since|back\s+in|in|last|around|until|till|through|during)\s+"
    rf"(?:the\s+(?P<part>beginning|start|middle|end)\s+of\s+)?"
    rf"(?:(?:early|late|mid)[\s-]+)?(?P<month>{MONTH_RE})\.?"
    rf"(?:,?\s+(?:of\s+)?(?P<year>{YEAR_RE}))?\b",
    _F,
)
_MONTH_YEAR = re.compile(rf"\b(?P<month>{MONTH_RE})\.?,?\s+(?P<year>{YEAR_RE})\b", _F)
_YEAR = re.compile(
    rf"\b(?P<prep>since|back\s+in|in|around|until|till|through|during)\s+"
    rf"(?:(?:early|late|mid)[\s-]+)?(?P<year>{YEAR_RE})\b",
    _F,
)
_SEASON = re.compile(
    rf"\b(?:(?P<prep>since|back\s+in|in|during|around|until|till|through|over)\s+)?"
    r"(?P<det>the\s+|this\s+past\s+|this\s+|last\s+|past\s+)?"
    r"(?P<season>spring|summer|fall|autumn|winter)"
    rf"(?:\s+(?:of\s+)?(?P<year>{YEAR_RE}))?\b",
    _F,
)
_PART_DAY = {"beginning": 1, "start": 1, "middle": 15, "end": 25}
_HOLIDAY = re.compile(
    r"\b(?P<prep>since|around|at|over|after|before|by)\s+(?P<name>christmas|xmas|new\s+year'?s?)\b",
    _F,
)
_HOLIDAY_DATE = {"christmas": (12, 25), "xmas": (12, 25)}
_SEASON_START = {"spring": 3, "summer": 6, "fall": 9, "autumn": 9, "winter": 12}

_FREQUENCY_BEFORE = {"every", "each", "per", "once", "twice", "thrice", "times"}
_TIMES_X_BEFORE = re.compile(r"\d\s*x\s*$", _F)  # "3x a week"; but "x 5 years" is a span
# Words that may precede "a month" etc. in a duration ("for a month", "about a year").
_ARTICLE_OK_BEFORE = {
    "for", "about", "around", "over", "nearly", "almost", "than", "past", "last", "within",
    "roughly", "approximately", "approx", "maybe", "like", "least", "just", "only", "under",
    "barely", "whole", "entire", "full", "been", "in", "after", "first", "since", "probably",
}  # fmt: skip
_FREQUENCY_AFTER = re.compile(r"\s*(?:a|an|per|each|every|/)\s*(?:day|week|month|year)\b", _F)
_SINCE_AFTER = re.compile(r"\s+since\b", _F)
_AGE_AFTER = re.compile(r"\s*-?\s*(?:old|young|of\s+age)\b", _F)
_FUTURE_BEFORE = re.compile(
    r"\b(?:will|'ll|going\s+to|gonna|plan(?:ning)?\s+to|scheduled|next|appointment|wait|"
    r"upcoming|coming|soon)\b",
    _F,
)
_SENTENCE_END = re.compile(r"[.!?;\n]")


def find_durations(original: str, today: date) -> list[Extracted]:
    """Return duration mentions in ``original``; value in days, role = direction."""
    text = normalise_quotes(original)
    found: list[Extracted] = []
    parsers: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], Extracted | None]], ...] = (
        (_QUANTIFIED, lambda m: _quantified(text, m)),
        (_LAST_UNIT, lambda m: _last_unit(text, m)),
        (_MONTH, lambda m: _month(text, m, today)),
        (_MONTH_YEAR, lambda m: _month(text, m, today)),
        (_YEAR, lambda m: _year(text, m, today)),
        (_SEASON, lambda m: _season(text, m, today)),
        (_HOLIDAY, lambda m: _holiday(text, m, today)),
    )
    for pattern, parse in parsers:
        for m in pattern.finditer(text):
            item = parse(m)
            if item is not None:
                found.append(item)
    return [replace(e, text=original[e.start : e.end]) for e in non_overlapping(found)]


def _quantified(text: str, m: re.Match[str]) -> Extracted | None:
    before_words = _words_before(text, m.start(), 2)
    prev = before_words[-1] if before_words else ""
    ago = bool(m["ago"])
    if _AGE_AFTER.match(text, m.end()) or prev in _FREQUENCY_BEFORE:
        return None
    if prev == "x" and _TIMES_X_BEFORE.search(text[: m.start()]):
        return None
    if not ago and _FREQUENCY_AFTER.match(text, m.end()):
        return None
    if m["num_half"] is not None:
        amount = parse_number(m["num_half"])
        unit = m["unit_a"]
        if amount is None:
            return None
        amount += 0.5
    else:
        qty = m["qty"]
        amount = _quantity(qty)
        unit = m["unit"]
        if amount is None:
            return None
        if qty.lower() in ("a", "an") and not ago:
            at_start = not text[: m.start()].strip()
            if not at_start and prev not in _ARTICLE_OK_BEFORE:
                return None
        if m["half"]:
            amount += 0.5
    if not ago and prev == "in" and before_words[-2:-1] not in (["the"], ["last"], ["past"]):
        return None  # "in 2 weeks" is in the future
    days = amount * _unit_days(unit)
    if m["qty2"] is not None and m["unit2"] is not None:
        extra = _quantity(m["qty2"])
        if extra is not None:
            days += extra * _unit_days(m["unit2"])
    if not ago and _SINCE_AFTER.match(text, m.end()):
        ago = True  # "3 years since my last flare"
    return _make(text, m.start(), m.end(), round_half_up(days), "ago" if ago else "for")


def _last_unit(text: str, m: re.Match[str]) -> Extracted:
    before = _words_before(text, m.start(), 1)
    prev = before[-1] if before else ""
    span = m["which"].lower() == "past" or prev in ("the", "since", "this")
    days = _unit_days(m["unit"])
    return _make(text, m.start(), m.end(), days, "for" if span else "ago")


def _month(text: str, m: re.Match[str], today: date) -> Extracted | None:
    if _after_birth_word(text, m.start()):
        return None
    prep = (m.groupdict().get("prep") or "").lower()
    month = MONTHS[m["month"].lower()]
    since = prep == "since"
    if m["year"]:
        year = int(m["year"])
    elif prep == "last":
        year = today.year if month < today.month else today.year - 1
    else:
        year = today.year if month <= today.month else today.year - 1
    if m["year"] is None and _future_context(text, m.start()):
        return None
    part = (m.groupdict().get("part") or "").lower()
    day = _PART_DAY.get(part, 1 if since else 15)
    anchor = date(year, month, day)
    return _anchored(text, m, anchor, today, since)


def _year(text: str, m: re.Match[str], today: date) -> Extracted | None:
    if _after_birth_word(text, m.start()):
        return None
    year = int(m["year"])
    since = m["prep"].lower() == "since"
    if year > today.year or year < 1920:
        return None
    anchor = date(year, 1, 1) if since else date(year, 7, 1)
    return _anchored(text, m, anchor, today, since)


def _season(text: str, m: re.Match[str], today: date) -> Extracted | None:
    prep = (m["prep"] or "").lower()
    det = " ".join((m["det"] or "").lower().split())
    if not prep and not det and not m["year"]:
        return None  # "I love summer"
    if det == "past" and not prep:
        det = "this past"
    since = prep == "since"
    season = m["season"].lower()
    start_month = _SEASON_START[season]
    if m["year"]:
        start = date(int(m["year"]), start_month, 1)
    else:
        completed_only = det in ("last", "this past")
        latest = _latest_season_start(start_month, today, completed_only)
        if latest is None:
            return None
        if not completed_only and _future_context(text, m.start()):
            return None
        start = latest
    if since:
        anchor = start
    else:
        middle = _add_months(start, 1)
        anchor = middle.replace(day=15)
    return _anchored(text, m, anchor, today, since)


def _holiday(text: str, m: re.Match[str], today: date) -> Extracted | None:
    prep = m["prep"].lower()
    if prep in ("before", "by") or _future_context(text, m.start()):
        return None
    month, day = _HOLIDAY_DATE.get(m["name"].lower(), (1, 1))
    year = today.year if (month, day) <= (today.month, today.day) else today.year - 1
    return _anchored(text, m, date(year, month, day), today, prep == "since")


def _anchored(
    text: str, m: re.Match[str], anchor: date, today: date, since: bool
) -> Extracted | None:
    days = (today - anchor).days
    if days < 0:
        return None
    return _make(text, m.start(), m.end(), days, "for" if since else "ago")


def _latest_season_start(start_month: int, today: date, completed_only: bool) -> date | None:
    for year in range(today.year, today.year - 3, -1):
        start = date(year, start_month, 1)
        end = _add_months(start, 3) - timedelta(days=1)
        if (completed_only and end < today) or (not completed_only and start <= today):
            return start
    return None


def _add_months(day: date, months: int) -> date:
    index = day.month - 1 + months
    return date(day.year + index // 12, index % 12 + 1, 1)


def _quantity(text: str) -> float | None:
    parts = re.split(r"\s*(?:-|–|\bto\b|\bor\b)\s*", text.strip(), flags=_F)
    if len(parts) == 2 and all(parts):
        low, high = parse_number(parts[0]), parse_number(parts[1])
        if low is None or high is None:
            return None
        return (low + high) / 2
    return parse_number(text)


def _unit_days(unit: str) -> int:
    u = unit.lower()
    if u.startswith("d") and u.startswith("dec"):
        return UNIT_DAYS["decade"]
    if u.startswith("d"):
        return UNIT_DAYS["day"]
    if u.startswith("w"):
        return UNIT_DAYS["week"]
    if u.startswith("f"):
        return UNIT_DAYS["fortnight"]
    if u.startswith("m"):
        return UNIT_DAYS["month"]
    return UNIT_DAYS["year"]


def _words_before(text: str, pos: int, n: int) -> list[str]:
    words = re.findall(r"[a-z']+|\d+", text[:pos].lower())
    return words[-n:]


def _after_birth_word(text: str, pos: int) -> bool:
    return bool(re.search(r"\b(?:born|dob|birth)\b[\w\s,.:/-]{0,12}$", text[:pos], _F))


def _future_context(text: str, pos: int) -> bool:
    sentence = _SENTENCE_END.split(text[:pos])[-1]
    return bool(_FUTURE_BEFORE.search(sentence))


def _make(text: str, start: int, end: int, days: int, direction: Direction) -> Extracted:
    return Extracted(
        entity="duration", start=start, end=end, text=text[start:end], value=days, role=direction
    )
