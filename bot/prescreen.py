"""The prescreen conversation: one patient turn in, the next state and messages out.

Plain Python over bot.eligibility (scoring) and bot.answers (reading replies), so every path is
unit-tested without Rasa. The Rasa form (actions/prescreen.py) keeps the state in one slot and
calls `step` for each message, then `prompt` to ask what comes next.

Phases: consent -> questions -> share -> name -> contact -> best_time -> submit.
"Talk to a person" uses the same machinery without health questions:
question -> share_question -> name -> contact -> best_time -> submit (outcome "question").
A turn can also pause for "do you want to stop?" (confirm_stop) or "which answer?" (pick).
Endings, where the form stops: submit (hand to staff), ended (not eligible), stopped, declined.
Only `submit` keeps anything; every other ending tells the person nothing was kept.
"""

from __future__ import annotations

import copy
import dataclasses
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from bot import answers, contact, content, eligibility
from bot.handoff import Handoff

State = dict[str, Any]
Message = dict[str, Any]

ENDINGS = ("submit", "ended", "stopped", "declined")
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


@dataclass
class Result:
    state: State
    messages: list[Message] = field(default_factory=list)

    @property
    def finished(self) -> bool:
        return self.state["phase"] in ENDINGS


def texts() -> Mapping[str, Any]:
    data: Mapping[str, Any] = content.load("prescreen")
    return data


def new_state(now: datetime | None = None, question: str | None = None) -> State:
    """A new prescreen; or, with ``question``, a request to reach the team ("" = ask for it)."""
    phase = "consent"
    if question is not None:
        phase = "share_question" if question.strip() else "question"
    return {
        # Names this submission: a retry of the same one is stored once (bot.handoff), a later
        # question or prescreen in the same conversation is a new one.
        "submission": secrets.token_hex(8),
        "mode": "prescreen" if question is None else "question",
        "questions": [question.strip()] if question and question.strip() else [],
        "phase": phase,
        "answers": {},
        "last": None,
        "version": eligibility.version(),
        "consent_at": None,
        "share_consent_at": None,
        "contact": {},
        "started_at": (now or datetime.now(timezone.utc)).isoformat(timespec="seconds"),
    }


def _buttons(titles: Sequence[str]) -> list[dict[str, str]]:
    return [{"title": t, "payload": t} for t in titles]


def _say(text: str, buttons: Sequence[str] = ()) -> Message:
    message: Message = {"text": " ".join(text.split())}
    if buttons:
        message["buttons"] = _buttons(buttons)
    return message


def current_question(state: State) -> eligibility.Criterion | None:
    return eligibility.next_question(state["answers"])


def pauses(turn: Turn) -> bool:
    """After a safety answer the form asks nothing: the answer is the whole turn."""
    return turn.intent in SAFETY_INTENTS


def prompt(state: State) -> list[Message]:
    """What to ask next, given the state (used by the form's ask action)."""
    t = texts()
    phase = state["phase"]
    if phase == "consent":
        intro = eligibility.texts()
        return [_say(f"{intro['intro']} {intro['consent']}", t["buttons"]["consent"])]
    if phase == "questions":
        criterion = current_question(state)
        if criterion is None:  # pragma: no cover - step() moves on before asking
            return []
        total = len(eligibility.load_criteria())
        number = len(state["answers"]) + 1
        header = t["progress"].format(number=min(number, total), total=total)
        buttons = (
            ()
            if criterion.kind == "age"
            else t["buttons"][
                "answer_not_applicable" if criterion.allows_not_applicable else "answer"
            ]
        )
        return [_say(f"{header} {eligibility.prompt(criterion)}", buttons)]
    if phase == "share":
        return [_say(t["share_ask"], t["buttons"]["share"])]
    if phase == "question":
        return [_say(t["ask_question"])]
    if phase == "share_question":
        asked = state["questions"][-1] if state["questions"] else ""
        shown = _quote(_TAG.sub(" ", asked))
        return [_say(t["share_question"].format(question=shown), t["buttons"]["share_question"])]
    if phase == "confirm_stop":
        return [_say(t["confirm_stop"], t["buttons"]["stop"])]
    if phase == "pick":
        labels = [c.label for c in _answered(state)]
        return [_say(t["pick_change"], [*labels, t["buttons"]["pick_cancel"]])]
    if phase == "name":
        return [_say(t["ask_name"])]
    if phase == "contact":
        return [_say(t["ask_contact"])]
    if phase == "best_time":
        return [_say(t["ask_best_time"])]
    return []


# HTML tags are not echoed back to the patient (the staff see the question as typed, escaped).
_TAG = re.compile(r"<[^<>]*>")


