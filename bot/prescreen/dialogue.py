"""The prescreen conversation: one patient turn in, the next state and messages out.

Plain Python over bot.prescreen.reading (what a reply says), bot.prescreen.engine (scoring)
and bot.prescreen.contact (names, emails, phones), so every path is unit-tested without Rasa.
The Rasa form (actions/prescreen.py) keeps the state in one slot and calls `step` for each
message, then `prompt` to ask what comes next.

Phases: consent -> questions -> share -> name -> contact -> best_time -> submit.
For someone else (a caregiver): consent -> questions (about "them") -> share (they know and
agree) -> name (theirs and yours) -> call_who -> contact -> best_time -> submit.
"Talk to a person" uses the same machinery without health questions:
question -> share_question -> name -> contact -> best_time -> submit (outcome "question").
A turn can also pause for "do you want to stop?" (confirm_stop), "which answer?" (pick),
"just to check: ..." (confirm, before a typed reply ends the prescreen) or, after a result
that does not fit, "change an answer?" (not_eligible).
Endings, where the form stops: submit (hand to staff), ended (not eligible), stopped, declined.
Only `submit` keeps anything; every other ending tells the person nothing was kept.

After a handoff the slot keeps a small ``handed_off`` state (`after_form`): its reference and
the contact details the person agreed to share. A later question or prescreen in the same
conversation starts with them as ``earlier``, and asks "send it with the details you gave
before?" (phase reuse_contact) instead of asking for the name and contact details again.
The state itself, typed, and how the slot keeps it: bot/prescreen/state.py.

Over 300 lines on purpose: one function per phase of one conversation, all over the same
state, and what each phase asks (`prompt`) beside them; reading a reply is
bot.prescreen.reading's and scoring bot.prescreen.engine's.
"""

from __future__ import annotations

import copy
import dataclasses
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from bot import content
from bot.faq import lookup as faq
from bot.prescreen import contact, reading
from bot.prescreen import engine as eligibility
from bot.prescreen.state import (
    ENDINGS,
    Caregiver,
    Earlier,
    Mode,
    Pending,
    Phase,
    PrescreenState,
)
from bot.safety import replies as safety_replies
from bot.store.handoff import Handoff

State = PrescreenState
Message = dict[str, Any]
HANDED_OFF = Phase.HANDED_OFF
__all__ = ["ENDINGS", "HANDED_OFF", "Phase", "PrescreenState", "Turn", "from_slot", "to_slot"]
# The payload of an answer's button under "Change an answer" (intent change_answer).
PICK_PAYLOAD = "/change_answer"
# Payload intents of the channels' safety layer (bot/safety): answered with utter_<intent>,
# never read as an answer; the prescreen waits until the person says they are safe.
SAFETY_INTENTS = ("emergency", "overdose", "crisis", "stopped_medicine")


@dataclass(frozen=True)
class Turn:
    """What the patient sent, as NLU read it."""

    text: str
    intent: str | None = None
    entities: Sequence[Mapping[str, Any]] = ()
    # "faq/placebo" or "ask_team/cost" when the message is an FAQ question.
    retrieval_key: str | None = None
    # The message before this one was a safety message (911 / 988): this one is never read
    # as an answer; the question is asked again.
    after_safety: bool = False
    # ... and it was the 988 answer: a reply that is neither of its buttons gets a check-in
    # first ("are you safe right now?"), not the question.
    after_crisis: bool = False


@dataclass
class Result:
    state: State
    messages: list[Message] = field(default_factory=list)

    @property
    def finished(self) -> bool:
        return self.state.phase in ENDINGS


def texts() -> Mapping[str, Any]:
    data: Mapping[str, Any] = content.load("prescreen")
    return data


def new_state(
    now: datetime | None = None,
    question: str | None = None,
    earlier: Earlier | None = None,
) -> State:
    """A new prescreen; or, with ``question``, a request to reach the team ("" = ask for it).

    ``earlier``: the details of a handoff made before in this conversation (`earlier_details`),
    offered again instead of asking for them."""
    phase = Phase.CONSENT
    if question is not None:
        phase = Phase.SHARE_QUESTION if question.strip() else Phase.QUESTION
    return PrescreenState(
        phase=phase,
        mode=Mode.PRESCREEN if question is None else Mode.QUESTION,
        questions=[question.strip()] if question and question.strip() else [],
        version=eligibility.version(),
        trial=content.folder().name,
        started_at=(now or datetime.now(timezone.utc)).isoformat(timespec="seconds"),
        earlier=copy.deepcopy(earlier) if earlier and earlier.contact else None,
    )


def from_slot(value: Any) -> State | None:
    """The state kept in the Rasa slot (a dict, or an old untyped one); None if none."""
    return PrescreenState.from_slot(value)


def to_slot(state: State | None) -> dict[str, Any] | None:
    """The state as the slot keeps it (JSON-compatible)."""
    return state.to_slot() if state is not None else None


def _buttons(titles: Sequence[str]) -> list[dict[str, str]]:
    return [{"title": t, "payload": t} for t in titles]


def _say(text: str, buttons: Sequence[str] = ()) -> Message:
    message: Message = {"text": " ".join(text.split())}
    if buttons:
        message["buttons"] = _buttons(buttons)
    return message


def for_someone_else(state: State) -> bool:
    return state.for_someone_else


def current_question(state: State) -> eligibility.Criterion | None:
    return eligibility.next_question(state.answers)


def _criterion(cid: str) -> eligibility.Criterion:
    return next(c for c in eligibility.load_criteria() if c.id == cid)


def pauses(turn: Turn, state: State | None = None) -> bool:
    """After a safety answer, or the check-in after a 988 answer, the form asks nothing: that
    message is the whole turn. ``state``: the state after the turn; while its check-in is
    still waiting for "I'm safe" (a "no" to "are you safe right now?"), nothing is asked."""
    return (
        turn.intent in SAFETY_INTENTS or checks_in(turn) or (state is not None and state.check_in)
    )


def not_safe_yet(turn: Turn) -> bool:
    """A typed reply to "are you safe right now?" that says no or not sure ("no im not safe",
    "not really", "not sure"): the 988 answer again, never the next question."""
    if turn.text.strip().startswith("/") or turn.intent in ("safety_stop", "stop_prescreen"):
        return False  # a button: "I'm safe, go on" or "Stop for now"
    return turn.intent == "deny" or reading.read_yes_no(turn.text) in ("no", "unsure")


