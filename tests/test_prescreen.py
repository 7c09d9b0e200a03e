"""bot.prescreen.dialogue: the prescreen conversation, turn by turn, without Rasa."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import pytest
import textstat

from bot.prescreen import dialogue as prescreen
from bot.prescreen import reading
from bot.prescreen.dialogue import Turn

MED = "medication"


def med(value: str, role: str, status: str | None = None) -> dict[str, Any]:
    return {"entity": MED, "value": value, "role": role, "status": status, "confidence": 1.0}


class Patient:
    """Drives bot.prescreen.dialogue like the Rasa form does: step, then prompt if not finished."""

    def __init__(self) -> None:
        self.state: prescreen.State | None = None
        self.finished = False
        self.asked: list[str] = []

    def say(self, text: str, intent: str | None = None, entities=(), key=None) -> list[str]:
        result = prescreen.step(self.state, Turn(text, intent, tuple(entities), key))
        # Kept between turns as the Rasa slot keeps it: JSON, read back into the typed state.
        slot = json.loads(json.dumps(prescreen.to_slot(result.state)))
        self.state, self.finished = prescreen.from_slot(slot), result.finished
        assert self.state == result.state
        out = [m.get("text") or m["response"] for m in result.messages]
        if not self.finished:
            asked = [m["text"] for m in prescreen.prompt(self.state)]
            self.asked += asked
            out += asked
        return out

    @property
    def phase(self) -> str:
        assert self.state is not None
        return str(self.state.phase)

    @property
    def answers(self) -> dict[str, Any]:
        assert self.state is not None
        return dict(self.state.answers)


def started() -> Patient:
    p = Patient()
    p.say("yes")
    return p


# The last one answers "Could you become pregnant?", so the birth control one is skipped.
ELIGIBLE = ["52", "yes", "yes", "yes", "yes", "yes", "yes", "yes", "yes", "does not apply"]


def test_consent_comes_first_and_no_keeps_nothing() -> None:
    p = Patient()
    first = prescreen.prompt(prescreen.new_state())[0]
    assert "2 minutes" in first["text"] and [b["title"] for b in first["buttons"]][0].startswith(
        "Yes"
    )
    reply = p.say("no thanks", intent="deny")
    assert p.finished and p.phase == "declined" and p.answers == {}
    assert "did not keep" in " ".join(reply)


def test_full_likely_eligible_run_with_buttons() -> None:
    p = started()
    for answer in ELIGIBLE:
        p.say(answer)
    assert p.phase == "share"
    assert p.state and p.state.result == "likely_eligible"
    p.say("Yes, share my answers")
    p.say("Jane Doe")
    p.say("jane@example.com")
    p.say("weekday mornings")
    assert p.finished and p.phase == "submit"
    assert p.state.contact == {
        "name": "Jane Doe",
        "email": "jane@example.com",
        "phone": None,
        "best_time": "weekday mornings",
    }
    record = prescreen.handoff_record(p.state, "conv-1")
    assert record.outcome == "likely_eligible" and record.consent_at and record.share_consent_at


def test_result_never_says_you_are_eligible() -> None:
    p = started()
    out: list[str] = []
    for answer in ELIGIBLE:
        out += p.say(answer)
    text = " ".join(out).lower()
    assert "you are eligible" not in text and "may be a good fit" in text


def test_hard_fail_is_checked_then_ends_kindly_with_a_chance_to_change() -> None:
    p = started()
    reply = " ".join(p.say("I'm 16", entities=[{"entity": "age", "value": 16, "confidence": 1}]))
    # Typed, so checked first: nothing ends on a misreading.
    assert p.phase == "confirm" and "Just to check: you are 16 years old" in reply
    reply = " ".join(p.say("Yes"))
    assert p.phase == "not_eligible" and not p.finished and p.answers == {"age": 16}
    assert "18 to 89" in reply and "change" in reply.lower()
    reply = " ".join(p.say("No, that's right"))
    assert p.finished and p.phase == "ended" and p.answers == {}
    assert "clinicaltrials.gov" in reply and "not a medical decision" in reply


def test_unsure_goes_to_review() -> None:
    p = started()
    for answer in ["52", "yes", "not sure", *ELIGIBLE[3:]]:
        p.say(answer)
    assert p.state and p.state.result == "needs_review"


def test_free_text_answers_two_medicine_questions_at_once() -> None:
    p = started()
    for answer in ["52", "yep", "i think so", "yeah"]:
        p.say(answer)
    p.say(
        "prednisone then methotrexate",
        entities=[
            med("prednisone", "systemic_corticosteroid"),
            med("methotrexate", "steroid_sparing"),
        ],
    )
    assert p.answers["systemic_steroids"] == "yes" and p.answers["steroid_sparing"] == "yes"
    assert "steroid cream" in p.asked[-1]


def test_faq_mid_way_is_answered_and_the_question_asked_again() -> None:
    p = started()
    p.say("52")
    before = p.asked[-1]
    reply = p.say("is there a placebo?", intent="faq", key="faq/placebo")
    assert reply[0].startswith("No, there is no placebo")
    assert p.asked[-1] == before and p.phase == "questions"


def test_why_do_you_ask() -> None:
    p = started()
    reply = p.say("why do you ask?", intent="why_ask")
    assert "18 to 89" in reply[0]
    assert "How old are you?" in reply[-1]


def test_stop_needs_confirmation_then_keeps_nothing() -> None:
    p = started()
    p.say("52")
    reply = p.say("stop", intent="stop_prescreen")
    assert p.phase == "confirm_stop" and "do not save them when you stop" in reply[-1]
    p.say("no", intent="deny")
    assert p.phase == "questions" and p.answers == {"age": 52}
    p.say("cancel", intent="stop_prescreen")
    p.say("yes")
    assert p.finished and p.phase == "stopped" and p.answers == {}


def test_start_over() -> None:
    p = started()
    p.say("52")
    p.say("yes")
    reply = p.say("start over", intent="restart_prescreen")
    assert p.answers == {} and "How old are you?" in reply[-1]


def test_corrections() -> None:
    p = started()
    p.say("52")
    p.say("yes")  # diagnosis
    reply = p.say("I meant no")
    assert p.phase == "confirm" and "has not told you" in reply[-1]
    p.say("Yes")
    assert p.phase == "not_eligible"  # no diagnosis ends it, kindly, after a check
    q = started()
    q.say("40")
    q.say("yes")
    q.say("actually I'm 52", entities=[{"entity": "age", "value": 52, "confidence": 1.0}])
    assert q.answers["age"] == 52 and q.phase == "questions"


def test_not_understood_asks_again_with_help() -> None:
    p = started()
    reply = p.say("purple monkey")
    assert "number" in reply[0] and "How old are you?" in reply[-1]
    p.say("52")
    reply = p.say("banana")
    assert "yes, no or not sure" in reply[0]


def test_share_declined_keeps_nothing() -> None:
    p = started()
    for answer in ELIGIBLE:
        p.say(answer)
    reply = p.say("No, thanks")
    assert p.finished and p.phase == "declined" and p.answers == {} and p.state.contact == {}
    assert "did not share or keep" in reply[0]


def test_change_an_answer_from_the_summary() -> None:
    p = started()
    for answer in ELIGIBLE:
        p.say(answer)
    reply = p.say("Change an answer")
    assert p.phase == "pick" and "Age" in reply[-1] or p.state.phase == "pick"
    p.say("Age")
    assert "age" not in p.answers and "How old are you?" in p.asked[-1]
    p.say("60")
    assert p.phase == "share" and p.answers["age"] == 60


def test_invalid_email_is_asked_again_with_an_example() -> None:
    p = started()
    for answer in [*ELIGIBLE, "yes", "Jane"]:
        p.say(answer)
    reply = p.say("jane@")
    assert p.phase == "contact" and "name@example.com" in reply[0]
    p.say("216-555-0123")
    assert p.phase == "best_time" and p.state.contact["phone"] == "+12165550123"


def _all_texts() -> list[str]:
    def walk(node: Any) -> list[str]:
        if isinstance(node, str):
            return [node]
        if isinstance(node, dict):
            return [t for v in node.values() for t in walk(v)]
        if isinstance(node, list):
            return [t for v in node for t in walk(v)]
        return []

    return walk(dict(prescreen.texts()))


@pytest.mark.parametrize("text", _all_texts())
def test_prescreen_texts_are_plain(text: str) -> None:
    cleaned = re.sub(
        r"https?://\S+",
        "link",
        text.format(
            name="Jane", reference="K7Q2", number=3, total=10, question="how much does it cost"
        ),
    )
    if len(cleaned.split()) < 4:
        return  # button titles
    assert textstat.flesch_kincaid_grade(cleaned) <= 8


def test_talk_to_a_person_collects_question_and_contact() -> None:
    p = Patient()
    p.state = prescreen.new_state(question="")
    assert "ask the study team" in prescreen.prompt(p.state)[0]["text"]
    reply = p.say("Is parking free at the clinic?")
    assert "Is parking free at the clinic?" in reply[-1] and "May I share" in reply[-1]
    p.say("Yes, pass it on")
    p.say("Jane Doe")
    p.say("216-555-0123")
    p.say("after 5pm")
    assert p.finished and p.phase == "submit"
    record = prescreen.handoff_record(p.state, "conv-q")
    assert record.outcome == "question" and record.kind == "question"
    assert record.questions == ["Is parking free at the clinic?"]
    assert record.contact["phone"] == "+12165550123"


def test_question_offer_declined_keeps_nothing() -> None:
    p = Patient()
    p.state = prescreen.new_state(question="how much does it cost")
    reply = p.say("no thanks", intent="deny")
    assert p.finished and p.phase == "declined" and p.state.questions == []
    assert "did not share or keep" in reply[0]


def test_team_only_questions_asked_mid_prescreen_travel_with_the_handoff() -> None:
    p = started()
    p.say("52")
    p.say("do I get paid?", intent="ask_team", key="ask_team/pay")
    for answer in ELIGIBLE[1:]:
        p.say(answer)
    assert p.state and p.state.questions == ["do I get paid?"]
    assert prescreen.handoff_record(p.state, "c").questions == ["do I get paid?"]


def _to_washout(p: Patient) -> None:
    for answer in ELIGIBLE[:7]:
        p.say(answer)
    assert "2 weeks" in p.asked[-1]


def test_durations_answer_time_questions() -> None:
    p = started()
    _to_washout(p)
    p.say(
        "i stopped using it about 3 weeks ago",
        entities=[{"entity": "duration", "value": 21, "role": "ago", "confidence": 1.0}],
    )
    assert p.answers["topical_washout"] == "yes"
    p.say(
        "they have been the same since last year",
        entities=[{"entity": "duration", "value": 365, "role": "for", "confidence": 1.0}],
    )
    assert p.answers["stable_meds"] == "yes"


def test_pick_by_words_and_never_mind() -> None:
    p = started()
    for answer in ELIGIBLE:
        p.say(answer)
    p.say("Change an answer")
    p.say("the biopsy one")
    assert "biopsy" not in p.answers and p.phase == "questions"
    p.say("yes")
    p.say("Change an answer")
    p.say("Never mind")
    assert p.phase == "share"


def test_start_over_at_the_stop_question_restarts() -> None:
    p = started()
    p.say("52")
    p.say("stop", intent="stop_prescreen")
    reply = p.say("start over", intent="restart_prescreen")
    assert p.phase == "questions" and p.answers == {} and "How old are you?" in reply[-1]


def test_a_button_press_that_ends_it_is_not_asked_again_and_can_be_changed() -> None:
    p = started()
    for answer in ELIGIBLE[:4]:
        p.say(answer)
    reply = p.say("No")  # steroid pills: the button
    assert p.phase == "not_eligible" and "Just to check" not in " ".join(reply)
    assert "Change an answer" in [b["title"] for b in prescreen.prompt(p.state)[0]["buttons"]]
    p.say("Change an answer")
    assert p.phase == "pick"
    p.say("Took steroid pills, shots or drips")
    assert p.phase == "questions" and "steroid pills" in p.asked[-1]
    p.say("yes")
    assert p.answers["systemic_steroids"] == "yes" and p.phase == "questions"


@pytest.mark.parametrize(
    ("reply", "kept"),
    [("No, I have", "yes"), ("Not sure", "unsure")],
)
def test_a_typed_no_that_would_end_it_is_checked(reply: str, kept: str) -> None:
    p = started()
    for answer in ELIGIBLE[:4]:
        p.say(answer)
    asked = p.say("nope never had them")
    assert p.phase == "confirm"
    assert "Just to check: you have never taken steroid pills, shots or drips." in asked[-1]
    p.say(reply)
    assert p.answers["systemic_steroids"] == kept and p.phase == "questions"


def test_not_anymore_to_an_ever_question_is_a_yes() -> None:
    p = started()
    for answer in ELIGIBLE[:4]:
        p.say(answer)
    p.say("not anymore")
    assert p.answers["systemic_steroids"] == "yes" and p.phase == "questions"


def test_withdraw_keeps_the_answers_until_confirmed() -> None:
    p = started()
    p.say("52")
    reply = p.say("actually I don't want to do this anymore", intent="deny")
    assert p.phase == "confirm_stop" and p.answers == {"age": 52} and "stop" in reply[-1]
    p.say("No, keep going")
    assert p.phase == "questions" and p.answers == {"age": 52}
    p.say("actually I don't want to do this anymore")
    p.say("Yes, stop")
    assert p.finished and p.phase == "stopped" and p.answers == {}


def test_a_man_says_no_to_could_you_become_pregnant_and_is_not_asked_more() -> None:
    p = started()
    for answer in ELIGIBLE[:-1]:
        p.say(answer)
    assert "Could you become pregnant?" in p.asked[-1]
    p.say("No")
    assert p.phase == "share" and p.state.result == "likely_eligible"
    assert "pregnancy" not in p.answers


def test_the_birth_control_question_after_a_yes() -> None:
    p = started()
    for answer in ELIGIBLE[:-1]:
        p.say(answer)
    p.say("yes")
    assert "birth control" in p.asked[-1]
    p.say("I'm a man")  # "does not apply" here answers the question before it
    assert p.answers["could_be_pregnant"] == "no" and "pregnancy" not in p.answers
    assert p.phase == "share"


def test_safety_resume_asks_the_same_question_with_nothing_changed() -> None:
    p = started()
    p.say("52")
    before = (copy.deepcopy(p.state), p.asked[-1])
    reply = p.say("/safety_resume", intent="safety_resume")
    assert p.state == before[0] and reply[-1] == before[1]


def test_a_caregiver_answers_for_her_mother() -> None:
    p = Patient()
    p.say("ok can I fill out the questions for her?")
    assert p.state and p.state.who == "someone_else"
    assert "How old is the person you are helping?" in p.asked[-1]
    p.say("she is 74")
    assert p.answers["age"] == 74 and "Has a doctor told them" in p.asked[-1]
    for answer in ["yes", "yes", "yes", "yes", "yes", "yes", "yes", "yes"]:
        p.say(answer)
    p.say("went thru the change 15 years ago")
    assert p.answers["could_be_pregnant"] == "no" and p.phase == "share"
    assert "knows about this and agrees" in p.asked[-1]
    p.say("Yes, they know and agree")
    p.say("her name is Rosa Bianchi, I'm her daughter Lucia")
    assert p.phase == "call_who"
    p.say("Call me")
    p.say("lucia@example.com")
    p.say("evenings")
    assert p.finished and p.phase == "submit"
    record = prescreen.handoff_record(p.state, "conv-c")
    assert record.contact["name"] == "Rosa Bianchi"
    assert record.contact["answered_by"]["name"] == "Lucia"
    assert record.contact["answered_by"]["relation"] == "daughter"
    assert record.contact["call"] == "caregiver" and record.contact["email"] == "lucia@example.com"
    assert record.answers["answered_by"] == "daughter"
    assert record.answers["answers"]["age"] == 74
    assert "Lucia" in prescreen.submitted_messages(p.state, "K7Q2")[0]["text"]


@pytest.mark.parametrize(
    ("reply", "kept"),
    [
        ("yes that's right", "no"),
        ("correct", "no"),
        ("Yes", "no"),
        ("no, never", "no"),
        ("no I have taken them", "yes"),
        ("No", "yes"),
        ("I did take prednisone once", "yes"),
        ("not sure", "unsure"),
    ],
)
def test_replies_to_just_to_check(reply: str, kept: str) -> None:
    p = started()
    for answer in ELIGIBLE[:4]:
        p.say(answer)
    p.say("never had any")
    assert p.phase == "confirm"
    pred = [med("prednisone", "systemic_corticosteroid", "past")]
    entities = pred if "prednisone" in reply else []
    p.say(reply, entities=entities)
    assert p.answers["systemic_steroids"] == kept
    assert p.phase == ("not_eligible" if kept == "no" else "questions")


@pytest.mark.parametrize(("reply", "age"), [("no, I'm 61", 61), ("yes, I'm 61", 61), ("yes", 16)])
def test_replies_to_just_to_check_an_age(reply: str, age: int) -> None:
    p = started()
    p.say("16")
    assert p.phase == "confirm"
    p.say(reply)
    assert p.answers["age"] == age


def test_no_to_just_to_check_an_age_asks_it_again() -> None:
    p = started()
    p.say("16")
    reply = p.say("No, that's wrong")
    assert "age" not in p.answers and "How old are you?" in reply[-1]


@pytest.mark.parametrize("phase_words", ["Yes, share my answers"])
def test_withdrawing_at_the_name_question_is_not_a_name(phase_words: str) -> None:
    p = started()
    for answer in ELIGIBLE:
        p.say(answer)
    p.say(phase_words)
    assert p.phase == "name"
    p.say("actually I don't want to do this anymore")
    assert p.phase == "confirm_stop" and p.state.contact == {}
    p.say("No, keep going")
    assert p.phase == "name"


def at_share(consent: str = "yes") -> Patient:
    p = Patient()
    p.say(consent)
    for answer in ELIGIBLE:
        p.say(answer)
    assert p.phase == "share"
    return p


@pytest.mark.parametrize(
    "reply",
    [
        "is there parking? he can't walk far",
        "I can't drive anymore, is there any help with getting there?",
        "he can't walk far",
        "no idea how far it is, is it far?",
    ],
)
def test_a_question_or_a_cant_at_the_share_step_is_never_a_decline(reply: str) -> None:
    """Tester T1: a question is answered (or kept for the team) and the share question comes
    back; the answers are kept."""
    p = at_share()
    out = p.say(reply)
    assert p.phase == "share" and p.answers and "did not share or keep" not in " ".join(out)
    assert "Can I share your answers" in out[-1]
    p.say("yes")
    assert p.phase == "name"


def test_an_unanswered_question_at_the_share_step_is_kept_for_the_team() -> None:
    p = at_share()
    out = p.say("is there parking? he can't walk far")
    assert "wrote your question down" in out[0]
    assert p.state.questions == ["is there parking? he can't walk far"]


@pytest.mark.parametrize("reply", ["no", "no thanks", "No, thanks", "don't share", "nope"])
def test_a_plain_no_at_the_share_step_still_declines(reply: str) -> None:
    p = at_share()
    p.say(reply)
    assert p.finished and p.phase == "declined" and p.answers == {}


STEROIDS = ["52", "yes", "yes", "yes"]  # up to "Have you ever taken steroid pills ...?"


@pytest.mark.parametrize(
    "reply", ["i'd rather not say", "prefer not to say", "rather not answer", "I'd prefer not to"]
)
def test_rather_not_say_is_not_sure_and_goes_on(reply: str) -> None:
    """Tester T3: not saying is allowed; it is "not sure" (the team checks), never a no."""
    p = started()
    for answer in STEROIDS:
        p.say(answer)
    assert "steroid pills" in p.asked[-1]
    p.say(reply)
    assert p.answers["systemic_steroids"] == "unsure" and p.phase == "questions"


def test_not_sure_at_the_change_offer_is_not_no_thats_right() -> None:
    p = started()
    for answer in STEROIDS:
        p.say(answer)
    p.say("No")  # the button: no "just to check"
    assert p.phase == "not_eligible"
    out = p.say("Not sure")
    assert p.phase == "not_eligible" and p.answers and "Change an answer" in out[0]
    p.say("Change an answer")
    assert p.phase == "pick"


def test_its_for_me_im_the_patient_switches_back_to_you_and_is_not_a_no() -> None:
    """Tester T2: after a wrong "they", "no its for me, im the patient" is not a no to the
    skin question; the questions say "you" again and nothing is recorded."""
    p = Patient()
    p.say("Yes, for someone else")
    for answer in ["70", "yes", "yes"]:
        p.say(answer)
    assert prescreen.for_someone_else(p.state) and "active_skin" not in p.answers
    out = p.say("no its for me, im the patient")
    assert not prescreen.for_someone_else(p.state) and "active_skin" not in p.answers
    assert "ask about you" in out[0] and "they" not in out[-1].lower().split()
    p.say("yes")
    assert p.answers["active_skin"] == "yes"


def test_my_own_biopsy_described_with_they_does_not_switch_to_someone_else() -> None:
    """Tester W3: "they did a biopsy of my arm" is the person's own body, not a caregiver."""
    p = started()
    for answer in ["70", "yes"]:
        p.say(answer)
    out = p.say("they did a biopsy of my arm i think yes")
    assert not prescreen.for_someone_else(p.state) and p.answers["biopsy"] == "yes"
    assert "answer for them" not in " ".join(out)


