"""The made-up second trial (tests/fixtures/trials/demo-hand-eczema/) without Rasa: the same
prescreen code asks only its questions and hands over only its answers (the live path is
tests/test_live_second_trial.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from bot import content
from bot.prescreen import dialogue as prescreen
from bot.prescreen import engine as eligibility
from bot.prescreen import reading
from bot.web import present
from tests.test_prescreen import Patient, med

FOLDER = Path(__file__).resolve().parents[1] / "fixtures" / "trials" / "demo-hand-eczema"
IDS = [c["id"] for c in yaml.safe_load((FOLDER / "criteria.yml").read_text())["criteria"]]


@pytest.fixture(params=["TRIAL", "serving"])
def demo_trial(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The demo as the one TRIAL; or served beside this trial (TRIALS) and chosen per
    conversation (content.serving), with the content caches of both trials warm."""
    if request.param == "TRIAL":
        monkeypatch.setenv("TRIAL", str(FOLDER))
        content.reset()
        yield
        return
    monkeypatch.setenv("TRIALS", f"nct06857240,{FOLDER}")
    content.reset()
    assert len(eligibility.load_criteria()) > len(IDS)  # the default trial's, cached first
    with content.serving("demo-hand-eczema") as chosen:
        assert chosen == "demo-hand-eczema"
        yield
    assert [c.id for c in eligibility.load_criteria()] != IDS  # and back to the default


def test_served_trials_and_unknown_ids(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRIALS", f"nct06857240, {FOLDER} ")
    content.reset()
    assert list(content.served()) == ["nct06857240", "demo-hand-eczema"]
    assert content.nct_ids() == {"nct06857240": "NCT06857240", "demo-hand-eczema": "DEMO-0017"}
    assert content.from_nct("demo-0017") == "demo-hand-eczema"
    for unknown in ("nope", "", None, 17, "../trials", {"x": 1}):
        with content.serving(unknown) as chosen:
            assert chosen == "nct06857240" and content.trial()["nct_id"] == "NCT06857240"
    with content.serving("demo-hand-eczema"):
        assert content.trial()["nct_id"] == "DEMO-0017"
        assert prescreen.new_state().trial == "demo-hand-eczema"
    monkeypatch.delenv("TRIALS")
    monkeypatch.delenv("TRIAL", raising=False)
    content.reset()
    with content.serving("demo-hand-eczema") as chosen:  # not served here: the default
        assert chosen == "nct06857240"


def test_only_its_questions_are_asked_and_handed_over(demo_trial: None) -> None:
    p = Patient()
    p.say("yes")
    p.say("40")
    # prednisone is a medicine of this deployment's other trial: nothing here asks about it
    p.say("yes, and I took prednisone", entities=[med("prednisone", "systemic_corticosteroid")])
    assert p.answers == {"age": 40, "hand_eczema": "yes"}
    p.say("about five times")
    p.say("no")
    p.say("yes, clobetasol", entities=[med("clobetasol", "topical_corticosteroid")])
    assert p.phase == "share"
    assert list(p.answers) == IDS
    assert p.answers["flares"] == 5
    record = prescreen.handoff_record(p.state, "c1")  # type: ignore[arg-type]
    assert record.outcome == "likely_eligible"
    assert list(record.answers["answers"]) == IDS
    assert record.answers["trial"] == record.trial == "DEMO-0017"
    assert not any("pregnan" in line.lower() for line in p.asked)


def test_a_low_number_goes_to_review_and_a_jak_pill_ends_it(demo_trial: None) -> None:
    p = Patient()
    for reply in ("yes", "40", "yes", "1"):
        p.say(reply)
    assert eligibility.evaluate(p.answers).reasons["flares"].status == "review"
    p.say("I took tofacitinib", entities=[med("tofacitinib", "jak_inhibitor")])
    assert p.phase == "confirm"  # a typed reply that would end it is checked first
    p.say("Yes")
    assert p.answers["jak_pills"] == "yes" and p.phase == "not_eligible"


def test_staff_labels_are_its_own(demo_trial: None) -> None:
    assert present.criterion_label("flares").startswith("Hand eczema flares")
    assert present.criterion_ids() == IDS


def test_the_reader_uses_each_trials_own_condition_words(demo_trial: None) -> None:
    """Review finding 10: "I'm the one with eczema" is about oneself in the eczema trial; the
    dermatomyositis words of the other trial mean nothing special here."""
    own = reading.read(reading.Reply("no, I'm the one with the eczema"), None)
    assert own.kind == "self"
    other = reading.read(reading.Reply("no, I'm the one with dm"), None)
    assert other.kind != "self"
