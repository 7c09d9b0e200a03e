"""The topic selector's regression (bot/nlu/topic_selector.py) without the rest of the pipeline:
its sure reading of a non-topic intent (out of scope, asking for a person) replaces a topic
question, and its sure topic replaces the classifier's other guess; greetings are left alone."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, INTENT_RESPONSE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.topic_selector import TopicSelector

EXAMPLES = {
    "faq/placebo": ["is there a placebo", "do some people get a fake cream", "is it a dummy cream"],
    "ask_team/cost": ["how much does it cost", "will i have to pay", "is it free to join"],
    "out_of_scope": ["what time does the store close", "tell me a joke", "whats the weather"],
    "talk_to_person": ["can a person call me", "i want to talk to someone", "get me a human"],
}


def _example(key: str, text: str) -> Message:
    data: dict[str, Any] = {TEXT: text, INTENT: key.split("/")[0]}
    if "/" in key:
        data[INTENT_RESPONSE_KEY] = key
    return Message(data=data)


@pytest.fixture(scope="module")
def selector(tmp_path_factory: pytest.TempPathFactory) -> TopicSelector:
    storage = LocalModelStorage(Path(tmp_path_factory.mktemp("storage")))
    component = TopicSelector(
        {**TopicSelector.get_default_config(), "sure": 0.3},
        storage,
        Resource("topic_selector"),
    )
    examples = [_example(k, t) for k, texts in EXAMPLES.items() for t in texts]
    component.train(TrainingData(training_examples=examples))
    return component


def _read(selector: TopicSelector, text: str, intent: str) -> Message:
    message = Message(data={TEXT: text})
    message.set(INTENT, {"name": intent, "confidence": 0.9})
    message.set(INTENT_RANKING_KEY, [{"name": intent, "confidence": 0.9}])
    return selector.process([message])[0]


def test_everyday_chat_read_as_a_topic_question_becomes_out_of_scope(
    selector: TopicSelector,
) -> None:
    message = _read(selector, "what time does the store close tonight", "faq")
    assert message.get(INTENT)["name"] == "out_of_scope"
    # The topics' own probabilities stay in the output, lowered by the other reading.
    assert message.get("response_selector")["faq"]["overall_confidence"] < 0.5


def test_a_sure_topic_replaces_the_classifiers_other_guess(selector: TopicSelector) -> None:
    message = _read(selector, "is there a placebo cream", "talk_to_person")
    assert message.get(INTENT)["name"] == "faq"
    assert message.get("response_selector")["faq"]["response"]["intent_response_key"] == (
        "faq/placebo"
    )


def test_asking_for_a_person_is_read_as_such(selector: TopicSelector) -> None:
    assert _read(selector, "can someone call me", "ask_team").get(INTENT)["name"] == (
        "talk_to_person"
    )


def test_a_greeting_is_left_to_the_classifier(selector: TopicSelector) -> None:
    assert _read(selector, "tell me a joke", "greet").get(INTENT)["name"] == "greet"


def test_a_story_without_a_question_keeps_its_acknowledgement(selector: TopicSelector) -> None:
    assert _read(selector, "i had a placebo cream once", "share_story").get(INTENT)["name"] == (
        "share_story"
    )
    assert (
        _read(selector, "i had a placebo cream once is there a placebo?", "share_story").get(
            INTENT
        )["name"]
        == "faq"
    )


def test_a_story_that_starts_with_a_question_word_is_a_question(selector: TopicSelector) -> None:
    # v6/v5 wrong answers: "has the fda ok'd it for DM yet", "do i qualify if ive been on
    # prednisone ..." (no question mark) got "Thank you for telling me".
    message = _read(selector, "is there a placebo cream in it", "share_story")
    assert message.get(INTENT)["name"] == "faq"


def test_the_first_of_several_questions_decides_when_it_is_sure(selector: TopicSelector) -> None:
    # "if i join do I have to come off these? also how long is the study": the medicines
    # question is asked first; the timeline, read more surely, becomes the button.
    keys = ["faq/medications_stop", "faq/timeline", "out_of_scope"]
    first = np.array([0.87, 0.1, 0.03])
    second = np.array([0.01, 0.98, 0.01])
    whole = np.array([0.02, 0.97, 0.01])
    parts = ["do I have to come off these?", "how long is the study"]
    assert selector._deciding(whole, [first, second], keys, parts) is first
    # "where exactly is it, which building": one question refined after a comma.
    assert selector._deciding(whole, [first, second], keys, ["where is it", "which one"]) is second
    # An unsure first question, or a first "question" that is not a topic, does not decide.
    unsure = np.array([0.6, 0.3, 0.1])
    assert selector._deciding(whole, [unsure, second], keys, parts) is second
    chat = np.array([0.05, 0.05, 0.9])
    assert selector._deciding(whole, [chat, second], keys, parts) is second
    # One question: the surest reading, as before.
    assert selector._deciding(whole, [first], keys, parts[:1]) is whole


def _unsure(text: str, intent: str = "why_ask", confidence: float = 0.32) -> Message:
    message = Message(data={TEXT: text})
    message.set(INTENT, {"name": intent, "confidence": confidence})
    return message


def test_a_sure_topic_answers_a_question_the_classifier_is_unsure_of(
    selector: TopicSelector,
) -> None:
    question = "Why do the doctors think this might help when nothing else has?"
    assert selector._rescues(_unsure(question), "faq/why_this_treatment", 0.93)
    # Not when the classifier is sure of its own reading, the topic is unsure, the best
    # reading is not a topic, or the message asks nothing (a prescreen reply, a payload).
    assert not selector._rescues(_unsure(question, confidence=0.9), "faq/purpose", 0.93)
    assert not selector._rescues(_unsure(question), "faq/why_this_treatment", 0.6)
    assert not selector._rescues(_unsure(question), "talk_to_person", 0.95)
    assert not selector._rescues(_unsure("yes I take it daily"), "faq/treatment", 0.95)
    assert not selector._rescues(_unsure("/faq_placebo"), "faq/placebo", 0.95)
