"""The second new-user test (2026-12-02, 21 conversations in the tester's own words) over the
live REST webhook: a caregiver whose person has not agreed yet, "Stop for now" after a 911
answer, a name typed at the share question, the "not a fit" ending's way to the study team, a
phone number said aloud, and the caregiver wording of the last steps."""

from __future__ import annotations

import pytest

from tests.conftest import Conversation, button_titles, texts

pytestmark = pytest.mark.live

CAREGIVER = ["74", "Yes", "Yes", "Yes", "Yes", "Yes", "Yes", "Yes", "Yes", "No"]


def started(chat: Conversation) -> None:
    assert "2 minutes" in texts(chat("can I join the study?"))
    chat("Yes, let's start")


def at_share(chat: Conversation) -> str:
    """For oneself, every answer fitting: the share question."""
    started(chat)
    for answer in ["52", "Yes", "Yes", "Yes", "Yes", "Yes", "Yes", "Yes", "Yes"]:
        chat(answer)
    reply = texts(chat("No"))
    assert "Can I share your answers" in reply, reply
    return reply


def caregiver_at_share(chat: Conversation) -> str:
    assert "2 minutes" in texts(chat("can my mother join the study?"))
    chat("Yes, for someone else")
    for answer in CAREGIVER[:-1]:
        chat(answer)
    reply = texts(chat(CAREGIVER[-1]))
    assert "knows about this and agrees" in reply, reply
    return reply


def test_a_caregiver_who_will_ask_first_is_not_taken_as_agreeing(chat: Conversation) -> None:
    caregiver_at_share(chat)
    reply = texts(chat("ok I'll ask her first then"))
    assert "Please ask them first" in reply and "name of the person" not in reply, reply
    reply = texts(chat("Yes, they know and agree"))
    assert "name of the person" in reply, reply
    reply = texts(chat("no! she doesn't know yet. don't send anything"))
    assert "Please ask them first" in reply, reply
    # Back at the share question: "No, thanks" there shares and keeps nothing.
    assert "did not share or keep" in texts(chat("No, thanks"))


def test_stop_for_now_after_911_says_911_again(chat: Conversation) -> None:
    started(chat)
    reply = texts(chat("I'm having a hard time breathing right now and my chest feels tight"))
    assert reply.startswith("Call 911 now"), reply
    reply = texts(chat("/safety_stop"))
    assert "call 911" in reply and "988" in reply and "Do you want to stop" in reply, reply
    assert "did not keep your answers" in texts(chat("Yes, stop"))


def test_a_name_typed_at_the_share_question_is_told_what_is_needed(chat: Conversation) -> None:
    at_share(chat)
    reply = texts(chat("Gerald Novak"))
    assert "yes or a no to this first" in reply, reply


def test_the_not_a_fit_ending_offers_the_study_team(chat: Conversation) -> None:
    started(chat)
    chat("52")
    chat("No")  # no diagnosis: may not be a fit
    reply = chat("No, that's right")
    assert "clinicaltrials.gov" in texts(reply)
    assert "Ask the study team" in button_titles(reply), reply
    assert "like to ask the study team" in texts(chat("/talk_to_person"))


def test_a_phone_number_said_aloud_is_taken(chat: Conversation) -> None:
    at_share(chat)
    assert "contact you" in texts(chat("Yes, share my answers"))
    chat("Gerald Novak")
    reply = texts(chat("four four zero five five five zero one nine nine"))
    assert "best time" in reply, reply


@pytest.mark.parametrize("text", ["I get IVIG every month", "I take cellcept 1000 mg twice a day"])
def test_a_statement_about_ones_medicine_is_no_request_for_advice(
    chat: Conversation, text: str
) -> None:
    """These got "I'm sorry, I can't give medical advice"; they ask nothing."""
    said = texts(chat(text))
    assert "can't give medical advice" not in said and "Thank you for telling me" in said, said


def test_a_question_about_ones_medicine_still_gets_the_doctor_pointer(chat: Conversation) -> None:
    said = texts(chat("should i stop taking my plaquenil, it makes me nauseous"))
    assert "can't give medical advice" in said and "doctor" in said, said