def checks_in(turn: Turn) -> bool:
    """A message typed right after the 988 answer that is neither of its buttons ("whatever.
    yes i had the biopsy"): "are you safe right now?" first, not the question."""
    return turn.after_crisis and turn.intent not in (
        "safety_resume", "safety_stop", "stop_prescreen", "restart_prescreen"
    )  # fmt: skip


def offered_buttons(state: State) -> list[str]:
    """The button titles the last prompt offered (a press of one is read as sure)."""
    found: list[str] = []
    for message in prompt(state):
        found += [b["title"] for b in message.get("buttons", [])]
    return found


def _question_text(criterion: eligibility.Criterion, state: State) -> str:
    if for_someone_else(state) and criterion.question_other:
        return eligibility.prompt(criterion, criterion.question_other)
    return eligibility.prompt(criterion)


def _confirm_text(state: State) -> tuple[str, list[str]]:
    pending = state.pending
    assert pending is not None
    criterion = _criterion(pending.target)
    t = texts()
    text = criterion.confirm or t["confirm_default"]
    if for_someone_else(state) and criterion.confirm_other:
        text = criterion.confirm_other
    text = text.format(age=pending.value, value=pending.value)
    undo = criterion.confirm_undo or t["choices"]["confirm_undo"]
    return text, ["Yes", undo, "Not sure"]


def prompt(state: State) -> list[Message]:
    """What to ask next, given the state (used by the form's ask action)."""
    t = texts()
    phase = state.phase
    other = for_someone_else(state)
    if phase == "consent":
        intro = eligibility.texts()
        start, decline = t["buttons"]["consent"]
        buttons = [start, t["choices"]["consent_other"], decline]
        return [_say(f"{intro['intro']} {intro['consent']}", buttons)]
    if phase == "questions":
        criterion = current_question(state)
        if criterion is None:  # pragma: no cover - step() moves on before asking
            return []
        every = eligibility.load_criteria()
        total = len(every)
        # Its place in the list, so an answer asked again after "Change an answer" keeps its
        # number ("Question 1: How old are you?", not "Question 9").
        number = [c.id for c in every].index(criterion.id) + 1
        header = t["progress"].format(number=min(number, total), total=total)
        offered: Sequence[str] = (
            ()
            if criterion.takes_number
            else t["buttons"][
                "answer_not_applicable" if criterion.allows_not_applicable else "answer"
            ]
        )
        if criterion.kind == "choice":
            offered = [label for _, label in criterion.choices]
        if state.follow_up == criterion.id:
            return [_say(t["ask_willing_to_stop"], offered)]
        return [_say(f"{header} {_question_text(criterion, state)}", offered)]
    if phase == "confirm":
        text, buttons = _confirm_text(state)
        return [_say(text, buttons)]
    if phase == "not_eligible":
        return [_say(t["not_eligible_offer"], t["choices"]["not_eligible"])]
    if phase == "share":
        if other:
            return [_say(t["share_ask_other"], t["choices"]["share_other"])]
        return [_say(t["share_ask"], t["buttons"]["share"])]
    if phase == "question":
        return [_say(t["ask_question"])]
    if phase == "share_question" and state.answers:
        # Asked for a person mid-prescreen: the answers so far go too, if the person agrees.
        return [_say(t["share_callback"], t["buttons"]["share_question"])]
    if phase == "share_question":
        # The question itself, not a "can I talk to someone about that" kept after it.
        asked = state.questions[0] if state.questions else ""
        shown = _quote(_TAG.sub(" ", asked))
        return [_say(t["share_question"].format(question=shown), t["buttons"]["share_question"])]
    if phase == "confirm_stop":
        return [_say(t["confirm_stop"], t["buttons"]["stop"])]
    if phase == "pick":
        # Each answer's button sends a payload, not its label: the safety layer reads typed
        # words, and "Took steroid pills, shots or drips" is not an overdose.
        message = _say(t["pick_change"])
        message["buttons"] = [
            {"title": c.label, "payload": f'{PICK_PAYLOAD}{{"which": "{c.id}"}}'}
            for c in _answered(state)
        ] + _buttons([t["buttons"]["pick_cancel"]])
        if other and t["choices"].get("pick_self"):
            message["buttons"] += _buttons([t["choices"]["pick_self"]])
        return [message]
    if phase == "name":
        if other:
            missing = state.caregiver or Caregiver()
            if missing.patient_name and not missing.name:
                return [_say(t["ask_caregiver_name"])]
            if missing.name and not missing.patient_name:
                return [_say(t["ask_patient_name"])]
            return [_say(t["ask_names_other"])]
        return [_say(t["ask_name"])]
    if phase == "offer_callback":
        return [_say(t["offer_callback"], t["choices"]["offer_callback"])]
    if phase == "reuse_contact":
        text = t["reuse_contact"].format(name=_earlier_name(state))
        return [_say(text, t["choices"]["reuse_contact"])]
    if phase == "call_who":
        return [_say(t["ask_call_who"], t["choices"]["call_who"])]
    if phase == "contact":
        if other and state.caregiver is not None and state.caregiver.call == "patient":
            return [_say(t["ask_contact_patient"])]
        return [_say(t["ask_contact"])]
    if phase == "best_time":
        calls_patient = other and state.caregiver is not None and state.caregiver.call == "patient"
        patient_text = t.get("ask_best_time_patient") if calls_patient else None
        return [_say(patient_text or t["ask_best_time"])]
    return []


# HTML tags are not echoed back to the patient (the staff see the question as typed, escaped).
_TAG = re.compile(r"<[^<>]*>")


def _quote(text: str, limit: int = 120) -> str:
    short = " ".join(text.split())
    return short if len(short) <= limit else short[: limit - 1] + "\u2026"


def _answered(state: State) -> list[eligibility.Criterion]:
    return [c for c in eligibility.load_criteria() if c.id in state.answers]


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _interruption(turn: Turn, state: State | None = None) -> Message | None:
    """An answer to a question asked mid-way (FAQ, medical advice, a person).

    A question only the study team can answer is also kept, to pass on with the handoff.
    """
    if turn.retrieval_key and turn.retrieval_key.startswith("ask_team/") and state is not None:
        state.questions.append(_quote(turn.text, 500))
    # The answer's words come from the answers file; its buttons are left out, since the same
    # question is asked again right after.
    if turn.retrieval_key:
        found = faq.answer(turn.retrieval_key, with_buttons=False)
        return {"text": found["text"]} if found else None
    if turn.intent == "medical_advice":
        found = faq.answer("medical_advice", with_buttons=False)
        return {"text": found["text"]} if found else None
    if turn.intent == "talk_to_person":
        return {"response": "utter_contact_team"}
    if turn.intent == "bot_challenge":
        return {"response": "utter_iamabot"}
    return None


