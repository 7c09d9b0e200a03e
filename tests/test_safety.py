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
