"""Other facts in one reply (Reading.also), as the prescreen uses them, no Rasa: a fact that
passes is recorded and its question skipped (and said back); one that would fail, or is
unsure, is not recorded, so its question is asked in turn."""

from __future__ import annotations

from bot.prescreen import dialogue as prescreen
from bot.prescreen import reading
from tests.test_prescreen import Patient


def at_age() -> Patient:
    p = Patient()
    p.say("yes")
    if p.state is not None and p.state.phase != "questions":
        p.say("For myself")
    return p


def test_a_passing_extra_fact_is_recorded_said_back_and_skipped() -> None:
    p = at_age()
    out = p.say("52 and yes I was diagnosed with dermatomyositis in 2021")
    assert p.answers.get("age") == 52 and p.answers.get("diagnosis") == "yes"
    assert any(prescreen.texts()["noted_also"] in line for line in out)
    assert prescreen.current_question(p.state).id == "biopsy"  # type: ignore[arg-type, union-attr]


def test_an_extra_fact_that_would_fail_is_asked_not_recorded() -> None:
    text = "52 and no, never diagnosed with dermatomyositis"
    found = reading.read(reading.Reply(text), "age", {}, None)
    assert found.value == 52 and found.also == {"diagnosis": "no"}  # the reading gives it
    p = at_age()
    p.say(text)
    assert p.answers.get("age") == 52 and "diagnosis" not in p.answers
    assert p.phase == "questions"
    assert prescreen.current_question(p.state).id == "diagnosis"  # type: ignore[arg-type, union-attr]
