"""The reading grade of one message: the measure the plain-language tests use
(tests/test_responses.py, tests/eligibility/test_criteria_content.py, tests/test_prescreen.py):
textstat's Flesch-Kincaid grade, with a link read as one word ("link")."""

from __future__ import annotations

import re

import textstat

# The project's limit for anything a patient reads (US grade 8 or lower).
MAX_GRADE = 8.0
# Shorter texts (button titles, "Age", "Not sure") are not graded, as in tests/test_prescreen.py.
MIN_WORDS = 4
_URL = re.compile(r"https?://\S+")
_PLACEHOLDER = re.compile(r"\{(\w+)\}")
# What a placeholder is filled with when the message is sent (samples, as the tests use).
SAMPLES = {
    "name": "Jane",
    "reference": "K7Q2",
    "number": "3",
    "total": "10",
    "question": "how much does it cost",
    "age": "52",
}


def readable(text: str) -> str:
    """The text as the grade formula should see it."""
    filled = _PLACEHOLDER.sub(lambda m: SAMPLES.get(m.group(1), "this"), text)
    return _URL.sub("link", filled)


def grade(text: str) -> float | None:
    """US school grade, one decimal; None for a text too short to grade."""
    cleaned = readable(text)
    if len(cleaned.split()) < MIN_WORDS:
        return None
    return round(float(textstat.flesch_kincaid_grade(cleaned)), 1)


def too_hard(value: float | None) -> bool:
    return value is not None and value > MAX_GRADE
