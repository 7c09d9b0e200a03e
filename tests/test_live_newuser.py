"""The new-user test of 2026-12-01 (docs/usertest-2026-12-01.md) over the live REST webhook:
questions about the study that got the medical-advice refusal (C2), questions it did not
understand (C4), a frightened follow-up to the serious risks (C5), a wrong match (C6), and
answers that did not answer the question asked (M8-M10). Each message is the tester's own.
"""

from __future__ import annotations

import re

import pytest

from tests.conftest import Chat, button_titles, texts

pytestmark = pytest.mark.live

ADVICE = "can't give medical advice"


def test_a_nervous_person_whose_doctor_suggested_the_study_hears_how_to_join(chat: Chat) -> None:
    reply = chat(
        "im 70 and i have dermatomyosits, my dr said maybe this cream study could help?? "
        "im nervous abt this"
    )
    said = texts(reply)
    assert ADVICE not in said, said
    assert "okay to feel unsure" in said and "18 to 89" in said, said
    assert "Check if I might qualify" in button_titles(reply)


def test_stopped_a_medicine_to_join_hears_call_the_doctor_and_the_2_months(chat: Chat) -> None:
    said = texts(
        chat("I stopped my plaquenil last week so I could be in the study. Can I sign up now?")
    )
    assert ADVICE not in said, said
    assert "doctor who prescribed it" in said, said
    assert "2 months" in said, said


def test_another_disease_hears_the_study_is_only_for_dermatomyositis(chat: Chat) -> None:
    said = texts(chat("i have lupus rash, can i get this cream"))
    assert ADVICE not in said, said
    assert "only for adults" in said and "dermatomyositis" in said, said


@pytest.mark.parametrize("text", ["how do i apply", "how can I get in this trial"])
def test_how_to_apply_offers_the_prescreen(chat: Chat, text: str) -> None:
    reply = chat(text)
    said = texts(reply)
    assert "not sure what you mean" not in said, said
    # The joining answer's button, or the prescreen's own consent question.
    assert "Check if I might qualify" in button_titles(reply) or "Do you want to start?" in said


@pytest.mark.parametrize(
    "text",
    ["what happens to my information if I share it", "who sees my answers?", "is this private"],
)
def test_privacy_questions_get_what_the_assistant_does(chat: Chat, text: str) -> None:
    said = texts(chat(text))
    assert "only if you say yes to sharing them" in said, said


def test_whether_ones_own_doctor_is_told_goes_to_the_study_team(chat: Chat) -> None:
    said = texts(chat("will my own dermatologist find out"))
    assert "your own doctor" in said and "study team can answer" in said, said


def test_thanks_right_after_a_handoff_says_what_happens_next(chat: Chat) -> None:
    chat("I want to talk to a person")
    chat("Is there parking near the clinic?")
    chat("Yes, pass it on")
    chat("Quentin Zabriskie")
    chat("216-555-0147")
    done = texts(chat("weekday mornings"))
    assert re.search(r"reference code is [A-Z0-9]{4}", done), done
    said = texts(chat("thank u, what happens now"))
    assert "what happens next" in said and "contacts you" in said, said
    # Anywhere else, thanks is only thanks.
    assert "what happens next" not in texts(chat("thanks"))


@pytest.mark.parametrize(
    "first", ["is this cream safe for old people?", "what are the serious risks"]
)
def test_a_frightened_follow_up_to_the_risks_gets_a_calm_answer(chat: Chat, first: str) -> None:
    assert "boxed warning" in texts(chat(first))
    said = texts(chat("oh my that sounds scary. death??"))
    assert "whole drug family" in said and "doctor" in said, said
    assert "anything else you would like to know" not in said


def test_going_back_to_the_old_treatment_is_not_the_side_effects_answer(chat: Chat) -> None:
    said = texts(chat("what if it doesnt work, can i go back to my old treatment"))
    assert "911" not in said and "bothers your skin" not in said, said
    assert "study team can answer" in said, said


def test_how_many_have_joined_says_the_plan_and_that_it_is_not_known(chat: Chat) -> None:
    said = texts(chat("how many people have already joined"))
    assert "about 15 people" in said and "how many people have joined so far" in said, said


def test_the_same_as_the_pills_says_only_what_the_sources_say(chat: Chat) -> None:
    said = texts(chat("is this the same as jakafi pills?"))
    assert "only ruxolitinib 1.5% cream" in said and "study team can answer" in said, said


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("can my son join? he is 15", "under 18 cannot join"),
        ("he turns 18 in march. can he join then?", "may be able to after they turn 18"),
    ],
)
def test_an_age_question_gets_the_age_rule_answered(chat: Chat, text: str, words: str) -> None:
    said = texts(chat(text))
    assert "18 to 89" in said and words in said, said


@pytest.mark.parametrize("text", ["can my grandma join she is 80", "can my husband join? he is 58"])
def test_an_age_in_range_is_not_told_about_under_18_first(chat: Chat, text: str) -> None:
    """New-user check (2026-12-02): these began "Only adults aged 18 to 89 can take part, so
    someone under 18 cannot join", with no way on to the prescreen."""
    reply = chat(text)
    first = texts(reply).split(". ")[0]
    assert "18 to 89" in first and "under 18" not in first, first
    assert "Check if I might qualify" in button_titles(reply)