def _read(state: State, turn: Turn, asking: str | None) -> reading.Reading:
    return reading.read(
        reading.Reply(
            turn.text,
            turn.intent,
            turn.entities,
            offered_buttons(state),
            for_someone_else=for_someone_else(state),
        ),
        asking,
        state.answers,
        state.last,
    )


def _would_end(answers: Mapping[str, Any]) -> bool:
    return eligibility.evaluate(answers).result == "not_eligible"


def _set_self(state: State, messages: list[Message]) -> None:
    """ "No, it's for me, I'm the patient": the questions say "you" again."""
    state.who = "self"
    state.caregiver = None
    messages.append(_say(texts().get("answering_for_self") or texts()["keep_going"]))


def _set_someone_else(state: State, relation: str | None) -> None:
    state.who = "someone_else"
    if relation:
        state.carer().patient_is = relation


def _kept_facts(state: State, also: Mapping[str, Any]) -> dict[str, Any]:
    """Other answers a reply gave on the way ("52, and yes I was diagnosed in 2021"), to
    record so their questions are skipped. Only ones that pass are kept: an extra fact that
    would fail or is unsure was never asked, so its question is asked in turn instead."""
    kept: dict[str, Any] = {}
    for key, value in also.items():
        criterion = next((c for c in eligibility.load_criteria() if c.id == key), None)
        if criterion is None or key in state.answers or not criterion.accepts(value):
            continue
        if criterion.verdict(value) == "pass":
            kept[key] = value
    return kept


def _note_facts(facts: Mapping[str, Any], messages: list[Message]) -> None:
    """Say which other answers were noted, so the person can see it and change them."""
    if not facts:
        return
    lines = [
        f"{c.label}: {eligibility.shown_answer(c, facts[c.id])}"
        for c in eligibility.load_criteria()
        if c.id in facts
    ]
    messages.append({"text": texts()["noted_also"] + "\n" + "\n".join(f"- {x}" for x in lines)})


def _apply(state: State, found: reading.Reading, messages: list[Message]) -> None:
    """Record an answer or a correction; a typed one that would end the prescreen is
    confirmed first ("Just to check: ..."), a button press is not."""
    assert found.target is not None
    t = texts()
    also = _kept_facts(state, {k: v for k, v in found.also.items() if k != found.target})
    trial = dict(state.answers)
    trial[found.target] = found.value
    for key, value in also.items():
        trial.setdefault(key, value)
    if found.sure != "button" and _would_end(trial) and not _would_end(state.answers):
        state.pending = Pending(found.target, found.value, also, found.kind == "correction")
        state.phase = Phase.CONFIRM
        return
    corrected = found.kind == "correction"
    _record(state, found.target, found.value, also, corrected)
    if corrected:
        messages.append(_say(t["changed"]))
    _note_facts({k: v for k, v in also.items() if state.answers.get(k) == v}, messages)
    _finish_questions(state, messages)


def _record(
    state: State, target: str, value: Any, also: Mapping[str, Any], corrected: bool
) -> None:
    state.answers[target] = value
    state.follow_up = None
    if target == "pregnancy" and value == "not_applicable":
        # "I can't get pregnant" at the birth control question answers the one before it.
        state.answers["could_be_pregnant"] = "no"
        state.answers.pop("pregnancy", None)
    for key, fact in also.items():
        state.answers.setdefault(key, fact)
    # A follow-up that no longer applies is forgotten ("actually the cream helped").
    for other in eligibility.load_criteria():
        if target in other.ask_if and value not in other.ask_if[target]:
            state.answers.pop(other.id, None)
    if not corrected:
        state.last = target


def _finish_questions(state: State, messages: list[Message]) -> None:
    """After an answer: offer a change on a hard fail, show the summary when done."""
    outcome = eligibility.evaluate(state.answers)
    if outcome.result == "not_eligible":
        messages.append(_say(f"{outcome.reason} {outcome.message}"))
        state.phase = Phase.NOT_ELIGIBLE
        return
    state.phase = Phase.QUESTIONS
    if current_question(state) is None:
        lines = "\n".join(f"- {line}" for line in eligibility.summary_lines(state.answers))
        intro = eligibility.texts()["summary_intro"]
        messages.append({"text": f"{intro}\n{lines}"})
        messages.append(_say(outcome.message))
        state.phase = Phase.SHARE
        state.result = outcome.result


def _not_understood(state: State, criterion: eligibility.Criterion | None) -> Message:
    t = texts()
    age = criterion is not None and criterion.kind == "age"
    if criterion is not None and criterion.kind in ("number", "choice"):
        return _say(t.get(f"not_understood_{criterion.kind}") or t["not_understood"])
    return _say(t["not_understood_age" if age else "not_understood"])


def _questions_turn(state: State, turn: Turn, messages: list[Message]) -> None:
    t = texts()
    criterion = current_question(state)
    found = _read(state, turn, criterion.id if criterion else None)
    if found.kind == "safety_resume":
        return  # the form asks the same question again; nothing changes
    if found.kind == "why" and criterion is not None:
        messages.append(_say(criterion.why))
        return
    if found.kind == "restart":
        _restart(state, messages)
        return
    if found.kind in ("stop", "withdraw"):
        state.resume, state.phase = Phase.QUESTIONS, Phase.CONFIRM_STOP
        return
    if (
        criterion is not None
        and state.follow_up != criterion.id
        and (found.kind in ("unclear", "question") or found.value == "no")
        and reading.used_lately_only(criterion, turn.text, turn.entities)
        and t.get("ask_willing_to_stop")
    ):
        # "last week" to "more than 2 weeks ago, or willing to stop?": only the first part
        # is answered; the second is asked, never taken as a no (tester M6).
        state.follow_up = criterion.id  # `prompt` asks it
        return
    if found.kind == "someone_else":
        _set_someone_else(state, found.relation)
        messages.append(_say(t["answering_for_other"]))
        if criterion is not None and criterion.id in found.also:
            # "this is for my husband. He's on methotrexate": the answer, about that person
            value = found.also[criterion.id]
            rest = {k: v for k, v in found.also.items() if k != criterion.id}
            _apply(
                state, reading.Reading("answer", value, "inferred", criterion.id, rest), messages
            )
        return
    if found.kind == "self":
        _set_self(state, messages)  # never a yes or no to the question; it is asked again
        return
    if found.kind in ("answer", "correction"):
        if found.someone_else and not for_someone_else(state) and state.who is None:
            # "she is 74": the questions now say "they".
            _set_someone_else(state, found.relation)
            messages.append(_say(t["answering_for_other"]))
        _apply(state, found, messages)
        return
    if found.kind == "unclear" and found.value == reading.IMPLAUSIBLE_AGE:
        messages.append(_say(t["check_age"]))
        return
    interruption = _interruption(turn, state)
    if interruption is None and found.kind == "question" and criterion is not None:
        # "she doesn't want the monthly tests, is that a problem?": a question about the
        # question asked, with no answer of its own; why it is asked, then the question.
        interruption = _say(criterion.why)
    messages.append(interruption or _not_understood(state, criterion))


