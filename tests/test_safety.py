"""bot.safety: emergencies and crises are recognised from reviewed patterns, without Rasa."""

import pytest

from bot import safety


@pytest.mark.parametrize(
    "text",
    [
        "I have chest pain",
        "my throat is swelling after i used the cream",
        "swollen throat after the cream",
        "I can\u2019t breathe",
        "cant breathe!!",
        "having an allergic reaction to something",
        "she passed out",
        "my throat feels swollen after I put the cream on",
        "my lips are getting swollen",
        "CHEST PRESSURE and sweating",
    ],
)
def test_emergencies(text: str) -> None:
    assert safety.classify(text) == "emergency"


@pytest.mark.parametrize(
    "text",
    [
        "I want to kill myself",
        "i dont want to live anymore",
        "thinking about ending my life",
        "i'm suicidal",
        "i've been cutting myself",
    ],
)
def test_crises(text: str) -> None:
    assert safety.classify(text) == "crisis"


@pytest.mark.parametrize(
    "text",
    [
        "is there a placebo?",
        "what are the side effects",
        "my rash is getting worse",
        "how long does the study last",
        "can I breathe easy about the cost?",
        "",
    ],
)
def test_ordinary_questions_are_not_flagged(text: str) -> None:
    assert safety.classify(text) is None


def test_emergency_wins_when_both_apply() -> None:
    assert safety.classify("chest pain and i want to die") == "emergency"


@pytest.mark.parametrize(
    "text",
    [
        "no im not safe",
        "No, I'm not safe",
        "I am not safe right now",
        "i'm not ok",
        "nope im not okay",
        "no i dont feel safe",
    ],
)
def test_a_no_to_are_you_safe_in_words_is_a_crisis(text: str) -> None:
    """Review finding 1: a typed "no im not safe" gets 988 wherever it is typed."""
    assert safety.classify(text) == "crisis"


@pytest.mark.parametrize(
    "text",
    [
        "I'm not sure",
        "no im not sure",
        "not sure",
        "not really",
        "no",
        "I'm not ok with sharing my phone",
        "no, I'm not okay with that",
        "I am not safe to drive after the shots?",
        "I'm not ok to answer that",
    ],
)
def test_ordinary_not_sure_or_not_ok_with_is_not_a_crisis(text: str) -> None:
    assert safety.classify(text) is None
