"""The prescreen's state, typed: where the conversation is and what it holds (issue 17).

bot.prescreen.dialogue reads and changes a ``PrescreenState``; the Rasa glue (actions/prescreen.py)
keeps it in one slot as a JSON-compatible dict (`to_slot`, `from_slot`). `from_slot` also
reads the untyped dicts that conversations in progress were saved with before this module:
the keys are the same, unknown ones are left out, missing ones take their defaults.
"""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any


class Phase(str, Enum):
    """Where the prescreen (or a request to reach the team) is; see bot/prescreen/dialogue.py."""

    CONSENT = "consent"
    QUESTIONS = "questions"
    CONFIRM = "confirm"
    NOT_ELIGIBLE = "not_eligible"
    PICK = "pick"
    SHARE = "share"
    CONFIRM_STOP = "confirm_stop"
    OFFER_CALLBACK = "offer_callback"
    QUESTION = "question"
    SHARE_QUESTION = "share_question"
    REUSE_CONTACT = "reuse_contact"
    NAME = "name"
    CALL_WHO = "call_who"
    CONTACT = "contact"
    BEST_TIME = "best_time"
    # Endings: the form stops. Only SUBMIT keeps anything.
    SUBMIT = "submit"
    ENDED = "ended"
    STOPPED = "stopped"
    DECLINED = "declined"
    # After action_prescreen_done: what a handed-off conversation keeps (never in the form).
    HANDED_OFF = "handed_off"

    def __str__(self) -> str:
        return self.value


ENDINGS = (Phase.SUBMIT, Phase.ENDED, Phase.STOPPED, Phase.DECLINED, Phase.HANDED_OFF)


class Mode(str, Enum):
    PRESCREEN = "prescreen"  # health questions, then sharing the answers
    QUESTION = "question"  # "talk to a person": a question (or call back) for the team

    def __str__(self) -> str:
        return self.value


@dataclass
class Pending:
    """A typed answer that would end the prescreen, waiting for "Just to check: ...?"."""

    target: str
    value: Any
    also: dict[str, Any] = field(default_factory=dict)
    correction: bool = False


@dataclass
class Caregiver:
    """Someone answering for another person: who they are, and who the team should call."""

    patient_is: str | None = None  # how the patient is related to them ("mother")
    relation: str | None = None  # how they say they are related ("her daughter")
    patient_name: str | None = None
    name: str | None = None
    call: str | None = None  # "caregiver" or "patient"
    agreed_at: str | None = None  # when they said the person knows and agrees


@dataclass
class Earlier:
    """A handoff made before in this conversation: the details it was sent with."""

    contact: dict[str, Any] = field(default_factory=dict)
    for_someone_else: bool = False
    caregiver: Caregiver | None = None
    reference: str | None = None
    at: str | None = None  # when they were given (ISO, UTC): offered again for 60 minutes


@dataclass
class PrescreenState:
    phase: Phase = Phase.CONSENT
    mode: Mode = Mode.PRESCREEN
    # Names this submission: a retry of the same one is stored once (bot.store.handoff), a later
    # question or prescreen in the same conversation is a new one.
    submission: str = field(default_factory=lambda: secrets.token_hex(8))
    answers: dict[str, Any] = field(default_factory=dict)
    last: str | None = None  # the criterion answered last ("actually no" corrects it)
    version: str | None = None  # of the criteria, stored with the consent
    trial: str | None = None  # folder id of bot.content.served: kept to the end
    started_at: str | None = None
    consent_at: str | None = None
    share_consent_at: str | None = None
    questions: list[str] = field(default_factory=list)  # for the study team
    contact: dict[str, Any] = field(default_factory=dict)  # name, email, phone, best_time
    who: str | None = None  # "self" or "someone_else"; None: not said
    caregiver: Caregiver | None = None
    pending: Pending | None = None
    resume: Phase | None = None  # where "No, keep going" goes back to
    result: str | None = None  # the outcome shown with the summary
    callback_request: str = ""  # the words that asked for a person mid-prescreen
    follow_up: str | None = None  # the question whose second part was asked (stop_plan)
    earlier: Earlier | None = None
    reference: str | None = None  # HANDED_OFF: the latest handoff's reference
    counted: list[str] = field(default_factory=list)  # funnel events already counted
    # The check-in after a 988 answer was asked: the next reply is not read as an answer either.
    check_in: bool = False

    @property
    def for_someone_else(self) -> bool:
        return self.who == "someone_else"

    @property
    def running(self) -> bool:
        return self.phase not in ENDINGS

    def carer(self) -> Caregiver:
        """The caregiver's details, made empty the first time."""
        if self.caregiver is None:
            self.caregiver = Caregiver()
        return self.caregiver

    def to_slot(self) -> dict[str, Any]:
        """The state as the slot keeps it: JSON-compatible, enums as their values."""
        data: dict[str, Any] = _plain(dataclasses.asdict(self))
        return data

    @classmethod
    def from_slot(cls, data: Any) -> PrescreenState | None:
        """A state from the slot (a new-style or an old untyped dict); None if there is none."""
        if isinstance(data, PrescreenState):
            return data
        if not isinstance(data, Mapping) or not data.get("phase"):
            return None
        try:
            phase = Phase(str(data["phase"]))
        except ValueError:
            return None
        known = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        values["phase"] = phase
        values["mode"] = _mode(data.get("mode"))
        values["resume"] = _phase(data.get("resume"))
        for key in ("answers", "contact"):
            values[key] = dict(data.get(key) or {})
        for key in ("questions", "counted"):
            values[key] = [str(x) for x in data.get(key) or []]
        values["caregiver"] = _caregiver(data.get("caregiver"))
        pending = data.get("pending")
        values["pending"] = (
            Pending(**{k: v for k, v in pending.items() if k in _PENDING})
            if isinstance(pending, Mapping) and "target" in pending
            else None
        )
        values["earlier"] = _earlier(data.get("earlier"))
        values["callback_request"] = str(data.get("callback_request") or "")
        return cls(**values)


_PENDING = {f.name for f in dataclasses.fields(Pending)}
_CAREGIVER = {f.name for f in dataclasses.fields(Caregiver)}


def _plain(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def _mode(value: Any) -> Mode:
    try:
        return Mode(str(value))
    except ValueError:
        return Mode.PRESCREEN


def _phase(value: Any) -> Phase | None:
    try:
        return Phase(str(value)) if value else None
    except ValueError:
        return None


def _caregiver(value: Any) -> Caregiver | None:
    if not isinstance(value, Mapping):
        return None
    found = {k: v for k, v in value.items() if k in _CAREGIVER}
    if not found.get("relation") and value.get("patient_is_label"):
        found["relation"] = value["patient_is_label"]  # the key of an older state
    return Caregiver(**found)


def _earlier(value: Any) -> Earlier | None:
    if not isinstance(value, Mapping) or not value.get("contact"):
        return None
    return Earlier(
        contact=dict(value["contact"]),
        for_someone_else=bool(value.get("for_someone_else")),
        caregiver=_caregiver(value.get("caregiver")),
        reference=value.get("reference"),
        at=value.get("at"),
    )
