"""bot.prescreen.dialogue and the safety layer's payloads, without Rasa: a pause, never an
answer."""

from __future__ import annotations

from typing import Any

import pytest

from bot.prescreen import dialogue as prescreen
from bot.prescreen.dialogue import Turn


def in_questions(answers: dict[str, Any] | None = None) -> prescreen.State:
    state = prescreen.new_state()
    state.phase, state.answers = prescreen.Phase.QUESTIONS, dict(answers or {"age": 52})
    return state


@pytest.mark.parametrize("kind", prescreen.SAFETY_INTENTS)
def test_a_safety_payload_is_answered_and_changes_nothing(kind: str) -> None:
    state = in_questions()
    result = prescreen.step(state, Turn(f"/{kind}", kind))
    assert result.messages == [{"response": f"utter_{kind}"}]
    assert result.state == state and not result.finished
    assert prescreen.pauses(Turn(f"/{kind}", kind))


@pytest.mark.parametrize("phase", ["consent", "name", "contact", "best_time", "question"])
def test_in_every_phase(phase: str) -> None:
    state = in_questions()
    state.phase = prescreen.Phase(phase)
    result = prescreen.step(state, Turn("/crisis", "crisis"))
    assert result.state == state and result.messages == [{"response": "utter_crisis"}]


def test_safe_again_asks_the_same_question() -> None:
    state = in_questions()
    result = prescreen.step(state, Turn("/safety_resume", "safety_resume"))
    assert result.state == state and "question again" in result.messages[0]["text"]
    assert not prescreen.pauses(Turn("/safety_resume", "safety_resume"))


def test_a_reply_typed_right_after_a_safety_answer_is_not_an_answer() -> None:
    state = in_questions()
    result = prescreen.step(state, Turn("yes", "affirm", after_safety=True))
    assert result.state.answers == state.answers


def test_stop_for_now_asks_before_forgetting() -> None:
    result = prescreen.step(in_questions(), Turn("/safety_stop", "safety_stop"))
    assert result.state.phase == "confirm_stop" and result.state.answers == {"age": 52}


def test_stop_for_now_repeats_911_and_988_before_asking() -> None:
    """New-user check (2026-12-02): after a 911 answer, "Stop for now" asked "Do you want to
    stop?" and ended with no word of 911."""
    result = prescreen.step(in_questions(), Turn("/safety_stop", "safety_stop"))
    assert result.messages == [{"response": "utter_safety_stop"}]
    asked = prescreen.prompt(result.state)
    assert "Do you want to stop" in asked[0]["text"]
    done = prescreen.step(result.state, Turn("Yes, stop", "affirm"))
    assert done.finished and done.state.answers == {}
