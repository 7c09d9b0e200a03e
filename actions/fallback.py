"""Two-stage fallback: ask which topic an unclear message meant, with plain-language buttons."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.trial import for_trial
from bot.faq import menu as fallback

ASK_TEXT = "Sorry, I'm not sure what you mean. Did you mean one of these?"
NONE_TITLE = "Something else"


class ActionDefaultAskAffirmation(Action):
    """Replaces Rasa's "Did you mean 'faq'?" with the closest topics in plain words."""

    def name(self) -> str:
        return "action_default_ask_affirmation"

    @for_trial
    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        topics = fallback.candidate_topics(tracker.latest_message or {})
        # Each button sends the topic's question back as text, so the normal NLU answers it.
        buttons = [{"title": fallback.label(t), "payload": fallback.label(t)} for t in topics]
        # "/out_of_scope" tells Rasa's fallback loop that none of the guesses was right.
        buttons.append({"title": NONE_TITLE, "payload": "/out_of_scope"})
        dispatcher.utter_message(text=ASK_TEXT, buttons=buttons)
        return []
