"""Families of phrasing from heldout5.yml's misses (issue 15, after its one blind scoring):
a cream with "no real change", a refusal to go on that names the study, a pause that says it
will come back. Each case is said in words other than the corpus's, so the rule, not the
string, is tested."""

from __future__ import annotations

import pytest

from tests.reading.test_reading_families import read, said


# "no real change" is a cream that did not help: yes to the cream question, never a plain no.
@pytest.mark.parametrize(
    "text",
    [
        "used elidel over the summer, no big difference",
        "tacrolimus ointment, no noticeable improvement",
        "the steroid cream gave no real change",
    ],
)
def test_a_cream_with_no_real_change_did_not_help(text: str) -> None:
    assert said("topical", text) == "yes"


@pytest.mark.parametrize(
    ("question", "text"),
    [
        ("biopsy", "I think I'll quit here, I don't want to do this trial"),
        ("stable_meds", "gonna quit now"),
    ],
)
def test_quitting_the_study_mid_way_is_a_withdrawal(question: str, text: str) -> None:
    assert read(question, text).kind == "withdraw"


@pytest.mark.parametrize(
    ("question", "text"),
    [
        ("topical", "I'll need to come back to this, the bus is coming"),
        ("systemic_steroids", "my taxi is here, sorry"),
        ("diagnosis", "let me ask my son and get back to you"),
    ],
)
def test_a_pause_that_says_it_will_come_back_is_a_stop(question: str, text: str) -> None:
    assert read(question, text).kind == "stop"


def test_willing_to_stop_the_cream_is_still_an_answer() -> None:
    assert said("topical_washout", "yes, I could stop it and come back to it after") == "yes"