def _confirm_turn(state: State, turn: Turn, messages: list[Message]) -> None:
    """The answer to "Just to check: ... Is that right?".

    Yes keeps the answer (and it ends the prescreen); "No, I have" (or a plain no) keeps the
    opposite; "Not sure" goes to the study team. A reply that answers the question again
    ("no, never", "I'm 61") is taken as it is, without a second check."""
    t = texts()
    pending = state.pending
    assert pending is not None
    target = _criterion(pending.target)
    _, buttons = _confirm_text(state)
    pressed = " ".join(turn.text.lower().split())
    yes, undo, unsure = (b.lower() for b in buttons)
    button = {yes: "yes", undo: "no", unsure: "unsure"}.get(pressed)
    reply, rest = (button, "") if button else reading.lead_reply(turn.text)
    # What the reply says about the question itself: all of it, or what follows "no, ...".
    about = rest if reply is not None else turn.text
    found = reading.read(reading.Reply(about, turn.intent, turn.entities), target.id, state.answers)
    again = found.value if found.kind == "answer" and about.strip() else None

    def keep(value: Any) -> None:
        state.pending = None
        _record(state, target.id, value, pending.also, pending.correction)
        _finish_questions(state, messages)

    if reply == "unsure" or again == "unsure":
        keep("unsure")
    elif reply == "yes" and pressed != undo:
        # "yes, I'm 61" to "you are 16?" is a new age; any other yes keeps the answer.
        keep(again if target.takes_number and isinstance(again, int) else pending.value)
    elif reply == "no":
        if again is not None:
            keep(again)  # "no, never": the same answer, said again; "no, I'm 61"
        elif target.kind == "yes_no":
            keep("yes")
        else:
            state.pending = None
            state.phase = Phase.QUESTIONS
            state.answers.pop(target.id, None)
            messages.append(_say(t["ask_again"]))
    elif again is not None:
        keep(again)
    elif found.kind in ("stop", "withdraw"):
        state.resume, state.phase = Phase.CONFIRM, Phase.CONFIRM_STOP
    elif found.kind == "restart":
        _restart(state, messages)
    elif found.kind == "why":
        messages.append(_say(target.why))
    else:
        messages.append(_interruption(turn, state) or _say(t["not_understood"]))


def _not_eligible_turn(state: State, turn: Turn, messages: list[Message]) -> None:
    t = texts()
    wanted = " ".join(turn.text.lower().split())
    change = t["choices"]["not_eligible"][0].lower()
    if wanted == change or turn.intent == "change_answer" or "change" in wanted:
        state.phase = Phase.PICK
        return
    found = reading.read(reading.Reply(turn.text, turn.intent, turn.entities), None)
    if found.kind == "restart":
        _restart(state, messages)
        return
    if found.kind == "question" or turn.retrieval_key:
        interruption = _interruption(turn, state)
        if interruption is not None:
            messages.append(interruption)
            return
    if reading.read_yes_no(turn.text) == "unsure" and t.get("not_eligible_unsure"):
        # "Not sure" is not "No, that's right": the change is offered again, since a
        # "Not sure" answer goes to the study team.
        messages.append(_say(t["not_eligible_unsure"]))
        return
    ending = _say(t["not_eligible_next"])
    ask_team = t["choices"].get("ask_team")
    if ask_team:
        # "the study team can check": a way to them ("Talk to a person", bot.prescreen's
        # question flow; the answers are not kept, so the person says what they think is wrong).
        ending["buttons"] = [{"title": ask_team, "payload": "/talk_to_person"}]
    messages.append(ending)
    _forget(state, Phase.ENDED)


def _forget(state: State, ending: Phase) -> None:
    """An ending that keeps nothing: the answers, contact details and questions go."""
    state.phase, state.answers, state.last = ending, {}, None
    state.contact, state.questions, state.caregiver = {}, [], None


def _restart(state: State, messages: list[Message]) -> None:
    state.resume = state.pending = state.follow_up = None
    state.phase, state.answers, state.last, state.contact = Phase.QUESTIONS, {}, None, {}
    messages.append(_say(texts()["restarted"]))


# A caregiver saying the person has not agreed yet ("she doesn't know yet, I want to surprise
# her", "ok I'll ask him first"): never a yes to "they know and agree".
_NOT_AGREED = re.compile(
    r"\b(?:doesn'?t|does not|didn'?t|did not|hasn'?t|has not|won'?t|wouldn'?t|don'?t)\s+"
    r"(?:know|agree|approve|realize"
    r"|want (?:this|it|to be (?:contacted|called)|to join|to do (?:it|this)))\b"
    r"|\bnot yet\b|\bask (?:her|him|them)\b|\bsurprise (?:her|him|them)\b"
    r"|\b(?:haven'?t|have not|didn'?t|did not) (?:told|tell|asked|ask)\b"
    r"|\bwithout (?:her|him|them) knowing\b|\bdon'?t tell (?:her|him|them)\b"
    r"|\b(?:check|talk|speak) (?:with|to) (?:her|him|them) first\b",
    re.I,
)


def _not_agreed_yet(state: State, turn: Turn) -> bool:
    return for_someone_else(state) and bool(_NOT_AGREED.search(turn.text.replace("\u2019", "'")))


def _ask_first(state: State, messages: list[Message]) -> None:
    """Nothing is shared until the person knows and agrees: say so; the share question waits."""
    state.phase, state.share_consent_at = Phase.SHARE, None
    if state.caregiver is not None:
        state.caregiver.agreed_at = None
    messages.append(_say(texts()["share_ask_first"]))