def _quote(text: str, limit: int = 120) -> str:
    short = " ".join(text.split())
    return short if len(short) <= limit else short[: limit - 1] + "\u2026"


def _answered(state: State) -> list[eligibility.Criterion]:
    return [c for c in eligibility.load_criteria() if c.id in state["answers"]]


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _interruption(turn: Turn, state: State | None = None) -> Message | None:
    """An answer to a question asked mid-way (FAQ, medical advice, a person).

    A question only the study team can answer is also kept, to pass on with the handoff.
    """
    if turn.retrieval_key and turn.retrieval_key.startswith("ask_team/") and state is not None:
        state.setdefault("questions", []).append(_quote(turn.text, 500))
    if turn.retrieval_key:
        return {"response": f"utter_{turn.retrieval_key}"}
    if turn.intent == "medical_advice":
        return {"response": "utter_medical_advice"}
    if turn.intent == "talk_to_person":
        return {"response": "utter_contact_team"}
    if turn.intent == "bot_challenge":
        return {"response": "utter_iamabot"}
    return None


def _duration_answer(criterion: eligibility.Criterion, turn: Turn) -> answers.Reply | None:
    """'stopped it 3 weeks ago', 'the same since last year': a duration answers some questions.

    criteria.yml says which, per question: `duration: {role: ago|for, min_days: N}`.
    """
    rule = _criterion_data(criterion.id).get("duration")
    if not rule:
        return None
    for entity in turn.entities:
        if entity.get("entity") == "duration" and entity.get("role") == rule["role"]:
            days = entity.get("value")
            if isinstance(days, int | float):
                return "yes" if days >= int(rule["min_days"]) else "no"
    return None


def _criterion_data(criterion_id: str) -> Mapping[str, Any]:
    for item in content.load("criteria")["criteria"]:
        if item["id"] == criterion_id:
            found: Mapping[str, Any] = item
            return found
    return {}


def _read_answer(criterion: eligibility.Criterion, turn: Turn) -> eligibility.Answer | None:
    if criterion.kind == "yes_no":
        from_duration = _duration_answer(criterion, turn)
        if from_duration is not None and criterion.accepts(from_duration):
            return from_duration
    if criterion.kind == "age":
        age = answers.parse_age(turn.text, turn.entities)
        if age is not None:
            return age
    reply = answers.interpret(turn.text, allow_not_applicable=criterion.allows_not_applicable)
    if reply is not None and criterion.accepts(reply):
        return reply
    return None


def _finish_questions(state: State, messages: list[Message]) -> None:
    """After an answer: end kindly on a hard fail, show the summary when done."""
    outcome = eligibility.evaluate(state["answers"])
    t = texts()
    if outcome.result == "not_eligible":
        messages.append(_say(f"{outcome.reason} {outcome.message}"))
        messages.append(_say(t["not_eligible_next"]))
        state.update(phase="ended", answers={}, last=None)
        return
    if current_question(state) is None:
        lines = "\n".join(f"- {line}" for line in eligibility.summary_lines(state["answers"]))
        intro = eligibility.texts()["summary_intro"]
        messages.append({"text": f"{intro}\n{lines}"})
        messages.append(_say(outcome.message))
        state["phase"] = "share"
        state["result"] = outcome.result


def _questions_turn(state: State, turn: Turn, messages: list[Message]) -> None:
    t = texts()
    criterion = current_question(state)
    if turn.intent == "why_ask" and criterion is not None:
        messages.append(_say(criterion.why))
        return
    if turn.intent == "restart_prescreen":
        state.update(answers={}, last=None)
        messages.append(_say(t["restarted"]))
        return
    changed = False
    fixed = answers.correction(turn.text, allow_not_applicable=True)
    last = state.get("last")
    if fixed is not None and last:
        target = next(c for c in eligibility.load_criteria() if c.id == last)
        if target.accepts(fixed):
            state["answers"][last] = fixed
            messages.append(_say(t["changed"]))
            changed = True
    if not changed and criterion is not None:
        value = _read_answer(criterion, turn)
        if value is not None:
            state["answers"][criterion.id] = value
            state["last"] = criterion.id
            changed = True
    # Free text can answer other questions too ("prednisone then methotrexate"), or correct
    # an earlier answer ("actually I'm 52").
    for key, value in eligibility.answers_from_entities(turn.entities).items():
        if state["answers"].get(key) != value:
            corrected = key in state["answers"]
            state["answers"][key] = value
            if corrected and not changed:
                messages.append(_say(t["changed"]))
            changed = True
    if changed:
        _finish_questions(state, messages)
        return
    if criterion is not None and criterion.kind == "age" and answers.implausible_age(turn.text):
        messages.append(_say(t["check_age"]))
        return
    interruption = _interruption(turn, state)
    if interruption is not None:
        messages.append(interruption)
    elif criterion is not None:
        key = "not_understood_age" if criterion.kind == "age" else "not_understood"
        messages.append(_say(t[key]))


