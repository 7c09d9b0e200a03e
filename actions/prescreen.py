"""The prescreen form's actions: thin glue between Rasa and bot.prescreen.dialogue (the
conversation).

Over 300 lines on purpose: every Rasa action of the prescreen (start, ask, validate, done,
submit retry) sits in one module so the form's slot handling is read in one place; each stays
thin and calls bot.prescreen.dialogue."""

from __future__ import annotations

import asyncio
import logging
from functools import cache
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.trial import for_trial
from bot.prescreen import dialogue as prescreen
from bot.staff import funnel
from bot.store import handoff, spool

logger = logging.getLogger(__name__)

STATE_SLOT = "prescreen"
TURN_SLOT = "prescreen_turn"
# Whether the last prescreen or question reached the study team (thanks then says what next).
HANDED_OFF_SLOT = "handed_off"
# Payload intents of the channels' safety layer: they pause the prescreen with the 911 / 988
# answer and are never an answer (bot/prescreen/dialogue.py).
SAFETY = prescreen.SAFETY_INTENTS
RETRIEVAL_INTENTS = ("faq", "ask_team")


def turn_from(tracker: Tracker) -> prescreen.Turn:
    """The latest message as the prescreen sees it."""
    message = tracker.latest_message or {}
    intent = (message.get("intent") or {}).get("name")
    key = None
    if intent in RETRIEVAL_INTENTS:
        selected = (message.get("response_selector") or {}).get(intent) or {}
        key = (selected.get("response") or {}).get("intent_response_key")
    return prescreen.Turn(
        text=message.get("text") or "",
        intent=intent,
        entities=message.get("entities") or [],
        retrieval_key=key,
        after_safety=previous_intent(tracker) in SAFETY,
        after_crisis=previous_intent(tracker) == "crisis",
    )


def previous_intent(tracker: Tracker) -> str | None:
    """The intent of the patient's message before the latest one."""
    users = (e for e in reversed(tracker.events) if e.get("event") == "user")
    next(users, None)
    before = next(users, None) or {}
    return ((before.get("parse_data") or {}).get("intent") or {}).get("name")


def send(dispatcher: CollectingDispatcher, messages: list[prescreen.Message]) -> None:
    for message in messages:
        if "response" in message:
            dispatcher.utter_message(response=message["response"])
        else:
            dispatcher.utter_message(text=message["text"], buttons=message.get("buttons", []))


class ActionPrescreenStart(Action):
    """Begin (or begin again) with an empty prescreen, and ask the consent question."""

    def name(self) -> str:
        return "action_prescreen_start"

    @for_trial
    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        before = prescreen.from_slot(tracker.get_slot(STATE_SLOT))
        sent, before = await send_unsent(dispatcher, tracker, before)
        if sent is None:
            return []  # still not stored: kept as it is, never replaced
        state = prescreen.new_state(earlier=prescreen.handed_off_details(before))
        # The form has no ask action (one action server call per turn): asked here.
        send(dispatcher, prescreen.prompt(state))
        funnel.record("prescreen_offered")
        return [*sent, SlotSet(STATE_SLOT, state.to_slot())]


async def send_unsent(
    dispatcher: CollectingDispatcher, tracker: Tracker, before: prescreen.State | None
) -> tuple[list[dict[str, Any]] | None, prescreen.State | None]:
    """A handoff left in the slot unsent (SUBMIT: store and spool both failed) is sent before
    a new request starts, never dropped or offered as "the details you gave before".

    Returns the events of sending it and the state after it; None if it still failed (the
    person was told, and the slot keeps it)."""
    if before is None or before.phase != prescreen.Phase.SUBMIT:
        return [], before
    events = await hand_over(dispatcher, tracker, before)
    if events is None:
        return None, before
    return events, prescreen.from_slot(events[0]["value"])


# Where an earlier prescreen or question began or ended.
BOUNDARY_ACTIONS = (
    "action_prescreen_done",
    "action_prescreen_start",
    "action_question_start",
    "prescreen_form",
)


# Answered in full right after a handoff ("How long until they call?": what happens next),
# so not passed on again as a question for the team.
ANSWERED_AFTER_HANDOFF = ("ask_team/contact_time",)


