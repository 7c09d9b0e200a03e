"""Free-text replies to yes/no questions, corrections and ages."""

from __future__ import annotations

from typing import Any

import pytest

from bot.prescreen.answers import correction, interpret, parse_age

YES = [
    "yes",
    "Yes.",
    "YES",
    "yes!!",
    "yesss",
    "yeah",
    "yea",
    "yep",
    "yup",
    "ya",
    "uh huh",
    "sure",
    "i think so",
    "I believe so",
    "I guess so",
    "definitely",
    "absolutely",
    "correct",
    "that's right",
    "of course",
    "no problem",
    "yes in 2023",
    "yes, prednisone",
    "Yes, about 3 years ago",
    "yes I'm sure",
    "I have",
    "I did",
    "i do",
    "I am",
    "I'm willing",
    "I would",
    "I'd be willing",
    "I've tried it",
    "I took prednisone in 2019",
    "I'm on methotrexate",
    "I'm still on it",
    "have been on it for years",
    "I think I did",
    "I tried it but it didn't work",
    "Yes, but is there a placebo?",
    "Do you mean prednisone? Then yes",
    "well yes",
    "Yes \u2019 I have",
]
NO = [
    "no",
    "No.",
    "Nooo",
    "nope",
    "nah",
    "never",
    "Nope, never",
    "not really",
    "not yet",
    "not at all",
    "none of those",
    "i haven't",
    "I havent",
    "haven't",
    "I have not",
    "no i don't",
    "I don't",
    "I didn't",
    "I've never had a biopsy",
    "I'm not willing",
    "I wouldn't",
    "I'd rather not",
    "I don't think so",
    "i think not",
    "definitely not",
    "of course not",
    "no way",
    "no, I\u2019ve never taken those",
]
UNSURE = [
    "not sure",
    "Not really sure",
    "I'm not sure",
    "unsure",
    "no idea",
    "no clue",
    "dunno",
    "idk",
    "i don't know",
    "I dont know",
    "maybe",
    "perhaps",
    "probably",
    "probably not",
    "can't remember",
    "I cannot remember",
    "I don't remember",
    "I forget",
    "not sure what that is",
    "Not sure, what is IVIG?",
    "Not that I know of",
    "i think it was prednisone",
    "yes and no",
    "Yes, maybe",
    "hard to say",
]
NOT_AN_ANSWER = [
    "is there a placebo?",
    "Is there a placebo",
    "what is IVIG",
    "What's a biopsy?",
    "why do you ask",
    "how long is the study",
    "Is it ok if I'm not sure?",
    "Do I need to stop my cream?",
    "Can I still join if I take prednisone?",
    "Does plaquenil count?",
    "Sure, what's IVIG?",
    "tell me more",
    "hello",
    "ok",
    "stop",
    "my rash is on my hands",
    "it did not help",
    "I am 52",
    "",
    "   ",
    "n/a",
    "I'm a man",
]
TABLE = (
    [(t, "yes") for t in YES]
    + [(t, "no") for t in NO]
    + [(t, "unsure") for t in UNSURE]
    + [(t, None) for t in NOT_AN_ANSWER]
)


def test_the_table_is_big_enough() -> None:
    assert len(TABLE) >= 60
    assert len({t for t, _ in TABLE}) == len(TABLE)


@pytest.mark.parametrize(("text", "expected"), TABLE)
def test_interpret(text: str, expected: str | None) -> None:
    assert interpret(text) == expected


NOT_APPLICABLE = [
    "n/a",
    "N/A",
    "na",
    "not applicable",
    "doesn't apply",
    "does not apply to me",
    "i'm a man",
    "I am male",
    "male",
    "I can't get pregnant",
    "I cannot become pregnant",
    "post menopause",
    "I'm postmenopausal",
    "I went through menopause",
    "I had a hysterectomy",
    "my tubes are tied",
    "No, I'm a man",
    "actually I'm a man",
]


@pytest.mark.parametrize("text", NOT_APPLICABLE)
def test_not_applicable_only_where_allowed(text: str) -> None:
    assert interpret(text, allow_not_applicable=True) == "not_applicable"
    assert interpret(text) != "not_applicable"


@pytest.mark.parametrize(("text", "expected"), [("yes", "yes"), ("no", "no"), ("idk", "unsure")])
def test_pregnancy_question_still_takes_plain_replies(text: str, expected: str) -> None:
    assert interpret(text, allow_not_applicable=True) == expected


CORRECTIONS = [
    ("I meant no", "no"),
    ("i meant yes", "yes"),
    ("actually yes", "yes"),
    ("Actually, I have", "yes"),
    ("actually no", "no"),
    ("sorry, I meant not sure", "unsure"),
    ("sorry I meant no", "no"),
    ("wait, no", "no"),
    ("no wait, yes", "yes"),
    ("No, I meant yes", "yes"),
    ("oops, yes", "yes"),
    ("my mistake, I haven't", "no"),
    ("change my answer to no", "no"),
    ("on second thought, I'm not sure", "unsure"),
]


@pytest.mark.parametrize(("text", "expected"), CORRECTIONS)
def test_corrections(text: str, expected: str) -> None:
    assert correction(text) == expected
    assert interpret(text) == expected


@pytest.mark.parametrize(
    "text", ["yes", "no", "not sure", "sorry", "sorry, what?", "I mean, is there a placebo?"]
)
def test_no_correction(text: str) -> None:
    assert correction(text) is None


def test_correction_to_not_applicable_only_where_allowed() -> None:
    assert correction("sorry, I meant n/a", allow_not_applicable=True) == "not_applicable"
    assert correction("sorry, I meant n/a") is None


AGE = {"entity": "age", "value": 52, "confidence": 1.0}
AGES: list[tuple[str, list[dict[str, Any]], int | None]] = [
    ("I'm 52", [AGE], 52),
    ("fifty two", [AGE], 52),
    ("52", [], 52),
    ("52.", [], 52),
    ("52 years old", [], 52),
    ("I am 52", [], 52),
    ("age 18", [], 18),
    ("17", [], 17),
    ("90", [], 90),
    ("I'm 52", [{"entity": "age", "value": "52"}], 52),
    ("something", [{"entity": "medication", "value": "prednisone"}], None),
    ("3 months", [], None),
    ("10 mg", [], None),
    ("1.5%", [], None),
    ("born in 1972", [], None),
    ("52 or 53", [], None),
    ("is 17 too young?", [{"entity": "age", "value": 17}], None),
    ("200", [], None),
    ("0", [], None),
    ("not telling", [], None),
    ("", [], None),
]


@pytest.mark.parametrize(("text", "entities", "expected"), AGES)
def test_parse_age(text: str, entities: list[dict[str, Any]], expected: int | None) -> None:
    assert parse_age(text, entities) == expected


def test_parse_age_prefers_the_entity() -> None:
    assert parse_age("52, my husband is 60", [AGE]) == 52
