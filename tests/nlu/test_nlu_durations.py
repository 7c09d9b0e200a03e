"""Durations in days with a direction; number words; dates relative to an injected today."""

from __future__ import annotations

from datetime import date

import pytest

from bot.nlu.durations import find_durations
from bot.nlu.numbers import parse_number, round_half_up

TODAY = date(2025, 11, 10)


@pytest.mark.parametrize(
    ("text", "days", "direction"),
    [
        ("about 3 months ago", 90, "ago"),
        ("stopped the cream 3 weeks ago", 21, "ago"),
        ("stable for 6 months", 180, "for"),
        ("a couple of weeks", 14, "for"),
        ("a couple weeks ago", 14, "ago"),
        ("a few months ago", 90, "ago"),
        ("for several weeks", 21, "for"),
        ("over a year", 365, "for"),
        ("over a decade ago", 3650, "ago"),
        ("for half a year", 183, "for"),
        ("a year and a half ago", 548, "ago"),
        ("two and a half years", 913, "for"),
        ("1.5 yrs", 548, "for"),
        ("18 months", 540, "for"),
        ("6 weeks", 42, "for"),
        ("4 mos now", 120, "for"),
        ("2wks ago", 14, "ago"),
        ("10 days ago", 10, "ago"),
        ("3-4 months ago", 105, "ago"),
        ("for 2 or 3 weeks", 18, "for"),
        ("2 years and 3 months", 820, "for"),
        ("eight months ago", 240, "ago"),
        ("a twelve week course", 84, "for"),
        ("a few years back", 1095, "ago"),
        ("for the past 6 months", 180, "for"),
        ("in the last 2 weeks", 14, "for"),
        ("x 5 years", 1825, "for"),
        ("3 years since my last flare", 1095, "ago"),
        ("last year", 365, "ago"),
        ("since last year", 365, "for"),
        ("in the past year", 365, "for"),
        ("last month", 30, "ago"),
        ("since March", 254, "for"),
        ("in March", 240, "ago"),
        ("last April", 209, "ago"),
        ("since May 2023", 924, "for"),
        ("in August 2024", 452, "ago"),
        ("diagnosed Jan 2024", 665, "ago"),
        ("since the beginning of October", 40, "for"),
        ("in 2019", 2324, "ago"),
        ("back in 2019", 2324, "ago"),
        ("since 2021", 1774, "for"),
        ("last spring", 209, "ago"),
        ("since last spring", 254, "for"),
        ("last winter", 299, "ago"),
        ("last fall", 391, "ago"),
        ("since the summer", 162, "for"),
        ("in the spring of 2024", 574, "ago"),
        ("around Christmas", 320, "ago"),
    ],
)
def test_duration(text: str, days: int, direction: str) -> None:
    assert [(d.value, d.role) for d in find_durations(text, TODAY)] == [(days, direction)]


@pytest.mark.parametrize(
    "text",
    [
        "I see my dermatologist every 3 months",
        "IVIG every 4 weeks",
        "twice a week",
        "I walk 3 miles a day",
        "3 days a week",
        "my appointment is in 2 weeks",
        "52 years old",
        "a 58 year old woman",
        "I work 12 hour shifts",
        "I may need to take a day off",
        "for years",
        "a long time ago",
        "born in 1971",
        "I'm going to be 65 in January",
        "I love summer",
        "my last flare",
    ],
)
def test_not_a_duration(text: str) -> None:
    assert find_durations(text, TODAY) == []


def test_two_durations_in_one_message() -> None:
    found = find_durations("I was in the hospital for 3 days in 2023", TODAY)
    assert [(d.value, d.role) for d in found] == [(3, "for"), (863, "ago")]


def test_calendar_phrases_are_relative_to_today() -> None:
    # In February, "since March" means last year's March.
    assert [d.value for d in find_durations("since March", date(2025, 2, 10))] == [346]
    # "last spring" is the latest spring that has ended.
    assert [d.value for d in find_durations("last spring", date(2025, 4, 1))] == [351]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("52", 52),
        ("1.5", 1.5),
        ("fifty-two", 52),
        ("Fifty two", 52),
        ("seventeen", 17),
        ("ninety", 90),
        ("a", 1),
        ("a couple of", 2),
        ("couple", 2),
        ("a few", 3),
        ("several", 3),
        ("half a", 0.5),
        ("lots", None),
        ("", None),
    ],
)
def test_parse_number(text: str, value: float | None) -> None:
    assert parse_number(text) == value


def test_round_half_up() -> None:
    assert [round_half_up(x) for x in (182.5, 547.5, 17.4, 0.0)] == [183, 548, 17, 0]