def test_a_clear_caregiver_statement_still_switches() -> None:
    p = started()
    p.say("it's for my mom, she is 74")
    assert prescreen.for_someone_else(p.state)


def test_change_an_answer_can_undo_a_wrong_someone_else_switch() -> None:
    p = Patient()
    p.say("Yes, for someone else")
    for answer in ELIGIBLE:
        p.say(answer)
    assert p.phase == "share"
    p.say("Change an answer")
    pick = prescreen.prompt(p.state)[0]
    assert "I'm answering for myself" in [b["title"] for b in pick["buttons"]]
    out = p.say("I'm answering for myself")
    assert p.phase == "share" and not prescreen.for_someone_else(p.state)
    assert p.answers and "Can I share your answers" in out[-1]


@pytest.mark.parametrize("reply", ["actually I turned 62 last week", "wait, actually I'm 62"])
def test_an_age_correction_at_the_share_step_changes_the_age(reply: str) -> None:
    """Tester M7: a correction at the share step is a change, not the age FAQ."""
    p = at_share()
    assert p.answers["age"] == 52
    out = p.say(reply)
    assert p.answers["age"] == 62 and p.phase == "share"
    assert "changed that answer" in out[0] and "Can I share your answers" in out[-1]


def test_im_the_patient_at_the_share_step_undoes_someone_else() -> None:
    p = Patient()
    p.say("Yes, for someone else")
    for answer in ELIGIBLE:
        p.say(answer)
    out = p.say("no its for me, im the patient")
    assert p.phase == "share" and not prescreen.for_someone_else(p.state) and p.answers
    assert "Can I share your answers" in out[-1]


