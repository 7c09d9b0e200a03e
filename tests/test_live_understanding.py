"""Issue 16 over the live REST webhook: the everyday questions the first releases missed.

Each question below got "Sorry, I'm not sure what you mean" or a wrong answer before the
sentence encoder and the new topics; each must now get the answer of its topic (checked by
the facts that answer states, from tests/heldout/expected.yml), or for a question about the
person's own treatment the kind refusal with the doctor pointer.
"""

from __future__ import annotations

import pytest
import yaml

from evaluation.faq_heldout import HELDOUT_DIR, reply_passes
from tests.conftest import Chat, button_titles, texts

pytestmark = pytest.mark.live

EXPECTED = yaml.safe_load((HELDOUT_DIR / "expected.yml").read_text())

# (message, topic) straight from the list of misses.
MISSED = [
    ("will my rash go away if i use it", "expected_benefit"),
    ("what bad stuff could happen if i use it", "safety"),
    ("can this give me cancer or blood clots", "serious_risks"),
    ("how often would i need to come to the clinic", "visits"),
    ("what city is this in", "location"),
    ("is it randomized", "randomization"),
    ("is ther a plasebo", "placebo"),
    ("will it make me get infections more? I already get a lot on cellcept", "serious_risks"),
    ("what happens if I have a bad reaction to the cream", "bad_reaction"),
    ("can I keep getting the cream after the study is over", "after_study"),
    ("where exactly is it, which building", "building"),
    ("does it cure dermatomyositis", "expected_benefit"),
    ("is it FDA approved for dermatomyositis", "approval_status"),
    ("can i quit the study once i start", "leaving_study"),
    ("how soon will someone call me back", "contact_time"),
]

ADVICE = [
    "should i stop taking my plaquenil, it makes me nauseous",
    "is my rash dermatomyositis or lupus",
    "can I use my sister's Opzelura until the study starts",
    "my rheumatologist lowered my prednisone, should i lower my cellcept too",
]


@pytest.mark.parametrize(("text", "topic"), MISSED, ids=[t for t, _ in MISSED])
def test_everyday_question_gets_its_answer(chat: Chat, text: str, topic: str) -> None:
    reply = [m.get("text", "") for m in chat(text) if m.get("text")]
    assert reply_passes(reply, EXPECTED[topic]), f"{text!r} -> {reply}"


@pytest.mark.parametrize("text", ADVICE)
def test_own_treatment_gets_the_doctor_pointer_not_an_faq(chat: Chat, text: str) -> None:
    reply = texts(chat(text))
    assert "can't give medical advice" in reply and "doctor" in reply, reply
    assert "you do not need to stop" not in reply.lower()


def test_advice_offers_the_study_topic_it_touches(chat: Chat) -> None:
    reply = chat("should i stop taking my plaquenil, it makes me nauseous")
    assert "Do I need to stop my medicines?" in button_titles(reply)


def test_long_story_with_a_question_gets_the_answer(chat: Chat) -> None:
    text = (
        "I have had dermatomyositis for six years and my hands and eyelids are always red, "
        "nothing has worked, not even the strong steroid creams. Is there a placebo group?"
    )
    assert reply_passes([texts(chat(text))], EXPECTED["placebo"])


def test_mixed_message_answers_one_and_offers_the_other(chat: Chat) -> None:
    reply = chat(
        "my mom is 72 and has had DM for years, is there a placebo in this study, "
        "and also does it cost anything?"
    )
    answered = texts(reply)
    titles = button_titles(reply)
    placebo, cost = "no placebo" in answered.lower(), "costs or insurance" in answered
    assert placebo or cost, answered
    other = "How much does it cost?" if placebo else "Is there a placebo?"
    assert other in titles, titles


def test_story_without_a_question_is_acknowledged_with_the_menu(chat: Chat) -> None:
    reply = chat("I've had dermatomyositis for eight years and the rash on my hands is the worst")
    assert "Thank you for telling me" in texts(reply)
    assert "Check if I might qualify" in button_titles(reply)