def last_team_question(tracker: Tracker, after_handoff: bool = False) -> str:
    """The patient's most recent question that only the study team can answer, if any.

    Only messages since the last prescreen or question ended count: a reply typed into an
    earlier one (e.g. "anytime after 3pm" as the best time) is not a new question. After a
    handoff, "how long until they call?" was answered already: not a question.
    """
    for event in reversed(tracker.events):
        if event.get("event") == "active_loop" or (
            event.get("event") == "action" and event.get("name") in BOUNDARY_ACTIONS
        ):
            break
        if event.get("event") != "user":
            continue
        intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
        if intent == "ask_team":
            if after_handoff and _team_key(event) in ANSWERED_AFTER_HANDOFF:
                return ""
            return str(event.get("text") or "")
        if intent not in ("affirm", "talk_to_person"):
            break
    return ""


def _team_key(event: dict[str, Any]) -> str | None:
    selected = ((event.get("parse_data") or {}).get("response_selector") or {}).get("ask_team")
    key = ((selected or {}).get("response") or {}).get("intent_response_key")
    return str(key) if key else None


def typed_request(tracker: Tracker) -> str:
    """The latest message when it is a typed request for a person ("get me a human"), not a
    button or a yes to an offer to pass on an earlier question."""
    message = tracker.latest_message or {}
    intent = (message.get("intent") or {}).get("name")
    text = " ".join(str(message.get("text") or "").split())
    if intent != "talk_to_person" or not text or text.startswith("/"):
        return ""
    return text[:1000]


class ActionQuestionStart(Action):
    """ "Talk to a person": collect the question and contact details for the study team."""

    def name(self) -> str:
        return "action_question_start"

    @for_trial
    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        before = prescreen.from_slot(tracker.get_slot(STATE_SLOT))
        sent, before = await send_unsent(dispatcher, tracker, before)
        if sent is None:
            return []  # still not stored: kept as it is, never replaced
        earlier = prescreen.handed_off_details(before)
        question = last_team_question(tracker, after_handoff=earlier is not None)
        typed = typed_request(tracker) if earlier is not None else ""
        # After a handoff, "this is useless. get me a human" is passed on as it is, and so is
        # the team question it may be about ("Is travel paid for?" then "can I talk to someone
        # about that"): both, never one instead of the other (review finding 10).
        state = prescreen.new_state(question=question or typed, earlier=earlier)
        if question and typed and typed != question:
            state.questions.append(typed)
        send(dispatcher, prescreen.prompt(state))
        return [*sent, SlotSet(STATE_SLOT, state.to_slot())]


class ActionPrescreenAsk(Action):
    """Ask again what the prescreen needs (after a 911 / 988 message or an empty message).

    Not the form's ask action: the form has none, so a normal prescreen turn is one call to
    the action server (validate_prescreen_form answers and asks the next question)."""

    def name(self) -> str:
        return "action_prescreen_ask"

    @for_trial
    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        state = prescreen.from_slot(tracker.get_slot(STATE_SLOT)) or prescreen.new_state()
        if not prescreen.pauses(turn_from(tracker), state):
            send(dispatcher, prescreen.prompt(state))
        return []