def test_a_question_with_cant_at_the_start_is_not_a_no() -> None:
    p = Patient()
    out = p.say("I can't drive anymore, is there any help with getting there?")
    assert p.phase == "consent" and "did not keep" not in out[0]
    p.say("no thanks")
    assert p.phase == "declined"


def test_used_last_week_asks_if_they_would_stop_instead_of_a_no() -> None:
    """Tester M6: "last week" to "more than 2 weeks ago, or willing to stop?" was stored as
    No, though willingness was never asked."""
    p = started()
    _to_washout(p)
    out = p.say("last week")
    assert "topical_washout" not in p.answers
    assert len(out) == 1 and "would it be okay to stop them?" in out[0]
    assert "Question" not in out[0]
    p.say("yes")
    assert p.answers["topical_washout"] == "yes" and "2 months" in p.asked[-1]


def test_starting_over_after_the_follow_up_asks_the_whole_question_again() -> None:
    p = started()
    _to_washout(p)
    p.say("last week")
    p.say("start over", intent="restart_prescreen")
    for answer in ELIGIBLE[:7]:
        p.say(answer)
    assert "Question 8 of" in p.asked[-1]


def test_used_last_week_and_will_not_stop_is_a_no() -> None:
    p = started()
    _to_washout(p)
    p.say("last week")
    p.say("no I need it every day")
    assert p.answers["topical_washout"] == "no"