def _share_turn(state: State, turn: Turn, messages: list[Message]) -> None:
    t = texts()
    if turn.intent == "change_answer" or "change" in turn.text.lower():
        state.phase = Phase.PICK
        return
    if _not_agreed_yet(state, turn):
        _ask_first(state, messages)
        return
    pressed = " ".join(turn.text.lower().split())
    declines = {b.lower() for b in (t["buttons"]["share"][1], t["choices"]["share_other"][1])}
    asked = reading.asks_something(turn.text)
    reply = reading.read_yes_no(turn.text)
    found = _read(state, turn, None) if pressed not in declines else None
    if found is not None and found.kind == "correction" and found.target is not None:
        # "actually I turned 62 last week": a change to an answer, then the summary again.
        _apply(state, found, messages)
    elif found is not None and found.kind == "self" and for_someone_else(state):
        _set_self(state, messages)
    elif pressed not in declines and asked:
        # A question is never a yes or a no: answer it, then ask about sharing again.
        interruption = _interruption(turn, state)
        if interruption is None:
            state.questions.append(_quote(turn.text, 500))
            interruption = _say(t.get("share_question_kept") or t["not_understood"])
        messages.append(interruption)
    elif reply == "yes":
        state.phase, state.share_consent_at = _contact_phase(state), _now()
        if for_someone_else(state):
            state.carer().agreed_at = _now()
    elif pressed in declines or reading.clear_decline(turn.text):
        messages.append(_say(t["declined_share"]))
        _forget(state, Phase.DECLINED)
    else:
        # A name or a phone number typed here is not a yes: say what is needed first.
        not_understood = t.get("share_not_understood") or t["not_understood"]
        messages.append(_interruption(turn, state) or _say(not_understood))


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z]+", text.lower()) if len(w) > 3}


def _pick_turn(state: State, turn: Turn, messages: list[Message]) -> None:
    t = texts()
    wanted = " ".join(turn.text.lower().split())
    back = Phase.NOT_ELIGIBLE if _would_end(state.answers) else Phase.SHARE
    if wanted == t["buttons"]["pick_cancel"].lower() or turn.intent in ("deny", "stop_prescreen"):
        state.phase = back
        return
    mine = t["choices"].get("pick_self", "").lower()
    if for_someone_else(state) and (
        wanted == mine or reading.read(reading.Reply(turn.text), None).kind == "self"
    ):
        # "I'm the patient": undo a wrong "answering for someone else"; the answers stay.
        _set_self(state, messages)
        state.phase = back
        return
    answered = _answered(state)
    picked = re.search(r'"which"\s*:\s*"(\w+)"', turn.text)
    chosen = next(
        (c for c in answered if c.label.lower() == wanted or (picked and picked[1] == c.id)),
        None,
    )
    if chosen is None:
        # "the biopsy one", "age": the one answer whose label shares the most words.
        overlap = sorted(
            ((len(_words(turn.text) & (_words(c.label) | {c.id})), c) for c in answered),
            key=lambda pair: pair[0],
            reverse=True,
        )
        if overlap and overlap[0][0] > 0 and (len(overlap) == 1 or overlap[0][0] > overlap[1][0]):
            chosen = overlap[0][1]
    if chosen is not None:
        # Forget this answer and any follow-up that depended on it, then ask again.
        state.answers.pop(chosen.id)
        for other in eligibility.load_criteria():
            if chosen.id in other.ask_if:
                state.answers.pop(other.id, None)
        state.phase, state.last, state.follow_up = Phase.QUESTIONS, None, None
        return
    messages.append(_say(t["pick_again"]))


def _question_turn(state: State, turn: Turn, messages: list[Message]) -> None:
    t = texts()
    if state.phase == "question":
        text = " ".join(turn.text.split())
        if not text or text.startswith("/"):
            messages.append(_say(t["ask_question"]))
            return
        state.questions.append(text[:1000])
        state.phase = Phase.SHARE_QUESTION
        return
    pressed = " ".join(turn.text.lower().split())
    reply = None if reading.asks_something(turn.text) else reading.read_yes_no(turn.text)
    if reply == "yes":
        state.phase = _contact_phase(state)
        state.share_consent_at = state.consent_at = _now()
    elif pressed == t["buttons"]["share_question"][1].lower() or reading.clear_decline(turn.text):
        messages.append(_say(t["declined_share"]))
        _forget(state, Phase.DECLINED)
    else:
        messages.append(_say(t["not_understood"]))


# "Can I just talk to a real person?", "no I want YOU to have them call me": a request for a
# person in the middle of the prescreen (with or without the talk_to_person intent).
_WANTS_PERSON = re.compile(
    r"\b(?:real|actual|live) (?:person|human)\b|\bhuman\b|\bcall me\b|\bcall me back\b"
    r"|\bhave (?:them|someone|somebody|the team) (?:call|contact|phone)\b"
    r"|\b(?:talk|speak) (?:to|with) (?:someone|somebody|a person|the (?:study )?team)\b",
    re.IGNORECASE,
)
# Phases where a request for a person pauses the prescreen to offer a call back.
# Not "share": sharing already leads to a call ("Yes, share them and have them call me").
_OFFERS_CALLBACK = ("consent", "questions", "confirm", "not_eligible", "pick")


def _says_for_someone_else(turn: Turn) -> bool:
    """ "ok can I fill out the questions for her?" at the start: answering for someone, not a
    request for a person (the NLU may read it as one)."""
    found = reading.read(reading.Reply(turn.text, turn.intent, turn.entities), reading.WHO)
    return found.kind == "answer" and found.value == "someone_else"


def wants_person(turn: Turn) -> bool:
    return turn.intent == "talk_to_person" or bool(_WANTS_PERSON.search(turn.text))


def _offer_callback(state: State, turn: Turn) -> None:
    """Pause the prescreen and offer a call back; its answers stay until the person says."""
    typed = turn.text.strip()
    request = _quote(_TAG.sub(" ", typed), 500) if typed and not typed.startswith("/") else ""
    state.resume, state.phase, state.callback_request = state.phase, Phase.OFFER_CALLBACK, request


def _callback_turn(state: State, turn: Turn, messages: list[Message]) -> None:
    """ "Do you want the study team to call you?" Yes: the prescreen becomes a request to the
    team (its answers so far go too, only if the person agrees to share). No: it goes on."""
    t = texts()
    pressed = " ".join(turn.text.lower().split())
    yes, no = (b.lower() for b in t["choices"]["offer_callback"])
    reply: Any = {yes: "yes", no: "no"}.get(pressed)
    if reply is None:
        reply = "yes" if wants_person(turn) else reading.read_yes_no(turn.text)
    if reply == "yes":
        state.questions.append(state.callback_request or t["callback_note"])
        state.callback_request, state.resume, state.pending = "", None, None
        state.mode, state.phase = Mode.QUESTION, Phase.SHARE_QUESTION
    elif reply == "no":
        state.callback_request = ""
        state.phase, state.resume = state.resume or Phase.QUESTIONS, None
        messages.append(_say(t["keep_going"]))
    else:
        messages.append(_say(t["not_understood"]))