class ValidatePrescreenForm(FormValidationAction):
    """Each message during the prescreen goes through bot.prescreen.dialogue.step."""

    def name(self) -> str:
        return "validate_prescreen_form"

    @for_trial
    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        return await super().run(dispatcher, tracker, domain)

    async def validate_prescreen_turn(
        self,
        slot_value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> dict[str, Any]:
        if slot_value is None:
            # The form validates on activation too; the message that started it
            # ("can I join?") is not an answer to anything yet.
            return {}
        turn = turn_from(tracker)
        before = prescreen.from_slot(tracker.get_slot(STATE_SLOT))
        result = prescreen.step(before, turn)
        funnel.observe_prescreen(before, result.state)  # counts only, in the background
        send(dispatcher, result.messages)
        if not result.finished and not prescreen.pauses(turn, result.state):
            # The next question, in the same call (the form has no ask action); after a
            # 911 / 988 answer nothing is asked until the person says they are safe.
            send(dispatcher, prescreen.prompt(result.state))
        # The form ends when this slot is filled; otherwise it asks again (the next question).
        return {
            STATE_SLOT: result.state.to_slot(),
            TURN_SLOT: "done" if result.finished else None,
        }


@cache
def store() -> handoff.HandoffStore:
    return handoff.HandoffStore()


@cache
def spooled() -> spool.Spool:
    """Where handoffs wait while the store is unavailable (VAR_DIR/spool)."""
    return spool.Spool()


START_ACTIONS = ("action_prescreen_start", "action_question_start")


def transcript(tracker: Tracker, limit: int = 200) -> list[dict[str, str]]:
    """What was said since this prescreen (or question) began, for the study team."""
    lines: list[dict[str, str]] = []
    for event in tracker.events:
        kind = event.get("event")
        if is_safety_event(event):
            continue  # a 911 / 988 turn is not passed to staff
        if kind == "action" and event.get("name") in START_ACTIONS:
            lines = [lines[-1]] if lines and lines[-1]["who"] == "patient" else []
        elif kind == "user" and event.get("text"):
            lines.append({"who": "patient", "text": str(event["text"])[:2000]})
        elif kind == "bot" and event.get("text"):
            lines.append({"who": "assistant", "text": str(event["text"])[:2000]})
    return lines[-limit:]


SAFETY_RESPONSES = {f"utter_{kind}" for kind in SAFETY}


def is_safety_event(event: dict[str, Any]) -> bool:
    """A safety message's payload, or the assistant's 911 / 988 answer to it."""
    if event.get("event") == "user":
        intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
        return intent in SAFETY
    if event.get("event") == "bot":
        return (event.get("metadata") or {}).get("utter_action") in SAFETY_RESPONSES
    return False


def kept(state: prescreen.State | None) -> list[dict[str, Any]]:
    """The slots once the form is over: only what `prescreen.after_form` keeps."""
    return [SlotSet(STATE_SLOT, prescreen.to_slot(state)), SlotSet(TURN_SLOT, None)]


class ActionPrescreenDone(Action):
    """After the form: hand over what the patient agreed to share, then forget the answers."""

    def name(self) -> str:
        return "action_prescreen_done"

    @for_trial
    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[dict[str, Any]]:
        state = prescreen.from_slot(tracker.get_slot(STATE_SLOT))
        if state is None or state.phase == prescreen.HANDED_OFF:
            return []  # run again with no new prescreen: nothing to send, nothing to forget
        if state.phase == prescreen.Phase.SUBMIT:
            return await hand_over(dispatcher, tracker, state) or []
        # The answers are gone; the details of a handoff made before, if any, stay.
        return [*kept(prescreen.after_form(state)), SlotSet(HANDED_OFF_SLOT, False)]


async def hand_over(
    dispatcher: CollectingDispatcher, tracker: Tracker, state: prescreen.State
) -> list[dict[str, Any]] | None:
    """Store a SUBMIT state (or spool it) and say so; the slots it leaves (its first event is
    the prescreen slot), or None when neither worked (said; the slot keeps the answers)."""
    record = prescreen.handoff_record(state, tracker.sender_id, transcript(tracker))
    # The store is blocking (SQLAlchemy); keep the action server's event loop free.
    try:
        # store() may connect and migrate the first time: off the event loop too.
        reference, _ = await asyncio.to_thread(lambda: store().submit(record))
    except Exception as error:  # noqa: BLE001 - the patient must never get silence
        logger.error("handoff not stored: %s; spooling it", type(error).__name__)
        try:
            await asyncio.to_thread(spooled().put, record)
        except Exception as spool_error:  # noqa: BLE001 - not even the disk: try again
            logger.error("handoff not spooled: %s", type(spool_error).__name__)
            send(dispatcher, prescreen.not_submitted_messages())
            return None  # keep the answers: "try again" resubmits
        spool.ensure_drainer(spooled(), store)
        send(dispatcher, prescreen.saved_for_later_messages(state))
        return [*kept(prescreen.after_form(state)), SlotSet(HANDED_OFF_SLOT, True)]
    spool.ensure_drainer(spooled(), store)  # handoffs spooled earlier, if any
    send(dispatcher, prescreen.submitted_messages(state, reference))
    return [*kept(prescreen.after_form(state, reference)), SlotSet(HANDED_OFF_SLOT, True)]
