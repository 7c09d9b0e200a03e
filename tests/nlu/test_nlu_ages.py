"""Ages: digits, number words, "years old", birth years relative to an injected today."""

from __future__ import annotations

from datetime import date

import pytest

from bot.nlu.ages import find_ages

TODAY = date(2025, 11, 10)


@pytest.mark.parametrize(
    ("text", "age"),
    [
        ("I'm 52", 52),
        ("I’m 52", 52),
        ("im 19", 19),
        ("I am 67 years old and have had DM for 4 years", 67),
        ("52 years old", 52),
        ("I'm a 43-year-old mom", 43),
        ("46yo male", 46),
        ("34 y/o F", 34),
        ("55 y.o.", 55),
        ("I'm fifty-two", 52),
        ("I am forty one", 41),
        ("I am fifty seven years old", 57),
        ("fourty-eight", 48),
        ("sixty-three", 63),
        ("44", 44),
        ("My age is 45", 45),
        ("Age: 34", 34),
        ("aged 49", 49),
        ("I just turned 40", 40),
        ("I'll be 71 next month", 70),
        ("I'm going to be 65 in January", 64),
        ("born in 1971", 54),
        ("I was born in March 1958", 67),
        ("born December 1962", 62),
        ("DOB 04/12/1968", 57),
        ("Born in '72", 53),
        ("I'm 38, diagnosed at 35", 38),
        ("I was diagnosed when I was 45 and I'm 50 now", 50),
        ("My husband is 60, I'm 57", 57),
    ],
)
def test_age(text: str, age: int) -> None:
    assert [a.value for a in find_ages(text, TODAY)] == [age]


@pytest.mark.parametrize(
    "text",
    [
        "I'm 5 foot 6",
        "I'm 5'4 and 140 lbs",
        "I'm 3 weeks into the taper",
        "I'm 100% sure",
        "My husband is 60",
        "I was 41 when this started",
        "diagnosed at age 45",
        "I'm one of the patients",
        "I have 2 kids",
        "The pain is a 7 out of 10",
        "I'm on 20 mg",
        "3 months",
        "i'm in my late 50s",
    ],
)
def test_not_an_age(text: str) -> None:
    assert find_ages(text, TODAY) == []


def test_birth_year_is_relative_to_today() -> None:
    assert [a.value for a in find_ages("born in 1971", date(2030, 1, 1))] == [59]
    born_december = "born December 1962"
    assert [a.value for a in find_ages(born_december, date(2025, 12, 2))] == [63]


def test_offsets_cover_the_expression() -> None:
    text = "hello, I am 52 years old"
    (age,) = find_ages(text, TODAY)
    assert text[age.start : age.end] == age.text
    assert "52" in age.text
