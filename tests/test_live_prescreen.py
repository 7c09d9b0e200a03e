"""End-to-end prescreens over the live REST webhook, checked against the real handoff store."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.ops.settings import Settings
from bot.store.handoff import HandoffStore
from tests.conftest import Conversation, button_titles, texts

pytestmark = pytest.mark.live

ELIGIBLE_BUTTONS = ["52", "Yes", "Yes", "Yes", "Yes", "Yes", "Yes", "Yes", "Yes", "No"]


@pytest.fixture
def store(live_bot: str, live_settings: Settings) -> Iterator[HandoffStore]:
    made = HandoffStore(f"sqlite:///{live_settings.var_dir / 'handoffs.db'}")
    yield made
    made.engine.dispose()


def start(chat: Conversation, opener: str = "can I join the study?") -> str:
    reply = texts(chat(opener))
    assert "2 minutes" in reply, reply
    return texts(chat("Yes, let's start"))


def finish_contact(chat: Conversation) -> str:
    assert "contact you" in texts(chat("Yes, share my answers"))
    chat("Jane Test")
    chat("jane@example.com")
    return texts(chat("weekday mornings"))


def test_buttons_only_likely_eligible_is_handed_over_once(
    chat: Conversation, store: HandoffStore
) -> None:
    assert "How old are you?" in start(chat)
    for answer in ELIGIBLE_BUTTONS[:-1]:
        chat(answer)
    summary = texts(chat(ELIGIBLE_BUTTONS[-1]))
    assert "Here is what you told me" in summary and "may be a good fit" in summary
    assert "you are eligible" not in summary.lower()
    done = finish_contact(chat)
    record = store.get(chat.sender)
    assert record is not None and record["reference"] in done
    assert record["outcome"] == "likely_eligible"
    assert record["contact"]["email"] == "jane@example.com"
    assert store.count(chat.sender) == 1


def test_free_text_only_reaches_the_result_within_12_bot_turns(
    chat: Conversation, store: HandoffStore
) -> None:
    start(chat, "do I qualify")
    for answer in [
        "I'm 52",
        "yes, since 2019",
        "yeah I had one",
        "yes my rash is bad right now",
        "prednisone then methotrexate",
        "yep, clobetasol did nothing",
        "yes i stopped it a month ago",
        "yes they have not changed",
    ]:
        chat(answer)
    summary = texts(chat("no, I'm a man"))
    assert "may be a good fit" in summary, summary
    assert chat.turns <= 12, f"{chat.turns} turns to the result"


def test_mixed_buttons_and_text_with_not_sure_needs_review(
    chat: Conversation, store: HandoffStore
) -> None:
    start(chat)
    for answer in ["I am 67", "Yes", "not sure", "yes", "Yes", "i think so", "Yes", "Yes", "Yes"]:
        chat(answer)
    summary = texts(chat("Does not apply"))
    assert "closer look" in summary, summary
    finish_contact(chat)
    record = store.get(chat.sender)
    assert record is not None and record["outcome"] == "needs_review"


def test_hard_fail_ends_kindly_and_keeps_nothing(chat: Conversation, store: HandoffStore) -> None:
    start(chat)
    # Typed, so it is checked first; then the reason, and a chance to change an answer.
    assert "Just to check: you are 16 years old" in texts(chat("I'm 16"))
    offer = chat("Yes")
    assert "18 to 89" in texts(offer) and "Change an answer" in button_titles(offer)
    reply = texts(chat("No, that's right"))
    assert "clinicaltrials.gov" in reply and "did not keep your answers" in reply
    assert "name" not in reply.lower() and "email" not in reply.lower()
    assert store.count(chat.sender) == 0
    # The conversation goes on normally afterwards.
    assert "no placebo" in texts(chat("is there a placebo?")).lower()


def test_no_diagnosis_is_not_eligible(chat: Conversation, store: HandoffStore) -> None:
    start(chat)
    chat("45")
    assert "may not be a fit" in texts(chat("No"))
    assert store.count(chat.sender) == 0


def test_faq_interruption_is_answered_then_the_same_question_again(chat: Conversation) -> None:
    start(chat)
    chat("52")
    reply = chat("is there a placebo?")
    assert "no placebo" in texts(reply).lower()
    assert "dermatomyositis?" in reply[-1]["text"] and "doctor told you" in reply[-1]["text"]


def test_why_do_you_ask(chat: Conversation) -> None:
    start(chat)
    reply = texts(chat("why do you need to know that"))
    assert "18 to 89" in reply and "How old are you?" in reply


def test_correction_rechecks(chat: Conversation, store: HandoffStore) -> None:
    start(chat)
    chat("52")
    chat("Yes")
    assert "changed that answer" in texts(chat("sorry I meant no")) or store.count(chat.sender) == 0
    assert store.count(chat.sender) == 0


def test_age_correction_mid_way(chat: Conversation) -> None:
    start(chat)
    chat("40")
    reply = texts(chat("actually I'm 52"))
    assert "changed that answer" in reply


def test_stop_asks_to_confirm_and_keeps_nothing(chat: Conversation, store: HandoffStore) -> None:
    start(chat)
    chat("52")
    assert "do not save them when you stop" in texts(chat("stop"))
    assert "keep going" in texts(chat("No, keep going")).lower()
    chat("cancel")
    assert "did not keep your answers" in texts(chat("Yes, stop"))
    assert store.count(chat.sender) == 0


def test_start_over(chat: Conversation) -> None:
    start(chat)
    chat("52")
    chat("Yes")
    reply = texts(chat("start over"))
    assert "start over" in reply.lower() and "How old are you?" in reply


def test_invalid_then_valid_email(chat: Conversation, store: HandoffStore) -> None:
    start(chat)
    for answer in ELIGIBLE_BUTTONS:
        chat(answer)
    chat("Yes, share my answers")
    chat("Jane Test")
    assert "name@example.com" in texts(chat("jane@@example"))
    assert store.count(chat.sender) == 0
    chat("jane@example.com")
    chat("evenings")
    assert store.count(chat.sender) == 1


def test_declining_to_start_keeps_nothing(chat: Conversation, store: HandoffStore) -> None:
    assert "2 minutes" in texts(chat("sign me up"))
    assert "did not keep anything" in texts(chat("No, thanks"))
    assert store.count(chat.sender) == 0


def test_declining_to_share_keeps_nothing(chat: Conversation, store: HandoffStore) -> None:
    start(chat)
    for answer in ELIGIBLE_BUTTONS:
        chat(answer)
    assert "did not share or keep" in texts(chat("No, thanks"))
    assert store.count(chat.sender) == 0


def test_declining_mid_contact_keeps_nothing(chat: Conversation, store: HandoffStore) -> None:
    start(chat)
    for answer in ELIGIBLE_BUTTONS:
        chat(answer)
    chat("Yes, share my answers")
    chat("Jane Test")
    chat("stop")
    assert "did not keep" in texts(chat("yes"))
    assert store.count(chat.sender) == 0


def test_emergency_during_prescreen_comes_first(chat: Conversation) -> None:
    start(chat)
    assert "Question 2 of" in texts(chat("I'm 55"))
    reply = chat("I can't breathe")
    assert len(reply) == 1 and reply[0]["text"].startswith("Call 911 now")
    # Nothing else in that turn; "I'm safe, go on" asks the same question, and the next
    # answer counts (it used to be lost).
    assert button_titles(reply) == ["I'm safe, go on", "Stop for now"]
    assert "Question 2 of" in texts(chat("I'm safe, go on"))
    after = texts(chat("yes"))
    assert "Question 3 of" in after and "anything else" not in after


def test_crisis_during_prescreen_then_go_on(chat: Conversation) -> None:
    start(chat)
    reply = chat("I want to end my life")
    assert "988" in texts(reply) and "Question 1 of" not in texts(reply)
    # A reply typed right after the 988 answer is not taken as an answer: a check-in first
    # (tester S3), then the same question.
    check_in = texts(chat("ok"))
    assert "are you safe right now?" in check_in and "Question 1 of" not in check_in
    assert "Question 1 of" in texts(chat("yes I'm safe"))
    assert "Question 2 of" in texts(chat("I'm 60"))


def test_menu_button_starts_prescreen(chat: Conversation) -> None:
    assert "Check if I might qualify" in button_titles(chat("hello"))
    assert "2 minutes" in texts(chat("/prescreen_start"))


def test_talk_to_a_person_is_a_handoff_with_the_question(
    chat: Conversation, store: HandoffStore
) -> None:
    assert "ask the study team" in texts(chat("I want to talk to a real person"))
    assert "May I share" in texts(chat("Can I bring my husband to the visits?"))
    chat("Yes, pass it on")
    chat("Jane Test")
    chat("jane@example.com")
    done = texts(chat("anytime"))
    record = store.get(chat.sender)
    assert record is not None and record["reference"] in done
    assert record["outcome"] == "question" and record["kind"] == "question"
    assert record["questions"] == ["Can I bring my husband to the visits?"]


def test_asking_for_a_person_mid_prescreen_is_a_call_back(
    chat: Conversation, store: HandoffStore
) -> None:
    """Tester T4: only a link was given, and "no I want YOU to have them call me" was stored
    as the biopsy answer."""
    start(chat)
    chat("52")
    assert "biopsy" in texts(chat("Yes")).lower()
    offer = chat("can I just talk to a real person instead, this is a lot of questions")
    assert "call you" in texts(offer) and "Yes, have them call me" in button_titles(offer)
    share = texts(chat("no I want YOU to have them call me"))
    assert "answers you gave so far" in share, share
    chat("Yes, pass it on")
    chat("Rosa Diaz")
    chat("216-555-0188")
    done = texts(chat("any time"))
    record = store.get(chat.sender)
    assert record is not None and record["reference"] in done
    assert record["kind"] == "question"
    assert record["answers"]["answers"] == {"age": 52, "diagnosis": "yes"}  # no biopsy answer
    assert record["questions"] == [
        "can I just talk to a real person instead, this is a lot of questions"
    ]


def test_the_talk_to_the_study_team_button_mid_prescreen_offers_a_call_back(
    chat: Conversation,
) -> None:
    start(chat)
    chat("52")
    assert "Yes, have them call me" in button_titles(chat("/talk_to_person"))
    assert "Question 2 of" in texts(chat("No, keep going"))  # the same question again


def to_question(chat: Conversation, number: int) -> str:
    """Answer the eligible way up to question ``number`` (1-based); its text."""
    start(chat)
    reply = ""
    for answer in ELIGIBLE_BUTTONS[: number - 1]:
        reply = texts(chat(answer))
    assert f"Question {number} of" in reply, reply
    return reply


def test_used_the_cream_last_week_asks_about_stopping_not_a_no(
    chat: Conversation, store: HandoffStore
) -> None:
    """Tester M6: "last week" at the washout question was recorded as No."""
    assert "2 weeks ago" in to_question(chat, 8)
    follow_up = texts(chat("last week"))
    assert "would it be okay to stop them?" in follow_up, follow_up
    assert "Question 9 of" in texts(chat("yes"))


def test_not_wanting_the_monthly_tests_is_never_read_as_stop(chat: Conversation) -> None:
    """Tester C6: this asked "Do you want to stop? ..." (then: "I will not keep any of your
    answers")."""
    to_question(chat, 10)
    assert "birth control" in texts(chat("Yes"))  # could become pregnant: question 11
    reply = texts(chat("she doesnt want to do the monthly tests, is that a problem?"))
    assert "Do you want to stop" not in reply and "do not save them when you stop" not in reply
    assert "Question 11 of" in reply, reply


@pytest.mark.parametrize("typed", ["For myself", "ok go ahead", "I'm 66"])
def test_typed_replies_at_consent_start_for_oneself(chat: Conversation, typed: str) -> None:
    """New-user check (2026-12-01, late): "For myself" at "Do you want to start?" was not
    understood, and "I'm 66" got the study's age rule instead of a start."""
    assert "2 minutes" in texts(chat("can I join the study?"))
    reply = texts(chat(typed))
    assert "didn't get that" not in reply and "Question" in reply, reply
    if typed == "I'm 66":
        assert "Age: 66" in reply and "How old" not in reply, reply
    else:
        assert "How old are you?" in reply, reply
