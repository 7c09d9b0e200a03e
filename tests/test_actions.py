"""Custom actions, run on tracker-JSON fixtures with the SDK's dispatcher (no Rasa server)."""

import json
from pathlib import Path

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.fallback import NONE_TITLE, ActionDefaultAskAffirmation
from bot import content

FIXTURES = Path(__file__).parent / "fixtures" / "trackers"


def _tracker(name: str) -> Tracker:
    return Tracker.from_dict(json.loads((FIXTURES / f"{name}.json").read_text()))


async def test_ask_affirmation_offers_plain_topics() -> None:
    dispatcher = CollectingDispatcher()
    events = await ActionDefaultAskAffirmation().run(
        dispatcher, _tracker("unclear_placebo"), domain={}
    )
    assert events == []
    [message] = dispatcher.messages
    titles = [b["title"] for b in message["buttons"]]
    labels = content.topic_labels()
    assert titles[0] == labels["faq/placebo"]
    assert titles[-1] == NONE_TITLE
    # Each guess sends its own question back as text, so the normal NLU answers it.
    assert all(b["payload"] == b["title"] for b in message["buttons"][:-1])
    assert message["buttons"][-1]["payload"] == "/out_of_scope"


async def test_ask_affirmation_with_no_guess_still_offers_a_way_out() -> None:
    dispatcher = CollectingDispatcher()
    await ActionDefaultAskAffirmation().run(dispatcher, _tracker("unclear_nothing"), domain={})
    [message] = dispatcher.messages
    assert [b["title"] for b in message["buttons"]] == [NONE_TITLE]


def test_action_names_match_domain() -> None:
    import yaml

    domain = yaml.safe_load((Path(__file__).parents[1] / "domain.yml").read_text())
    assert ActionDefaultAskAffirmation().name() in domain["actions"]


DEMO = Path(__file__).parent / "fixtures" / "trials" / "demo-hand-eczema"


def _asked(metadata: object = None, earlier: object = None, state: object = None) -> Tracker:
    """A tracker whose latest message asked "what is this study about?" (faq/purpose)."""
    latest = {
        "text": "what is this study about?",
        "intent": {"name": "faq", "confidence": 0.9},
        "entities": [],
        "response_selector": {
            "faq": {"response": {"intent_response_key": "faq/purpose", "confidence": 0.9}}
        },
        "metadata": metadata,
    }
    events = [{"event": "user", "text": "hi", "metadata": {"trial": earlier}}] if earlier else []
    events.append({"event": "user", "text": latest["text"], "metadata": metadata})
    slots = {"prescreen": state} if state is not None else {}
    return Tracker("c1", slots, latest, events, False, None, None, "action_listen")


async def test_each_answer_comes_from_the_conversations_trial(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from actions.answers import ActionAnswer
    from actions.trial import trial_of

    monkeypatch.setenv("TRIALS", f"nct06857240,{DEMO}")
    content.reset()

    async def answer(tracker: Tracker) -> str:
        dispatcher = CollectingDispatcher()
        await ActionAnswer().run(dispatcher, tracker, domain={})
        return str(dispatcher.messages[0]["text"])

    demo, main = await answer(_asked({"trial": "demo-hand-eczema"})), await answer(_asked())
    assert "made-up study" in demo and "ruxolitinib" in main
    assert await answer(_asked({"trial": "nope"})) == main  # unknown: the default trial
    assert await answer(_asked(["not", "a", "dict"])) == main
    assert await answer(_asked(None, earlier="demo-hand-eczema")) == demo  # said before
    # A prescreen keeps the trial it began with, whatever a later message says.
    running = {"trial": "demo-hand-eczema", "phase": "questions"}
    assert trial_of(_asked({"trial": "nct06857240"}, state=running)) == "demo-hand-eczema"
    # One that has ended no longer holds the conversation: the page's trial again.
    ended = {"trial": "demo-hand-eczema", "phase": "declined"}
    assert trial_of(_asked({"trial": "nct06857240"}, state=ended)) == "nct06857240"
    assert content.trial()["nct_id"] == "NCT06857240"  # nothing leaks out of the action


def _thanked(handed_off: object, *before: dict) -> Tracker:
    latest = {"text": "thank u, what happens now", "intent": {"name": "thanks"}, "entities": []}
    events = [*before, {"event": "action", "name": "action_listen"}, {"event": "user", **latest}]
    slots = {"handed_off": handed_off}
    return Tracker("c1", slots, latest, events, False, None, None, "action_listen")


async def test_thanks_right_after_a_handoff_says_what_happens_next() -> None:
    from actions.answers import ActionThanks

    async def said(tracker: Tracker) -> str:
        dispatcher = CollectingDispatcher()
        await ActionThanks().run(dispatcher, tracker, domain={})
        return str(dispatcher.messages[0]["response"])

    done = {"event": "action", "name": "action_prescreen_done"}
    later = [
        done,
        {"event": "user", "text": "is there parking?"},
        {"event": "action", "name": "action_answer_team"},
    ]
    assert await said(_thanked(True, done)) == "utter_after_handoff"
    assert await said(_thanked(False, done)) == "utter_you_are_welcome"  # ended, nothing sent
    assert await said(_thanked(True, *later)) == "utter_you_are_welcome"  # not right after
    assert await said(_thanked(None)) == "utter_you_are_welcome"
