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
