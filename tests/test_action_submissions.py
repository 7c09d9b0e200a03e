"""ActionPrescreenDone against a real SQLite handoff store: the same submission run twice (as
Rasa does when it retries the action after a crash at submit) is stored once; a later question
or prescreen in the same conversation is a new record, and each reply names its own reference."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import prescreen as actions
from bot.prescreen import dialogue as prescreen
from bot.store.handoff import HandoffStore


def _tracker(sender: str, state: prescreen.State) -> Tracker:
    return Tracker(sender, {"prescreen": state.to_slot()}, {}, [], False, None, {}, None)


def _submitted(mode: str) -> prescreen.State:
    state = prescreen.new_state(question="Is parking free?" if mode == "question" else None)
    state.phase, state.contact = prescreen.Phase.SUBMIT, {"name": "Ada", "email": "ada@example.com"}
    return state


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> HandoffStore:
    monkeypatch.setenv("HANDOFF_KEY", Fernet.generate_key().decode())
    made = HandoffStore(f"sqlite:///{tmp_path / 'handoffs.db'}", channels=[])
    monkeypatch.setattr(actions, "store", lambda: made)
    monkeypatch.setattr(actions, "spooled", lambda: actions.spool.Spool(tmp_path / "spool"))
    return made


async def _run(tracker: Tracker) -> str:
    dispatcher = CollectingDispatcher()
    events = await actions.ActionPrescreenDone().run(dispatcher, tracker, domain={})
    said = " ".join(str(m.get("text")) for m in dispatcher.messages)
    # The answers are forgotten; the slot keeps only the handoff's reference and the details
    # the person agreed to share (offered again for a later request in this conversation).
    kept = next(e["value"] for e in events if e["name"] == "prescreen")
    assert kept["phase"] == "handed_off" and kept["answers"] == {} and kept["questions"] == []
    assert kept["reference"] in said and kept["earlier"]["contact"]["name"] == "Ada"
    return said


async def test_retried_submission_once_and_every_later_one_kept(store: HandoffStore) -> None:
    question, answers = _submitted("question"), _submitted("prescreen")
    first = await _run(_tracker("conv", question))
    retried = await _run(_tracker("conv", question))  # the same submission again
    assert store.count("conv") == 1 and first == retried
    assert "sent your question" in first
    second = await _run(_tracker("conv", answers))
    records = store.all_for("conv")
    assert [r["kind"] for r in records] == ["question", "prescreen"]
    assert records[0]["reference"] in first and records[1]["reference"] in second
    assert records[1]["reference"] not in first and "sent your answers" in second
    assert records[0]["questions"] == ["Is parking free?"]
    third = await _run(_tracker("conv", _submitted("question")))  # another question
    assert store.count("conv") == 3
    assert store.all_for("conv")[2]["reference"] in third
    store.engine.dispose()


def _user(text: str, intent: str) -> dict[str, object]:
    return {"event": "user", "text": text, "parse_data": {"intent": {"name": intent}}}


def test_a_reply_typed_into_an_earlier_handoff_is_not_the_next_question() -> None:
    """Found live: the best time of a first question ("anytime after 3pm", read as ask_team)
    was offered as the question of the next "talk to a person"."""
    earlier = [
        _user("anytime after 3pm", "ask_team"),
        {"event": "active_loop", "name": None},
        {"event": "action", "name": "action_prescreen_done"},
        {"event": "action", "name": "action_listen"},
    ]
    now = [_user("I want to talk to a real person", "talk_to_person")]
    tracker = Tracker("c", {}, {}, [*earlier, *now], False, None, {}, None)
    assert actions.last_team_question(tracker) == ""
    asked = [
        _user("how much does it cost?", "ask_team"),
        {"event": "action", "name": "action_answer_team"},
        {"event": "action", "name": "action_listen"},
        _user("yes", "affirm"),
    ]
    tracker = Tracker("c", {}, {}, [*earlier, *asked], False, None, {}, None)
    assert actions.last_team_question(tracker) == "how much does it cost?"


def _asked(text: str, key: str) -> dict[str, object]:
    """An ask_team message as Rasa keeps it: with the response selector's answer key."""
    event = _user(text, "ask_team")
    selector = {"ask_team": {"response": {"intent_response_key": key}}}
    event["parse_data"] = {"intent": {"name": "ask_team"}, "response_selector": selector}
    return event


def _latest(text: str, intent: str, slot: object, asked: tuple[str, str] | None = None) -> Tracker:
    message = {"text": text, "intent": {"name": intent}}
    events = [
        _asked(*(asked or ("how long until they call", "ask_team/contact_time"))),
        {"event": "action", "name": "action_answer_team"},
        {"event": "action", "name": "action_listen"},
        {**_user(text, intent), "parse_data": message},
    ]
    return Tracker("c", {"prescreen": slot}, message, events, False, None, {}, None)


