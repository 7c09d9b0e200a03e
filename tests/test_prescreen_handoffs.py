"""bot.prescreen.dialogue after a handoff (tester C7) and a person asked for mid-prescreen
(tester T4), turn by turn, without Rasa: a follow-up is never asked for the details again,
and a request for a person is never an answer."""

from __future__ import annotations

from bot.prescreen import dialogue as prescreen
from tests.test_prescreen import ELIGIBLE, Patient, started


def _handed_off(mode: str = "question") -> prescreen.State:
    """The slot after a first handoff (what action_prescreen_done keeps)."""
    p = Patient()
    p.state = prescreen.new_state(question="Is parking free?" if mode == "question" else None)
    if mode == "question":
        p.say("Yes, pass it on")
    else:
        p.say("yes")
        for answer in ELIGIBLE:
            p.say(answer)
        p.say("Yes, share my answers")
    p.say("Frank Miller")
    p.say("216-555-0123")
    p.say("after 10 am")
    assert p.phase == "submit"
    kept = prescreen.after_form(p.state, "29K8")
    assert kept is not None
    return kept


def test_after_a_handoff_the_slot_keeps_only_its_reference_and_details() -> None:
    kept = _handed_off("prescreen")
    assert kept.phase == prescreen.HANDED_OFF and kept.reference == "29K8"
    assert kept.earlier is not None and kept.earlier.contact["name"] == "Frank Miller"
    assert kept.answers == {} and kept.contact == {} and kept.questions == []
    # Nothing to keep when nothing was handed off.
    assert prescreen.after_form(prescreen.new_state()) is None
    assert prescreen.after_form(None) is None


def test_how_long_until_they_call_says_what_happens_next() -> None:
    said = prescreen.after_handoff_wait(_handed_off())
    assert said is not None
    text = said[0]["text"]
    assert "29K8" in text and "will contact you" in text
    assert "If you share your contact details" not in text
    assert prescreen.after_handoff_wait(None) is None
    assert prescreen.after_handoff_wait(prescreen.new_state()) is None


def test_a_second_request_reuses_the_details_given_before() -> None:
    earlier = prescreen.earlier_details(_handed_off())
    p = Patient()
    p.state = prescreen.new_state(question="this is useless. get me a human", earlier=earlier)
    assert "this is useless. get me a human" in prescreen.prompt(p.state)[0]["text"]
    reply = p.say("Yes, pass it on")
    assert reply == [
        "I'll send this to the study team with the details you gave before: Frank Miller, "
        "***-0123. "
        "Is that OK?"
    ]
    assert p.phase == "reuse_contact"
    p.say("Yes")
    assert p.finished and p.phase == "submit"
    record = prescreen.handoff_record(p.state, "conv")
    assert record.questions == ["this is useless. get me a human"]  # the message now
    assert record.contact["name"] == "Frank Miller" and record.contact["phone"] == "+12165550123"
    # And the slot after it remembers this handoff, for a third request.
    again = prescreen.after_form(p.state, "7G5N")
    assert again is not None and again.reference == "7G5N"


def test_no_to_the_details_given_before_asks_for_new_ones() -> None:
    p = Patient()
    p.state = prescreen.new_state(question="Is there a night line?", earlier=_handed_off().earlier)
    p.say("Yes, pass it on")
    reply = p.say("No")
    assert p.phase == "name" and "What name" in reply[-1]
    p.say("Dana Kim")
    p.say("dana@example.com")
    p.say("mornings")
    assert prescreen.handoff_record(p.state, "c").contact["name"] == "Dana Kim"


def test_a_prescreen_after_a_question_reuses_the_details_too() -> None:
    p = Patient()
    p.state = prescreen.new_state(earlier=_handed_off().earlier)
    p.say("yes")
    for answer in ELIGIBLE:
        p.say(answer)
    reply = p.say("Yes, share my answers")
    assert "details you gave before: Frank Miller" in reply[-1]
    p.say("yes")
    assert p.phase == "submit"
    assert prescreen.handoff_record(p.state, "c").contact["best_time"] == "after 10 am"


def test_a_declined_second_request_still_remembers_the_first_handoff() -> None:
    p = Patient()
    p.state = prescreen.new_state(question="Is there a night line?", earlier=_handed_off().earlier)
    p.say("No, thanks")
    assert p.phase == "declined"
    kept = prescreen.after_form(p.state)
    assert kept is not None and kept.reference == "29K8"