def test_a_plain_no_to_the_two_part_question_is_still_a_no() -> None:
    p = started()
    _to_washout(p)
    p.say("No")
    assert p.answers["topical_washout"] == "no"


def test_not_wanting_the_monthly_tests_is_a_question_not_a_stop() -> None:
    """Tester C6: "she doesnt want to do the monthly tests, is that a problem?" asked "Do you
    want to stop?", and a yes there would have thrown every answer away."""
    p = started()
    for answer in ELIGIBLE[:9]:
        p.say(answer)
    p.say("yes")  # could become pregnant
    out = p.say("she doesnt want to do the monthly tests, is that a problem?")
    assert p.phase == "questions" and "pregnancy" not in p.answers
    assert "pregnancy test each month" in out[0] and "stop" not in out[0].lower()
    assert "Question 11" in out[-1]
    for still_stops in ("I don't want to do this anymore", "i dont want to do it"):
        assert reading.read(reading.Reply(still_stops), None).kind == "withdraw"


def test_a_typed_reply_after_the_988_answer_gets_a_check_in_first() -> None:
    """Tester S3: "whatever. yes i had the biopsy" right after the 988 answer resumed the
    questions at once and lost the answer. Now: "are you safe right now?" with the 988
    answer's two buttons, no question, nothing read; the next reply brings the question back,
    still nothing read."""
    p = started()
    p.say("52")
    before = dict(p.answers)
    question = p.asked[-1]
    turn = Turn("whatever. yes i had the biopsy", "affirm", after_safety=True, after_crisis=True)
    assert prescreen.pauses(turn)
    result = prescreen.step(p.state, turn)
    (check_in,) = result.messages
    assert check_in["text"].startswith("Before we go on: are you safe right now?")
    assert "988" in check_in["text"] and "911" in check_in["text"]
    assert [b["payload"] for b in check_in["buttons"]] == ["/safety_resume", "/safety_stop"]
    assert result.state.answers == before and result.state.check_in
    p.state = prescreen.from_slot(prescreen.to_slot(result.state))
    reply = p.say("yes")
    assert p.answers == before and reply[-1] == question
    assert p.state is not None and not p.state.check_in
    assert textstat.flesch_kincaid_grade(check_in["text"]) <= 8


