"""Calendar words shared by the age and duration parsers."""

from __future__ import annotations

MONTHS: dict[str, int] = {
    "january": 1,
    "jan": 1,
    "february": 2,
    "feb": 2,
    "march": 3,
    "mar": 3,
    "april": 4,
    "apr": 4,
    "may": 5,
    "june": 6,
    "jun": 6,
    "july": 7,
    "jul": 7,
    "august": 8,
    "aug": 8,
    "september": 9,
    "sept": 9,
    "sep": 9,
    "october": 10,
    "oct": 10,
    "november": 11,
    "nov": 11,
    "december": 12,
    "dec": 12,
}
#: Regex alternation of month names, longest first.
MONTH_RE = "|".join(sorted(MONTHS, key=len, reverse=True))
#: A four-digit year from 1900 to 2099.
YEAR_RE = r"(?:19|20)\d{2}"