def _caregiver_handed_off(call: str = "Call her") -> prescreen.State:
    """Frank did a prescreen for his mother Rose and asked the team to call her (or him)."""
    p = Patient()
    p.say("Yes, for someone else")
    for answer in ELIGIBLE:
        p.say(answer)
    p.say("Yes, they know and agree")
    p.say("Rose Miller")
    p.say("Frank Miller")
    p.say(call)
    p.say("216-555-0123")
    p.say("after 10 am")
    assert p.phase == "submit" and p.state is not None and p.state.caregiver is not None
    kept = prescreen.after_form(p.state, "29K8")
    assert kept is not None and kept.earlier is not None and kept.earlier.for_someone_else
    return kept


def test_a_caregivers_own_question_never_goes_with_the_patients_details() -> None:
    """Review finding 3: Frank's own question after a prescreen for his mother ("call her")
    was offered with "the details you gave before: Frank Miller" and sent with Rose's phone."""
    kept = _caregiver_handed_off("Call her")
    assert kept.earlier is not None and kept.earlier.caregiver is not None
    assert kept.earlier.caregiver.call == "patient"
    p = Patient()
    p.state = prescreen.new_state(
        question="Can I join too? I have eczema myself", earlier=prescreen.earlier_details(kept)
    )
    reply = p.say("Yes, pass it on")
    assert p.phase == "name" and "details you gave before" not in " ".join(reply)
    p.say("Frank Miller")
    p.say("frank@example.com")
    p.say("evenings")
    record = prescreen.handoff_record(p.state, "c")
    assert record.contact["name"] == "Frank Miller" and record.contact["phone"] is None
    # His own prescreen after it: not the same person either, so asked again.
    p = Patient()
    p.state = prescreen.new_state(earlier=prescreen.earlier_details(kept))
    p.say("yes")
    for answer in ELIGIBLE:
        p.say(answer)
    reply = p.say("Yes, share my answers")
    assert p.phase == "name" and "details you gave before" not in " ".join(reply)


def test_a_second_prescreen_for_the_same_person_names_whose_details_they_are() -> None:
    kept = _caregiver_handed_off("Call her")
    p = Patient()
    p.state = prescreen.new_state(earlier=prescreen.earlier_details(kept))
    p.say("Yes, for someone else")
    for answer in ELIGIBLE:
        p.say(answer)
    reply = p.say("Yes, they know and agree")
    assert p.phase == "reuse_contact"
    assert "details you gave before: Rose Miller, ***-0123." in reply[-1]
    assert "216" not in reply[-1] and "555" not in reply[-1]


# --- T4: a person asked for mid-prescreen ----------------------------------------------------


def _at_biopsy() -> Patient:
    p = started()
    p.say("52")
    p.say("yes")
    assert p.state and p.state.answers == {"age": 52, "diagnosis": "yes"}
    return p


def test_asking_for_a_person_mid_prescreen_offers_a_call_back() -> None:
    p = _at_biopsy()
    reply = p.say(
        "can I just talk to a real person instead, this is a lot of questions",
        intent="talk_to_person",
    )
    assert p.phase == "offer_callback" and "call you" in reply[-1]
    assert "clinicaltrials.gov" not in " ".join(reply)  # not only a link
    # "no I want YOU to have them call me" is a yes to the call back, never a biopsy answer.
    reply = p.say("no I want YOU to have them call me")
    assert p.phase == "share_question" and "answers you gave so far" in reply[-1]
    assert "biopsy" not in p.answers
    p.say("Yes, pass it on")
    p.say("Rosa Diaz")
    p.say("216-555-0188")
    p.say("any time")
    assert p.finished and p.phase == "submit"
    record = prescreen.handoff_record(p.state, "c")
    assert record.kind == "question" and record.outcome == "question"
    assert record.questions == [
        "can I just talk to a real person instead, this is a lot of questions"
    ]
    assert record.answers["answers"] == {"age": 52, "diagnosis": "yes"}
    assert record.answers["unfinished"] is True


def test_a_request_for_a_person_is_never_an_answer_even_without_the_intent() -> None:
    p = _at_biopsy()
    p.say("no I want YOU to have them call me", intent="deny")
    assert p.phase == "offer_callback" and "biopsy" not in p.answers