def test_a_no_to_the_check_in_gets_the_988_answer_again_never_the_question() -> None:
    """Review finding 1: "no im not safe" after "are you safe right now?" got "Thank you ...
    here is the question again", and the next "yes" was stored as an answer. Now each no or
    not sure gets the 988 answer (utter_crisis) again, the check-in keeps waiting, the form
    asks nothing, and nothing is read as an answer until the person says they are safe."""
    p = started()
    p.say("52")
    before = dict(p.answers)
    question = p.asked[-1]
    first = Turn("whatever. yes i had the biopsy", "affirm", after_safety=True, after_crisis=True)
    state = prescreen.step(p.state, first).state
    for reply, intent in (
        ("no", "deny"),
        ("not really", None),
        ("no im not safe", "deny"),
        ("not sure", None),
        ("I'm not sure", "affirm"),
    ):
        turn = Turn(reply, intent)
        result = prescreen.step(state, turn)
        assert result.messages == [{"response": "utter_crisis"}], reply
        assert result.state.check_in and result.state.answers == before, reply
        assert prescreen.pauses(turn, result.state), reply  # the form asks no question
        state = prescreen.from_slot(prescreen.to_slot(result.state))
    # "I'm safe, go on" (its button) brings the same question back; still nothing read.
    p.state = state
    reply = p.say("/safety_resume", intent="safety_resume")
    assert p.answers == before and reply[-1] == question
    assert p.state is not None and not p.state.check_in
    # "Stop for now" still stops.
    p.state = state
    p.say("/safety_stop", intent="safety_stop")
    assert p.phase == "confirm_stop"