def _reusable(state: State) -> bool:
    """Details given before fit this request only when it is about the same person (both for
    oneself, or both for someone else), a question as well as a prescreen. A caregiver's own
    question never goes with details that said "call the patient" (review finding 3)."""
    earlier = state.earlier
    if earlier is None or not earlier.contact:
        return False
    if earlier.for_someone_else != state.for_someone_else:
        return False
    calls_patient = earlier.caregiver is not None and earlier.caregiver.call == "patient"
    return not (state.mode == Mode.QUESTION and calls_patient and not state.answers)


def _contact_phase(state: State) -> Phase:
    """Where sharing goes on: the details given before, if any fit; else the name question."""
    return Phase.REUSE_CONTACT if _reusable(state) else Phase.NAME


def _masked(details: Mapping[str, Any]) -> str:
    """A phone or email shown only in part: "***-0123", "f***@example.com"."""
    phone = re.sub(r"\D", "", str(details.get("phone") or ""))
    if len(phone) >= 4:
        return f"***-{phone[-4:]}"
    email = str(details.get("email") or "")
    if "@" in email:
        user, domain = email.split("@", 1)
        return f"{user[:1]}***@{domain}"
    return ""


def _earlier_name(state: State) -> str:
    """Whose details these are: the name they are for and a masked phone or email."""
    earlier = state.earlier or Earlier()
    name = str(earlier.contact.get("name") or "")
    carer = earlier.caregiver
    if earlier.for_someone_else and carer and carer.name and carer.call != "patient":
        name = carer.name  # the caregiver is the one called, at their own phone or email
    masked = _masked(earlier.contact)
    return f"{name}, {masked}" if name and masked else name or masked


def _reuse_turn(state: State, turn: Turn, messages: list[Message]) -> None:
    """ "I'll send this with the details you gave before: Frank. Is that OK?" """
    t = texts()
    pressed = " ".join(turn.text.lower().split())
    yes, no = (b.lower() for b in t["choices"]["reuse_contact"])
    reply = {yes: "yes", no: "no"}.get(pressed) or reading.read_yes_no(turn.text)
    earlier = state.earlier
    if reply == "yes" and earlier is not None:
        state.contact = dict(earlier.contact)
        if earlier.for_someone_else:
            state.who = "someone_else"
            given = earlier.caregiver or Caregiver()
            carer = state.carer()
            for key, value in dataclasses.asdict(given).items():
                if getattr(carer, key) is None:
                    setattr(carer, key, value)
        state.phase = Phase.SUBMIT
    elif reply == "no":
        state.phase = Phase.NAME  # other details: asked for as the first time
    else:
        messages.append(_say(t["not_understood"]))


def earlier_details(state: State | None) -> Earlier | None:
    """The details a handoff was sent with, to offer again later in the conversation: this
    state's own once it is submitted, else those of a handoff made before it (``earlier``)."""
    if state is None:
        return None
    if state.phase == Phase.SUBMIT and state.contact:
        return Earlier(
            contact=dict(state.contact),
            for_someone_else=state.for_someone_else,
            caregiver=copy.deepcopy(state.caregiver) if state.for_someone_else else None,
            at=_now(),
        )
    return copy.deepcopy(state.earlier)


# How long the details of a handoff are offered again ("the details you gave before"): the
# same as a Rasa session (domain.yml session_expiration_time), so a new session never does.
EARLIER_MINUTES = 60


def _fresh(earlier: Earlier | None, now: datetime | None = None) -> bool:
    """Given less than EARLIER_MINUTES ago; a slot without the time (older code) is not."""
    if earlier is None or not earlier.at:
        return False
    try:
        given = datetime.fromisoformat(earlier.at)
    except ValueError:
        return False
    if given.tzinfo is None:
        given = given.replace(tzinfo=timezone.utc)
    age = (now or datetime.now(timezone.utc)) - given
    return age.total_seconds() < EARLIER_MINUTES * 60


def handed_off_details(state: State | None, now: datetime | None = None) -> Earlier | None:
    """The details a new request may offer again: only those of a handoff that was stored
    (HANDED_OFF), for EARLIER_MINUTES after they were given. A SUBMIT state still in the slot
    was never stored (store and spool both failed): it is not "the details you gave before"
    (review finding 6)."""
    if state is None or state.phase != Phase.HANDED_OFF or not _fresh(state.earlier, now):
        return None
    return copy.deepcopy(state.earlier)


def after_form(state: State | None, reference: str | None = None) -> State | None:
    """What the slot keeps once the form is over: after a submit, its details and reference
    (``reference``: just stored); after any other ending (stopped, declined, not eligible,
    withdrawn) only the reference of a handoff made before, never its contact details
    (review finding 8); else nothing."""
    if state is None:
        return None
    if state.phase == Phase.SUBMIT:
        details = earlier_details(state)
        if details is None:
            return None
        details.reference = reference
        return PrescreenState(
            phase=Phase.HANDED_OFF,
            mode=state.mode,
            trial=state.trial,
            reference=reference,
            earlier=details,
            submission="",
        )
    before = state.earlier.reference if state.earlier else None
    if not before:
        return None
    return PrescreenState(
        phase=Phase.HANDED_OFF, mode=state.mode, trial=state.trial, reference=before, submission=""
    )


def after_handoff_wait(state: State | None) -> list[Message] | None:
    """ "How long until they call?" right after a handoff: what happens next."""
    if state is None or state.phase != Phase.HANDED_OFF:
        return None
    t = texts()
    reference = state.reference
    text = t["after_handoff_wait"]
    if reference:
        text += " " + t["after_handoff_reference"].format(reference=reference)
    return [_say(text)]


def _names_turn(state: State, turn: Turn, messages: list[Message]) -> None:
    """A caregiver's names: the person's, theirs and how they are related."""
    t = texts()
    carer = state.carer()
    found = contact.read_names(turn.text)
    if found.relation:
        carer.relation = found.relation
    if found.patient_name and not carer.patient_name:
        carer.patient_name = found.patient_name
    if found.caregiver_name and not carer.name:
        carer.name = found.caregiver_name
    if not found.patient_name and not found.caregiver_name:
        # One plain name: the question asked says whose it is.
        name = contact.own_name(turn.text)
        if name is None:
            messages.append(_say(t["bad_name"]))
            return
        if carer.patient_name and not carer.name:
            carer.name = name
        elif not carer.patient_name:
            carer.patient_name = name
    if carer.patient_name and carer.name:
        state.contact["name"] = carer.patient_name
        state.phase = Phase.CALL_WHO


