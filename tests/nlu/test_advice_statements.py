"""bot.nlu.advice.only_tells: telling about one's treatment is not asking for advice (second
new-user test, 2026-12-02: "I get IVIG every month" got "I'm sorry, I can't give medical
advice")."""

from __future__ import annotations

import pytest

from bot.nlu import advice


@pytest.mark.parametrize(
    "text",
    [
        "I get IVIG every month",
        "I take cellcept 1000 mg twice a day",
        "my doctor put me on methotrexate last spring",
        "Im on plaquenil and prednisone",
    ],
)
def test_a_statement_about_a_treatment_only_tells(text: str) -> None:
    assert advice.only_tells(text)


@pytest.mark.parametrize(
    "text",
    [
        "should i stop my plaquenil",
        "I want to stop my methotrexate",
        "i take 20mg prednisone, is that too much",
        "I take cellcept, what about the study",
        "thinking of cutting my prednisone in half",
        "I missed two doses of cellcept",
        "can i use my sisters cream",
    ],
)
def test_a_question_or_a_change_does_not(text: str) -> None:
    assert not advice.only_tells(text)