def test_the_buttons_after_the_988_answer_get_no_check_in() -> None:
    for intent in ("safety_resume", "safety_stop"):
        assert not prescreen.checks_in(Turn("/" + intent, intent, after_crisis=True))
    assert not prescreen.checks_in(Turn("yes", "affirm", after_safety=True))  # after a 911


# New-user check (2026-12-01, late): "For myself" typed at "Do you want to start?" was not
# understood, and "ok" / "go ahead" got "Sorry, I didn't get that".
@pytest.mark.parametrize(
    "text", ["For myself", "myself", "for me", "ok", "Okay, go ahead", "let's do it", "ready"]
)
def test_a_go_ahead_or_for_myself_at_consent_starts_for_oneself(text: str) -> None:
    p = Patient()
    reply = p.say(text)
    assert p.phase == "questions" and p.state is not None and not p.state.for_someone_else
    assert "How old are you?" in reply[-1], reply


def test_an_age_typed_at_consent_starts_and_is_noted() -> None:
    p = Patient()
    reply = " ".join(p.say("I'm 66"))
    assert p.phase == "questions" and p.answers == {"age": 66}, p.answers
    assert "Age: 66" in reply and "How old" not in reply, reply


@pytest.mark.parametrize("text", ["for me, but is the cream safe?", "ok what is this about?"])
def test_a_go_ahead_that_also_asks_is_not_a_start(text: str) -> None:
    p = Patient()
    p.say(text)
    assert p.phase == "consent"


