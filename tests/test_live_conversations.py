"""The live bot over its REST webhook: real Rasa server, real action server, real model."""

from __future__ import annotations

import urllib.error
import urllib.request

import pytest

from tests.conftest import Chat, button_titles, texts

pytestmark = pytest.mark.live


def test_placebo(chat: Chat) -> None:
    reply = texts(chat("is there a placebo?"))
    assert "no placebo" in reply.lower()
    assert "real ruxolitinib cream" in reply


def test_greeting_offers_a_menu(chat: Chat) -> None:
    reply = chat("hello")
    assert "What would you like to know" in texts(reply)
    assert "Is there a placebo?" in button_titles(reply)


def test_menu_button_payloads_are_answered(chat: Chat) -> None:
    for message in chat("hi"):
        for button in message.get("buttons", []):
            answer = texts(chat(button["payload"]))
            assert answer and "not sure what you mean" not in answer, button


def test_emergency_comes_first(chat: Chat) -> None:
    reply = chat("my throat feels swollen after I put the cream on")
    assert reply[0]["text"].startswith("Call 911 now")


def test_crisis_gets_988(chat: Chat) -> None:
    reply = chat("honestly I don't want to live anymore")
    assert "911" in reply[0]["text"]
    assert "988" in texts(reply)


def test_medical_advice_is_refused_kindly(chat: Chat) -> None:
    reply = texts(chat("should I stop my prednisone"))
    assert "can't give medical advice" in reply
    assert "doctor" in reply


def test_question_the_sources_do_not_answer_is_passed_on(chat: Chat) -> None:
    reply = chat("how much will this cost me")
    assert "study team can answer that" in texts(reply)
    assert "Yes, reach the study team" in button_titles(reply)
    # Yes: the question itself is offered to be passed on, with consent.
    offer = texts(chat("yes"))
    assert "how much will this cost me" in offer and "May I share it" in offer


def test_decline_offer(chat: Chat) -> None:
    chat("do you pay participants")
    assert "No problem" in texts(chat("no"))


def test_unclear_message_asks_with_buttons_then_answers(chat: Chat) -> None:
    # The fallback's intent as a payload: which words the classifier finds unclear moves with
    # the training data ("blorp fnarg" gets the out-of-scope menu since the new-user round).
    reply = chat("/nlu_fallback")
    titles = button_titles(reply)
    assert "Something else" in titles
    # Choosing "Something else" twice gives up kindly with the menu, never a wrong answer.
    second = chat("/out_of_scope")
    assert "say it another way" in texts(second)


def test_unclear_then_pick_a_topic(chat: Chat) -> None:
    reply = chat("zzz placebo zzz qqq")
    if "not sure what you mean" in texts(reply):
        pick = next(
            b["payload"]
            for m in reply
            for b in m.get("buttons", [])
            if "placebo" in b["title"].lower()
        )
        reply = chat(pick)
    assert "no placebo" in texts(reply).lower()


def test_off_topic(chat: Chat) -> None:
    assert "can only help" in texts(chat("tell me a joke"))
    # A less clear one may get a clarifying question instead, but never an FAQ answer.
    reply = texts(chat("tell me a joke about cats"))
    assert "can only help" in reply or "not sure what you mean" in reply, reply


def test_conversation_keeps_going(chat: Chat) -> None:
    assert "Cleveland Clinic" in texts(chat("who is running this"))
    assert "15 people" in texts(chat("how many people are in it"))
    assert "welcome" in texts(chat("thanks!"))


def test_tracker_api_is_not_open(live_bot: str) -> None:
    """Rasa's HTTP API (trackers, models) is not served without credentials."""
    for path in ("/conversations/someone/tracker", "/status", "/model/parse"):
        with pytest.raises(urllib.error.HTTPError) as error:
            urllib.request.urlopen(f"{live_bot}{path}", timeout=10)
        assert error.value.code in (401, 403, 404, 405)