async def test_after_a_handoff_get_me_a_human_passes_on_this_message() -> None:
    """Tester C7: the earlier "how long until they call" was passed on, and the name asked again."""
    kept = prescreen.after_form(_submitted("question"), "29K8")
    dispatcher = CollectingDispatcher()
    tracker = _latest("this is useless. get me a human", "talk_to_person", prescreen.to_slot(kept))
    events = await actions.ActionQuestionStart().run(dispatcher, tracker, domain={})
    state = events[0]["value"]
    assert state["questions"] == ["this is useless. get me a human"]
    assert state["earlier"]["contact"]["name"] == "Ada"  # the slot: a plain dict
    assert "this is useless. get me a human" in dispatcher.messages[0]["text"]
    # With no handoff before, a yes to the offer still passes on the question it was about.
    tracker = _latest("/talk_to_person", "talk_to_person", None)
    events = await actions.ActionQuestionStart().run(CollectingDispatcher(), tracker, domain={})
    assert events[0]["value"]["questions"] == ["how long until they call"]


async def test_after_a_handoff_talk_to_someone_about_that_sends_the_question_too() -> None:
    """Review finding 10: "Is travel paid for?", then "can I talk to someone about that" after
    a handoff sent only the typed request; the team lost the question."""
    kept = prescreen.after_form(_submitted("question"), "29K8")
    tracker = _latest(
        "can I talk to someone about that",
        "talk_to_person",
        prescreen.to_slot(kept),
        asked=("Is travel paid for?", "ask_team/travel"),
    )
    dispatcher = CollectingDispatcher()
    events = await actions.ActionQuestionStart().run(dispatcher, tracker, domain={})
    state = events[-1]["value"]
    assert state["questions"] == ["Is travel paid for?", "can I talk to someone about that"]
    assert "Is travel paid for?" in dispatcher.messages[0]["text"]
    # The button ("/talk_to_person") after the offer: the question alone.
    tracker = _latest(
        "/talk_to_person", "talk_to_person", prescreen.to_slot(kept),
        asked=("Is travel paid for?", "ask_team/travel"),
    )  # fmt: skip
    events = await actions.ActionQuestionStart().run(CollectingDispatcher(), tracker, domain={})
    assert events[-1]["value"]["questions"] == ["Is travel paid for?"]


async def test_how_long_until_they_call_after_a_handoff_says_what_happens_next() -> None:
    from actions import answers

    kept = prescreen.after_form(_submitted("prescreen"), "29K8")
    tracker = _latest("how long until they call", "ask_team", prescreen.to_slot(kept))
    tracker.latest_message["response_selector"] = {
        "ask_team": {"response": {"intent_response_key": "ask_team/contact_time"}}
    }
    dispatcher = CollectingDispatcher()
    await answers.ActionAnswerTeam().run(dispatcher, tracker, domain={})
    said = " ".join(str(m.get("text")) for m in dispatcher.messages)
    assert "29K8" in said and "If you share your contact details" not in said
    assert not any(m.get("buttons") for m in dispatcher.messages)
    # Before any handoff: the usual answer, with the offer to reach the team.
    tracker = _latest("how long until they call", "ask_team", None)
    tracker.latest_message["response_selector"] = {
        "ask_team": {"response": {"intent_response_key": "ask_team/contact_time"}}
    }
    dispatcher = CollectingDispatcher()
    await answers.ActionAnswerTeam().run(dispatcher, tracker, domain={})
    assert "If you share your contact details" in dispatcher.messages[0]["text"]


async def test_an_unsent_handoff_is_sent_before_a_new_request_never_offered_or_dropped(
    store: HandoffStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Review finding 6: a SUBMIT slot (store and spool both failed) was offered as "the
    details you gave before" and then replaced without a word."""
    unsent = _submitted("prescreen")
    assert prescreen.handed_off_details(unsent) is None  # never "the details you gave before"

    def down(*_: object) -> None:
        raise OSError("down")

    working_spool = actions.spooled
    # Still failing: the new request does not start and the unsent one stays in the slot.
    monkeypatch.setattr(actions, "store", lambda: type("S", (), {"submit": down})())
    monkeypatch.setattr(actions, "spooled", lambda: type("P", (), {"put": down})())
    tracker = _latest("talk to a person", "talk_to_person", unsent.to_slot())
    for start in (actions.ActionQuestionStart(), actions.ActionPrescreenStart()):
        dispatcher = CollectingDispatcher()
        assert await start.run(dispatcher, tracker, domain={}) == []
        said = " ".join(str(m.get("text")) for m in dispatcher.messages)
        assert "details you gave before" not in said and "try again" in said.lower()
    # Working again: it is stored first, then the new request starts with its details.
    monkeypatch.setattr(actions, "store", lambda: store)
    monkeypatch.setattr(actions, "spooled", working_spool)
    dispatcher = CollectingDispatcher()
    events = await actions.ActionQuestionStart().run(dispatcher, tracker, domain={})
    assert store.count("c") == 1 and store.all_for("c")[0]["kind"] == "prescreen"
    state = events[-1]["value"]
    assert state["phase"] in ("question", "share_question")
    assert state["earlier"]["contact"]["name"] == "Ada"
    assert state["earlier"]["reference"] == store.all_for("c")[0]["reference"]
    said = " ".join(str(m.get("text")) for m in dispatcher.messages)
    assert store.all_for("c")[0]["reference"] in said
    store.engine.dispose()