def _call_who_turn(state: State, turn: Turn, messages: list[Message]) -> None:
    t = texts()
    carer = state.carer()
    wanted = " ".join(turn.text.lower().split())
    me, them = (b.lower() for b in t["choices"]["call_who"])
    if wanted == me or re.search(r"\b(me|my)\b", wanted):
        carer.call = "caregiver"
    elif wanted == them or re.search(r"\b(her|him|them|the person|patient)\b", wanted):
        carer.call = "patient"
    else:
        messages.append(_say(t["not_understood"]))
        return
    state.phase = Phase.CONTACT


def _contact_turn(state: State, turn: Turn, messages: list[Message]) -> None:
    t = texts()
    phase = state.phase
    interruption = _interruption(turn) if turn.intent not in (None, "affirm", "deny") else None
    if interruption is not None and "?" in turn.text:
        messages.append(interruption)
        return
    if phase == "name":
        if for_someone_else(state):
            _names_turn(state, turn, messages)
            return
        name = contact.own_name(turn.text)
        if name is None:
            messages.append(_say(t["bad_name"]))
            return
        state.contact["name"] = name
        state.phase = Phase.CONTACT
    elif phase == "contact":
        found = contact.parse_contact(turn.text)
        if not found.found:
            messages.append(_say(t["bad_contact"]))
            return
        state.contact.update(email=found.email, phone=found.phone)
        state.phase = Phase.BEST_TIME
    elif phase == "best_time":
        state.contact["best_time"] = " ".join(turn.text.split())[:200]
        state.phase = Phase.SUBMIT


# Phases that read a yes/no, an age or a choice. The others take free text as it is (a name,
# a time to call, a question for the team), in any language.
_READS_ANSWERS = (
    "consent",
    "questions",
    "share",
    "pick",
    "share_question",
    "confirm_stop",
    "confirm",
    "not_eligible",
    "call_who",
    "reuse_contact",
    "offer_callback",
)


def _unreadable(state: State, turn: Turn) -> list[Message] | None:
    """What to say to an empty, far too long or non-English message; None to read it.

    bot.nlu.input_guard sets these intents. Nothing changes in the state, and the form then
    asks its question again.
    """
    t = texts()
    reads_answers = state.phase in _READS_ANSWERS
    if turn.intent == "too_long":
        return [_say(t["too_long"])]
    if turn.intent == "non_english" and reads_answers:
        return [_say(t["english_only"])]
    if turn.intent == "empty_message" or not turn.text.strip():
        if not reads_answers:
            return []
        criterion = current_question(state) if state.phase == "questions" else None
        return [_not_understood(state, criterion)]
    return None


# A go-ahead to "Do you want to start?" that is no yes elsewhere: "ok", "go ahead", "let's do
# it", "ready". (At a health question "ok" stays unclear: it could be either answer.)
_GO_AHEAD = re.compile(
    r"^(?:(?:ok(?:ay)?|k|alright|all right|fine|sure thing|ready|i'?m ready|go ahead|"
    r"go for it|let'?s (?:go|do (?:it|this)|start|begin)|start|begin|go|sounds good)"
    r"[\s,.!]*)+(?:please)?[.!\s]*$"
)


def _consent_turn(state: State, turn: Turn, messages: list[Message]) -> None:
    t = texts()
    pressed = " ".join(turn.text.lower().split())
    start = t["buttons"]["consent"][0].lower()
    other = t["choices"]["consent_other"].lower()
    found = reading.read(reading.Reply(turn.text, turn.intent, turn.entities), reading.WHO)
    reply = reading.read_yes_no(turn.text)
    someone_else = pressed == other or (
        found.kind in ("answer", "someone_else") and found.value != "self" and found.someone_else
    )
    if found.kind == "answer" and found.value == "someone_else":
        someone_else = True
    # "For myself", "me", "I'm 66" (an answer about oneself) or "ok, go ahead" start too, unless
    # the reply also asks something ("for me, is it safe?" is answered first).
    go_ahead = not reading.asks_something(turn.text) and (
        (found.kind == "answer" and found.value == "self") or bool(_GO_AHEAD.match(pressed))
    )
    if pressed in (start, other) or reply == "yes" or someone_else or go_ahead:
        state.phase, state.consent_at = Phase.QUESTIONS, _now()
        if someone_else:
            _set_someone_else(state, found.relation)
        # "Yes, I'm 52" or "sure, I've had prednisone" already answer something.
        facts = _kept_facts(state, {**reading.facts_from_entities(turn.entities), **found.also})
        state.answers.update(facts)
        _note_facts(facts, messages)
        _finish_questions(state, messages)
    elif reading.asks_something(turn.text) and turn.intent not in ("deny", "stop_prescreen"):
        # "I can't drive, is there help getting there?" asks; it does not say no.
        messages.append(_interruption(turn, state) or _say(t["not_understood"]))
    elif reply in ("no", "unsure") or turn.intent in ("deny", "stop_prescreen"):
        messages.append(_say(t["declined_start"]))
        state.phase, state.answers = Phase.DECLINED, {}
    else:
        messages.append(_interruption(turn, state) or _say(t["not_understood"]))


