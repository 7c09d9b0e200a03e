"""Answer a question from the answers file (bot/faq/lookup.py), with the topic the NLU chose.

Three thin actions: an FAQ topic (`action_answer`), a question only the study team can answer
(`action_answer_team`, which offers to reach them; the rules take "yes" from there), and a
question about the person's own treatment (`action_answer_advice`). A second question in the
same message, or the study topic beside a medical-advice question, is offered as a button
that sends the topic's question back as text.
"""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.trial import for_trial
from bot.faq import lookup as faq
from bot.faq import menu as fallback
from bot.nlu import advice
from bot.prescreen import dialogue as prescreen


def topic_key(tracker: Tracker, intent: str) -> str | None:
    message = tracker.latest_message or {}
    selected = (message.get("response_selector") or {}).get(intent) or {}
    return (selected.get("response") or {}).get("intent_response_key")


def _button(key: str) -> dict[str, str]:
    return {"title": fallback.label(key), "payload": fallback.label(key)}


def say(dispatcher: CollectingDispatcher, key: str | None, extra: str | None = None) -> None:
    """Send the answer for key (and a button for the extra topic); "no answer" if it has none."""
    found = faq.answer(key) if key else None
    if found is None:
        # The NLU chose a topic the answers file does not have: never make one up.
        dispatcher.utter_message(response="utter_ask_rephrase")
        return
    buttons = found["buttons"]
    if extra:
        buttons = [_button(extra), *buttons]
    dispatcher.utter_message(text=found["text"], buttons=buttons)


class ActionAnswer(Action):
    """An FAQ topic's answer; the other question of a mixed message as a button."""

    group = "faq"

    def name(self) -> str:
        return "action_answer"

    @for_trial
    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        self.answer(dispatcher, tracker, topic_key(tracker, self.group))
        return []

    def answer(self, dispatcher: CollectingDispatcher, tracker: Tracker, key: str | None) -> None:
        text = str((tracker.latest_message or {}).get("text") or "")
        if key in NEXT_STEP_TOPICS and NEXT_STEPS.search(text) and just_handed_off(tracker):
            # "thank u, what happens now" right after a handoff asks about that handoff's next
            # steps (the team contacts them), not about the study's schedule.
            dispatcher.utter_message(response="utter_after_handoff")
            return
        extra = fallback.second_topic(tracker.latest_message or {}, key) if key else None
        say(dispatcher, key, extra)


# Topics a "what happens now?" is read as; right after a handoff it asks what happens next.
NEXT_STEP_TOPICS = ("faq/timeline", "faq/joining")
NEXT_STEPS = re.compile(r"\bwhat (happens )?(now|next)\b|\bnow what\b|\bnext steps?\b", re.I)


def just_handed_off(tracker: Tracker) -> bool:
    """The assistant's last turn passed this person's prescreen or question to the team."""
    return bool(tracker.get_slot("handed_off")) and _last_action(tracker) == HANDOFF_DONE


class ActionAnswerTeam(ActionAnswer):
    """The same for a question only the study team can answer (its answer offers to reach
    them; the rules take "yes" from this action)."""

    group = "ask_team"

    def name(self) -> str:
        return "action_answer_team"

    def answer(self, dispatcher: CollectingDispatcher, tracker: Tracker, key: str | None) -> None:
        after = prescreen.after_handoff_wait(prescreen.from_slot(tracker.get_slot("prescreen")))
        if key == WAIT_TOPIC and after is not None:
            # "How long until they call?" right after a handoff: what happens next, not an
            # offer to share the details the person has just shared.
            for message in after:
                dispatcher.utter_message(text=message["text"])
            return
        super().answer(dispatcher, tracker, key)


WAIT_TOPIC = "ask_team/contact_time"


class ActionAnswerAdvice(Action):
    def name(self) -> str:
        return "action_answer_advice"

    @for_trial
    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        text = str((tracker.latest_message or {}).get("text") or "")
        if advice.only_tells(text) and not advice.asks_for_advice(text):
            # "I take cellcept 1000 mg twice a day" asks nothing: thanks, and what we can do.
            dispatcher.utter_message(response="utter_story")
            return []
        say(dispatcher, "medical_advice", fallback.related_topic(tracker.latest_message or {}))
        return []


class ActionThanks(Action):
    """ "You're welcome"; right after a prescreen or question reached the study team, also what
    happens next ("thank u, what happens now")."""

    def name(self) -> str:
        return "action_thanks"

    @for_trial
    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        response = "utter_after_handoff" if just_handed_off(tracker) else "utter_you_are_welcome"
        dispatcher.utter_message(response=response)
        return []


HANDOFF_DONE = "action_prescreen_done"


def _last_action(tracker: Tracker) -> str | None:
    """The assistant's last action before the patient's latest message."""
    seen_user = False
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            if seen_user:
                return None
            seen_user = True
        elif seen_user and event.get("event") == "action" and event.get("name") != "action_listen":
            return str(event.get("name"))
    return None