def _share_turn(state: State, turn: Turn, messages: list[Message]) -> None:
    t = texts()
    if turn.intent == "change_answer" or "change" in turn.text.lower():
        state["phase"] = "pick"
        return
    reply = answers.interpret(turn.text)
    if reply == "yes":
        state.update(phase="name", share_consent_at=_now())
    elif reply == "no":
        messages.append(_say(t["declined_share"]))
        state.update(phase="declined", answers={}, contact={})
    else:
        messages.append(_interruption(turn, state) or _say(t["not_understood"]))


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z]+", text.lower()) if len(w) > 3}


def _pick_turn(state: State, turn: Turn, messages: list[Message]) -> None:
    t = texts()
    wanted = " ".join(turn.text.lower().split())
    if wanted == t["buttons"]["pick_cancel"].lower() or turn.intent in ("deny", "stop_prescreen"):
        state["phase"] = "share"
        return
    answered = _answered(state)
    chosen = next((c for c in answered if c.label.lower() == wanted), None)
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
        state["answers"].pop(chosen.id)
        for other in eligibility.load_criteria():
            if chosen.id in other.ask_if:
                state["answers"].pop(other.id, None)
        state.update(phase="questions", last=None)
        return
    messages.append(_say(t["pick_again"]))


def _question_turn(state: State, turn: Turn, messages: list[Message]) -> None:
    t = texts()
    if state["phase"] == "question":
        text = " ".join(turn.text.split())
        if not text or text.startswith("/"):
            messages.append(_say(t["ask_question"]))
            return
        state["questions"].append(text[:1000])
        state["phase"] = "share_question"
        return
    reply = answers.interpret(turn.text)
    if reply == "yes":
        state.update(phase="name", share_consent_at=_now(), consent_at=_now())
    elif reply == "no" or turn.intent == "deny":
        messages.append(_say(t["declined_share"]))
        state.update(phase="declined", questions=[], contact={})
    else:
        messages.append(_say(t["not_understood"]))


def _contact_turn(state: State, turn: Turn, messages: list[Message]) -> None:
    t = texts()
    phase = state["phase"]
    interruption = _interruption(turn) if turn.intent not in (None, "affirm", "deny") else None
    if interruption is not None and "?" in turn.text:
        messages.append(interruption)
        return
    if phase == "name":
        name = contact.clean_name(turn.text)
        if name is None:
            messages.append(_say(t["bad_name"]))
            return
        state["contact"]["name"] = name
        state["phase"] = "contact"
    elif phase == "contact":
        found = contact.parse_contact(turn.text)
        if not found.found:
            messages.append(_say(t["bad_contact"]))
            return
        state["contact"].update(email=found.email, phone=found.phone)
        state["phase"] = "best_time"
    elif phase == "best_time":
        state["contact"]["best_time"] = " ".join(turn.text.split())[:200]
        state["phase"] = "submit"


# Phases that read a yes/no, an age or a choice. The others take free text as it is (a name,
# a time to call, a question for the team), in any language.
_READS_ANSWERS = ("consent", "questions", "share", "pick", "share_question", "confirm_stop")


def _unreadable(state: State, turn: Turn) -> list[Message] | None:
    """What to say to an empty, far too long or non-English message; None to read it.

    bot.nlu.input_guard sets these intents. Nothing changes in the state, and the form then
    asks its question again.
    """
    t = texts()
    reads_answers = state["phase"] in _READS_ANSWERS
    if turn.intent == "too_long":
        return [_say(t["too_long"])]
    if turn.intent == "non_english" and reads_answers:
        return [_say(t["english_only"])]
    if turn.intent == "empty_message" or not turn.text.strip():
        if not reads_answers:
            return []
        criterion = current_question(state) if state["phase"] == "questions" else None
        age = criterion is not None and criterion.kind == "age"
        return [_say(t["not_understood_age" if age else "not_understood"])]
    return None