def test_the_stop_question_is_kind_to_someone_coming_back() -> None:
    p = started()
    p.say("52")
    reply = p.say("I'll have to come back to this later")
    assert p.phase == "confirm_stop", reply
    assert "start again any time" in reply[-1] and "2 minutes" in reply[-1], reply
    done = " ".join(p.say("Yes, stop"))
    assert p.finished and p.answers == {} and "start the questions" in done, done


# New-user check (2026-12-02): a caregiver's "she doesn't know yet" and "ok I'll ask her
# first" at "Please only say yes if the person knows about this and agrees" went on to the
# names, as if she had agreed; "No, thanks" there then could not undo it.
@pytest.mark.parametrize(
    "text",
    [
        "she doesn't know yet, I want to surprise her. just share it",
        "ok I'll ask her first then",
        "not yet",
        "I haven't told him about it",
        "let me talk to her first",
    ],
)
def test_a_caregiver_whose_person_has_not_agreed_is_asked_to_ask_first(text: str) -> None:
    p = at_share("Yes, for someone else")
    reply = " ".join(p.say(text))
    assert p.phase == "share" and "Please ask them first" in reply, reply
    assert p.state is not None and p.state.share_consent_at is None
    assert p.state.caregiver is None or p.state.caregiver.agreed_at is None