def test_the_button_offers_a_call_back_and_no_keeps_going_with_the_answers() -> None:
    p = _at_biopsy()
    p.say("/talk_to_person", intent="talk_to_person")
    assert p.phase == "offer_callback"
    reply = p.say("No, keep going")
    assert p.phase == "questions" and p.answers == {"age": 52, "diagnosis": "yes"}
    assert "biopsy" in reply[-1].lower()


def test_a_call_back_from_the_button_names_the_request_for_the_team() -> None:
    p = _at_biopsy()
    p.say("/talk_to_person", intent="talk_to_person")
    p.say("Yes, have them call me")
    assert p.state and p.state.questions == ["Asked for a call back during the prescreen."]


def test_declining_to_share_the_call_back_keeps_nothing() -> None:
    p = _at_biopsy()
    p.say("talk to a person", intent="talk_to_person")
    p.say("yes")
    reply = p.say("No, thanks")
    assert p.finished and p.phase == "declined" and p.answers == {}
    assert "did not share or keep" in reply[0]


def test_call_me_at_the_who_to_call_step_is_still_an_answer() -> None:
    p = Patient()
    p.state = prescreen.new_state()
    p.state.phase, p.state.who = prescreen.Phase.CALL_WHO, "someone_else"
    p.say("Call me")
    assert p.phase == "contact"


def test_a_caregivers_call_back_mid_prescreen_keeps_who_answered_and_who_to_call() -> None:
    """Review finding 4: the question-mode record lost answered_by, call and the "they know
    and agree" time."""
    p = Patient()
    p.say("Yes, for someone else")
    for answer in ELIGIBLE[:3]:
        p.say(answer)
    p.say("talk to a real person", intent="talk_to_person")
    p.say("Yes, have them call me")
    p.say("yes")
    p.say("Rose Miller")
    p.say("Frank Miller")
    p.say("Call her")
    p.say("216-555-0123")
    p.say("any time")
    assert p.finished and p.phase == "submit"
    record = prescreen.handoff_record(p.state, "c")
    assert record.kind == "question" and record.answers["unfinished"] is True
    assert record.answers["answered_by"]
    assert record.contact["call"] == "patient"
    assert record.contact["answered_by"]["name"] == "Frank Miller"
    assert record.contact["name"] == "Rose Miller"


def test_yes_share_and_call_me_at_the_share_step_is_the_share_yes() -> None:
    """Review finding 5: "Yes, share them and have them call me" turned a finished prescreen
    into an unfinished question."""
    p = started()
    for answer in ELIGIBLE:
        p.say(answer)
    assert p.phase == "share"
    p.say("Yes, share them and have them call me")
    assert p.phase == "name"
    p.say("Jane Doe")
    p.say("216-555-0199")
    p.say("mornings")
    record = prescreen.handoff_record(p.state, "c")
    assert record.kind != "question" and record.outcome == "likely_eligible"
    assert "unfinished" not in record.answers


def test_only_a_submit_keeps_contact_details_and_only_for_an_hour() -> None:
    """Review finding 8: a later prescreen that was stopped or declined still kept the first
    handoff's contact details, with no time limit (carried into every new Rasa session)."""
    from datetime import datetime, timedelta

    kept = _handed_off()
    assert kept.earlier is not None and kept.earlier.at
    given = datetime.fromisoformat(kept.earlier.at)
    assert prescreen.handed_off_details(kept, given + timedelta(minutes=59)) is not None
    # After 60 minutes (a new Rasa session starts only after 60 idle minutes): not offered.
    assert prescreen.handed_off_details(kept, given + timedelta(minutes=61)) is None
    old = prescreen.from_slot({**kept.to_slot(), "earlier": {"contact": {"name": "Frank"}}})
    assert prescreen.handed_off_details(old) is None  # a slot without the time: not offered
    # A later request that ends any other way keeps only the reference, no contact details.
    for ending in ("No, thanks", "stop"):
        p = Patient()
        p.state = prescreen.new_state(earlier=prescreen.handed_off_details(kept))
        if ending == "stop":
            p.say("yes")
            p.say("stop", intent="stop_prescreen")
            p.say("yes")
            assert p.phase == "stopped"
        else:
            p.say(ending, intent="deny")
            assert p.phase == "declined"
        after = prescreen.after_form(p.state)
        assert after is not None and after.reference == "29K8"
        assert after.earlier is None and "Frank" not in str(after.to_slot())
        assert prescreen.handed_off_details(after) is None