def step(state: State | None, turn: Turn) -> Result:
    """Apply one patient message to the prescreen and say what to tell them."""
    state = copy.deepcopy(state) if state else new_state()
    messages: list[Message] = []
    t = texts()
    phase = state["phase"]

    if turn.intent in SAFETY_INTENTS:
        return Result(state, [{"response": f"utter_{turn.intent}"}])
    unreadable = _unreadable(state, turn)
    if unreadable is not None:
        return Result(state, unreadable)
    if turn.intent == "safety_stop":  # "Stop for now" under a 911 / 988 answer
        turn = dataclasses.replace(turn, intent="stop_prescreen")
    elif turn.intent == "safety_resume" or (
        turn.after_safety and turn.intent not in ("stop_prescreen", "restart_prescreen")
    ):
        # "I'm safe, go on", or anything typed right after a safety answer: nothing is read
        # as an answer; the form asks the same question again.
        return Result(state, [_say(t["after_safety"])])

    if phase == "confirm_stop":
        reply = answers.interpret(turn.text)
        if turn.intent == "restart_prescreen" and state["mode"] == "prescreen":
            state.pop("resume", None)
            state.update(phase="questions", answers={}, last=None, contact={})
            messages.append(_say(t["restarted"]))
        elif reply == "yes" or turn.intent == "stop_prescreen":
            messages.append(_say(t["stopped"]))
            state.update(phase="stopped", answers={}, contact={}, questions=[])
        else:
            messages.append(_say(t["keep_going"]))
            state["phase"] = state.pop("resume", "questions")
        return Result(state, messages)
    if turn.intent == "stop_prescreen" and phase != "consent":
        state.update(resume=phase, phase="confirm_stop")
        return Result(state, messages)
    if turn.intent == "restart_prescreen" and phase != "consent" and state["mode"] == "prescreen":
        state.update(phase="questions", answers={}, last=None, contact={})
        messages.append(_say(t["restarted"]))
        return Result(state, messages)

    if phase == "consent":
        reply = answers.interpret(turn.text)
        if reply == "yes":
            state.update(phase="questions", consent_at=_now())
            # "Yes, I'm 52" or "sure, I've had prednisone" already answer something.
            for key, value in eligibility.answers_from_entities(turn.entities).items():
                state["answers"][key] = value
            _finish_questions(state, messages)
        elif reply in ("no", "unsure") or turn.intent in ("deny", "stop_prescreen"):
            messages.append(_say(t["declined_start"]))
            state.update(phase="declined", answers={})
        else:
            messages.append(_interruption(turn, state) or _say(t["not_understood"]))
    elif phase == "questions":
        _questions_turn(state, turn, messages)
    elif phase == "share":
        _share_turn(state, turn, messages)
    elif phase == "pick":
        _pick_turn(state, turn, messages)
    elif phase in ("question", "share_question"):
        _question_turn(state, turn, messages)
    elif phase in ("name", "contact", "best_time"):
        _contact_turn(state, turn, messages)
    return Result(state, messages)


def handoff_record(
    state: State, conversation_id: str, transcript: list[dict[str, str]] | None = None
) -> Handoff:
    """What staff receive: outcome, answers with per-question reasons, contact, consent."""
    if state.get("mode") == "question":
        return Handoff(
            transcript=list(transcript or []),
            conversation_id=conversation_id,
            outcome="question",
            kind="question",
            answers={},
            questions=list(state.get("questions", [])),
            contact=dict(state.get("contact", {})),
            consent_version=str(state.get("version")),
            consent_at=state.get("consent_at"),
            share_consent_at=state.get("share_consent_at"),
            submission_id=str(state.get("submission") or ""),
        )
    outcome = eligibility.evaluate(state["answers"])
    reasons = {key: {"status": r.status, "text": r.text} for key, r in outcome.reasons.items()}
    return Handoff(
        transcript=list(transcript or []),
        conversation_id=conversation_id,
        outcome=outcome.result,
        answers={"answers": state["answers"], "reasons": reasons},
        contact=dict(state.get("contact", {})),
        consent_version=str(state.get("version")),
        consent_at=state.get("consent_at"),
        share_consent_at=state.get("share_consent_at"),
        questions=list(state.get("questions", [])),
        submission_id=str(state.get("submission") or ""),
    )


def submitted_messages(state: State, reference: str) -> list[Message]:
    """What the patient reads once their answers are passed on."""
    name = state.get("contact", {}).get("name", "")
    key = "submitted_question" if state.get("mode") == "question" else "submitted"
    return [_say(texts()[key].format(name=name, reference=reference))]


def saved_for_later_messages(state: State) -> list[Message]:
    """Said when the store was down and the handoff waits in the local spool."""
    name = state.get("contact", {}).get("name", "")
    return [_say(texts()["saved_for_later"].format(name=name))]


def not_submitted_messages() -> list[Message]:
    """Said when the handoff could not be stored: never silence."""
    return [_say(texts()["not_submitted"])]