def test_not_yet_after_saying_yes_goes_back_and_no_thanks_at_a_name_offers_to_stop() -> None:
    p = at_share("Yes, for someone else")
    p.say("Yes, they know and agree")
    assert p.phase == "name"
    reply = " ".join(p.say("no! I said she doesn't know yet. don't send anything"))
    assert p.phase == "share" and "Please ask them first" in reply, reply
    assert p.state is not None and p.state.caregiver is not None
    assert p.state.caregiver.agreed_at is None and p.state.share_consent_at is None
    p.say("Yes, they know and agree")
    p.say("No, thanks")
    assert p.phase == "confirm_stop"
    p.say("Yes, stop")
    assert p.finished and p.answers == {}


def test_a_name_typed_at_the_share_question_says_a_yes_or_no_is_needed_first() -> None:
    p = at_share()
    reply = " ".join(p.say("Gerald Novak"))
    assert p.phase == "share" and "yes or a no to this first" in reply, reply


def test_a_caregiver_who_asks_the_team_to_call_the_person_is_asked_their_best_time() -> None:
    """New-user check (2026-12-02): after "Call the person", "When is the best time to reach
    you?"; the summary also said "Told by a doctor you have dermatomyositis" to a daughter."""
    p = at_share("Yes, for someone else")
    p.say("Yes, they know and agree")
    reply = " ".join(p.say("Her name is Rosa Bianchi, I'm her daughter Lucia"))
    assert p.phase == "call_who", reply
    p.say("Call the person")
    reply = " ".join(p.say("rosa@example.com"))
    assert "best time to reach them" in reply, reply
    labels = [c.label for c in prescreen.eligibility.load_criteria()]
    assert not [label for label in labels if re.search(r"\b(you|your)\b", label, re.I)], labels


def test_the_not_a_fit_ending_offers_a_way_to_the_study_team() -> None:
    """New-user check (2026-12-02): "the study team can check", then "ok so how do i get the
    study team to check then?" got "Sorry, I still don't understand"."""
    p = started()
    p.say("52")
    p.say("no")  # no dermatomyositis diagnosis
    assert p.phase == "not_eligible"
    result = prescreen.step(p.state, Turn("No, that's right"))
    assert result.finished
    assert {"title": "Ask the study team", "payload": "/talk_to_person"} in [
        b for m in result.messages for b in m.get("buttons", [])
    ]


def test_an_answer_asked_again_after_a_change_keeps_its_number() -> None:
    """New-user check (2026-12-02): "Question 9 of about 11: How old are you?" after
    "Change an answer"."""
    p = started()
    for answer in ELIGIBLE:
        p.say(answer)
    p.say("Change an answer")
    assert p.phase == "pick"
    reply = p.say("Age")
    assert reply[-1].startswith("Question 1 of about 11: How old"), reply


def test_answering_for_someone_at_the_start_is_no_request_for_a_person() -> None:
    """The NLU may read "ok can I fill out the questions for her?" as wanting a person; at the
    start it says who is answering (fresh-clone run, 2026-12-02)."""
    p = Patient()
    reply = p.say("ok can I fill out the questions for her?", intent="talk_to_person")
    assert p.phase == "questions" and p.state is not None and p.state.for_someone_else
    assert "How old is the person you are helping?" in reply[-1], reply