def step(state: State | None, turn: Turn) -> Result:
    """Apply one patient message to the prescreen and say what to tell them."""
    state = copy.deepcopy(state) if state is not None else new_state()
    messages: list[Message] = []
    t = texts()
    phase = state.phase

    if turn.intent in SAFETY_INTENTS:
        return Result(state, [{"response": f"utter_{turn.intent}"}])
    unreadable = _unreadable(state, turn)
    if unreadable is not None:
        return Result(state, unreadable)
    checked_in, state.check_in = state.check_in, False
    if checked_in and not_safe_yet(turn):
        # "No" to "are you safe right now?": 988 again, and the check-in still waits.
        state.check_in = True
        return Result(state, [{"response": "utter_crisis"}])
    if turn.intent == "safety_stop" and phase not in ENDINGS:
        # "Stop for now" under a 911 / 988 answer: the 911 / 988 reminder first, then "do you
        # want to stop?" (the answers stay until the person says yes).
        if phase != Phase.CONFIRM_STOP:
            state.resume, state.phase = phase, Phase.CONFIRM_STOP
        return Result(state, [{"response": "utter_safety_stop"}])
    if turn.intent == "safety_stop":
        turn = dataclasses.replace(turn, intent="stop_prescreen")
    elif checks_in(turn):
        # Ask how the person is before any question; the reply after it is not read as an
        # answer either.
        state.check_in = True
        buttons = (safety_replies.safety("crisis") or {}).get("buttons", [])
        return Result(state, [{**_say(t["check_in"]), "buttons": buttons}])
    elif turn.intent == "safety_resume" or (
        (turn.after_safety or checked_in)
        and turn.intent not in ("stop_prescreen", "restart_prescreen")
    ):
        # "I'm safe, go on", or anything typed right after a safety answer: nothing is read
        # as an answer; the form asks the same question again.
        return Result(state, [_say(t["after_safety"])])

    if phase == "confirm_stop":
        reply = reading.read_yes_no(turn.text)
        if turn.intent == "restart_prescreen" and state.mode == "prescreen":
            _restart(state, messages)
        elif reply == "yes" or turn.intent == "stop_prescreen":
            messages.append(_say(t["stopped"]))
            _forget(state, Phase.STOPPED)
            state.pending = None
        else:
            messages.append(_say(t["keep_going"]))
            state.phase, state.resume = state.resume or Phase.QUESTIONS, None
        return Result(state, messages)
    if (
        phase in _OFFERS_CALLBACK
        and state.mode == "prescreen"
        and wants_person(turn)
        and not (phase == "consent" and _says_for_someone_else(turn))
    ):
        # Never an answer: a call back is offered (the answers so far wait).
        _offer_callback(state, turn)
        return Result(state, messages)
    if phase not in ("consent", "questions", "confirm", "not_eligible") and (
        turn.intent == "stop_prescreen"
        or reading.read(reading.Reply(turn.text), None).kind in ("stop", "withdraw")
    ):
        # "I don't want to do this anymore" at the name question is not a name.
        state.resume, state.phase = phase, Phase.CONFIRM_STOP
        return Result(state, messages)
    if (
        turn.intent == "restart_prescreen"
        and phase not in ("consent", "questions", "confirm")
        and state.mode == "prescreen"
    ):
        _restart(state, messages)
        return Result(state, messages)

    if phase == "consent":
        _consent_turn(state, turn, messages)
    elif phase == "questions":
        _questions_turn(state, turn, messages)
    elif phase == "confirm":
        _confirm_turn(state, turn, messages)
    elif phase == "not_eligible":
        _not_eligible_turn(state, turn, messages)
    elif phase == "share":
        _share_turn(state, turn, messages)
    elif phase == "pick":
        _pick_turn(state, turn, messages)
    elif phase in ("question", "share_question"):
        _question_turn(state, turn, messages)
    elif phase == "reuse_contact":
        _reuse_turn(state, turn, messages)
    elif phase == "offer_callback":
        _callback_turn(state, turn, messages)
    elif phase == "call_who":
        _call_who_turn(state, turn, messages)
    elif phase in ("name", "contact", "best_time"):
        if _not_agreed_yet(state, turn):
            # "no! she doesn't know yet, don't send anything" after the share question: back.
            _ask_first(state, messages)
        elif reading.clear_decline(turn.text):
            # "No, thanks" at "what is your name?": do they want to stop? (nothing sent yet)
            state.resume, state.phase = phase, Phase.CONFIRM_STOP
        else:
            _contact_turn(state, turn, messages)
    return Result(state, messages)


def _contact_record(state: State) -> dict[str, Any]:
    """Contact details as stored (encrypted); for a caregiver, both people and who to call."""
    record = dict(state.contact)
    carer = state.caregiver
    if for_someone_else(state) and carer:
        record["answered_by"] = {
            "name": carer.name,
            "relation": carer.relation,
            "patient_is": carer.patient_is,
            "person_knows_and_agrees_at": carer.agreed_at,
        }
        record["call"] = carer.call or "caregiver"
    return record


def _reasons(state: State) -> dict[str, dict[str, str]]:
    outcome = eligibility.evaluate(state.answers)
    return {key: {"status": r.status, "text": r.text} for key, r in outcome.reasons.items()}


def handoff_record(
    state: State, conversation_id: str, transcript: list[dict[str, str]] | None = None
) -> Handoff:
    """What staff receive: outcome, answers with per-question reasons, contact, consent."""
    if state.mode == "question":
        so_far: dict[str, Any] = {}
        if state.answers:
            # A call back asked for mid-prescreen: the answers given so far, shared with consent.
            so_far = {"answers": state.answers, "reasons": _reasons(state), "unfinished": True}
            if for_someone_else(state):
                carer = state.caregiver or Caregiver()
                so_far["answered_by"] = carer.relation or "someone else"
        return Handoff(
            transcript=list(transcript or []),
            conversation_id=conversation_id,
            outcome="question",
            kind="question",
            answers=so_far,
            questions=list(state.questions),
            contact=_contact_record(state),  # a caregiver's: both people and who to call
            consent_version=str(state.version),
            consent_at=state.consent_at,
            share_consent_at=state.share_consent_at,
            submission_id=str(state.submission or ""),
            trial=str(content.trial()["nct_id"]),
        )
    outcome = eligibility.evaluate(state.answers)
    answers: dict[str, Any] = {"answers": state.answers, "reasons": _reasons(state)}
    answers["trial"] = content.trial()["nct_id"]  # the trial folder these questions came from
    if for_someone_else(state):
        carer = state.caregiver or Caregiver()
        answers["answered_by"] = carer.relation or "someone else"
    return Handoff(
        transcript=list(transcript or []),
        conversation_id=conversation_id,
        outcome=outcome.result,
        answers=answers,
        contact=_contact_record(state),
        consent_version=str(state.version),
        consent_at=state.consent_at,
        share_consent_at=state.share_consent_at,
        questions=list(state.questions),
        submission_id=str(state.submission or ""),
        trial=str(content.trial()["nct_id"]),
    )


def submitted_messages(state: State, reference: str) -> list[Message]:
    """What the patient reads once their answers are passed on."""
    name = str(state.contact.get("name") or "")
    if for_someone_else(state) and state.caregiver is not None:
        name = state.caregiver.name or name
    key = "submitted_question" if state.mode == "question" else "submitted"
    return [_say(texts()[key].format(name=name, reference=reference))]


def saved_for_later_messages(state: State) -> list[Message]:
    """Said when the store was down and the handoff waits in the local spool."""
    name = str(state.contact.get("name") or "")
    if for_someone_else(state) and state.caregiver is not None:
        name = state.caregiver.name or name
    return [_say(texts()["saved_for_later"].format(name=name))]


def not_submitted_messages() -> list[Message]:
    """Said when the handoff could not be stored: never silence."""
    return [_say(texts()["not_submitted"])]
