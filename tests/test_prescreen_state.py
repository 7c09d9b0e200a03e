"""bot.prescreen.state: the typed prescreen state, to and from the Rasa slot (issue 17)."""

from __future__ import annotations

import json

from bot.prescreen import dialogue as prescreen
from bot.prescreen.dialogue import Turn
from bot.prescreen.state import Caregiver, Mode, Pending, Phase, PrescreenState

# A slot as the untyped dict of the code before the typed state kept it, mid-prescreen for a
# caregiver, with a "Just to check" waiting: conversations in progress at an upgrade.
OLD_SLOT = {
    "submission": "a1b2c3d4e5f60718",
    "mode": "prescreen",
    "questions": ["do I get paid?"],
    "phase": "confirm",
    "answers": {"age": 74, "diagnosis": "yes"},
    "last": "diagnosis",
    "version": "2026-11-30",
    "trial": "nct06857240",
    "consent_at": "2026-12-01T10:00:00+00:00",
    "share_consent_at": None,
    "contact": {},
    "started_at": "2026-12-01T10:00:00+00:00",
    "who": "someone_else",
    "caregiver": {"patient_is": "mother", "patient_is_label": "her daughter"},
    "pending": {"target": "biopsy", "value": "no", "also": {}, "correction": False},
    "counted": ["prescreen_started:", "question_asked:age"],
    "some_key_from_the_future": 1,
}


def test_an_old_untyped_slot_is_read_and_the_prescreen_goes_on() -> None:
    state = prescreen.from_slot(OLD_SLOT)
    assert state is not None
    assert state.phase is Phase.CONFIRM and state.mode is Mode.PRESCREEN
    assert state.pending == Pending("biopsy", "no", {}, False)
    assert state.caregiver == Caregiver(patient_is="mother", relation="her daughter")
    assert state.for_someone_else and state.counted == OLD_SLOT["counted"]
    result = prescreen.step(state, Turn("yes"))  # "yes, that's right": no biopsy
    assert result.state.answers["biopsy"] == "no" and result.state.pending is None


def test_the_slot_is_plain_json_and_reads_back_the_same() -> None:
    state = prescreen.from_slot(OLD_SLOT)
    assert state is not None
    slot = prescreen.to_slot(state)
    assert slot is not None
    again = json.loads(json.dumps(slot))
    assert again["phase"] == "confirm" and again["mode"] == "prescreen"
    assert again["pending"]["target"] == "biopsy"
    assert "some_key_from_the_future" not in again
    assert PrescreenState.from_slot(again) == state


def test_no_state_or_a_broken_one_is_none() -> None:
    for value in (None, {}, "text", {"phase": "no_such_phase"}, {"answers": {}}):
        assert prescreen.from_slot(value) is None
    assert prescreen.to_slot(None) is None


def test_phases_compare_as_their_names() -> None:
    state = prescreen.new_state()
    assert state.phase == "consent" and str(state.phase) == "consent"
    assert state.running and not prescreen.after_form(state)
    state.phase = Phase.DECLINED
    assert not state.running
