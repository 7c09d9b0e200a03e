"""The reading stage against its labelled corpus (tests/reading/*.yml), no Rasa.

heldout.yml was written before any reading rule and scored once (README, "One reading
stage"); the floors below are that first score, so a change that reads people worse fails.
It has since been used for development (the issue-15 hardening), so it no longer measures
unseen phrasing. heldout2.yml was written blind by a helper who never saw the rules, committed
before scoring and scored once after the hardening; its first score (288/349) is in the README.
Since then heldout2.yml is development data too (issue 15, second pass: families of phrasing
it missed, such as pauses, corrections at any question, several facts in one reply), so the
floors below are the scores measured after that pass, not measures of unseen phrasing.
"""

from __future__ import annotations

from functools import cache

import pytest

from tests.reading import corpus


@cache
def scored(name: str) -> tuple[corpus.Scored, ...]:
    return tuple(corpus.score(name))


def exact(name: str) -> float:
    results = scored(name)
    return sum(r.ok for r in results) / len(results)


def test_the_corpus_is_big_enough_and_half_of_it_held_out() -> None:
    dev, held = corpus.load("dev.yml"), corpus.load("heldout.yml")
    assert len(dev) + len(held) >= 600 and len(held) >= 300
    kinds = {r.kind for r in held}
    for kind in ("plain", "negated", "temporal", "hedged", "third_person", "correction"):
        assert kind in kinds
    for kind in ("withdraw", "typo", "one_word", "not_applicable", "button", "question"):
        assert kind in kinds
    # The two halves share only short stock replies ("yes", "idk", "why?") and phrases the
    # README and the issue quote ("they have been the same since last year").
    shared = {r.text.lower() for r in dev} & {r.text.lower() for r in held}
    assert len(shared) <= 40 and all(len(text.split()) <= 8 for text in shared)


def test_development_set() -> None:
    # 845/845 after the issue-15 second pass (141 new rows in our own words; three old labels
    # changed to agree with the heldout2 writer: "not skin" is no, "5o" is 50, "I'm her
    # daughter" is someone else). Fourth pass: two labels now also hold the other fact the
    # v3 / v4 writers label ("for my wife, she's 59" gives the age, "44, diagnosed 3 years ago"
    # the diagnosis); still 845/845.
    assert sum(r.ok for r in scored("dev.yml")) >= 845


def test_held_out_set_floor() -> None:
    # First and only scoring before this test: 310/316 (98.1%) exact; 314/316 after the
    # issue-15 hardening, which used it as a development set; 313/316 after the second pass
    # ("im 5o" is labelled "ask again" here and 50 by the heldout2 writer; the reading says 50).
    assert sum(r.ok for r in scored("heldout.yml")) >= 313


# heldout2.yml: first and only blind scoring (2026-12-01) 288/349 (82.5%, README table);
# after the issue-15 second pass, which used it as development data, every kind in full.
HELDOUT2_EXACT = {
    "button": 32,
    "correction": 24,
    "hedged": 23,
    "multi": 16,
    "negated": 29,
    "not_applicable": 6,
    "one_word": 20,
    "plain": 58,
    "question": 16,
    "restart": 5,
    "stop": 8,
    "temporal": 36,
    "third_person": 24,
    "typo": 19,
    "unclear": 11,
    "why": 11,
    "withdraw": 11,
}
# Replies read as an answer that would end the prescreen, wrongly (each is typed text, read as
# "inferred", so "Just to check" asks first): none in any set after the second pass (heldout2
# had seven at its blind scoring, heldout3 seven at its own; none after the third pass).
# heldout4.yml: six at its one blind scoring (2026-12-01, README), each asked "Just to check"
# first; none after the fourth pass, which used it as development data.
WRONG_ENDINGS = {
    "dev.yml": 0,
    "heldout.yml": 0,
    "heldout2.yml": 0,
    "heldout3.yml": 0,
    "heldout4.yml": 0,
    # heldout5.yml: two at its one blind scoring (2026-12-01, late), each asked "Just to check"
    # first: "not that I remember" to the steroid question, "tried Protopic last winter, no real
    # change" to the cream question, both read as "no"; the second is read right since.
    "heldout5.yml": 1,
    # heldout6.yml: two at its one blind scoring (2026-12-02), each asked "Just to check"
    # first: "Also, about the rash question, it's gone now. But yes, I took prednisone" read as
    # a fix of the rash answer to no (the writer: yes to the steroid question), and "the
    # question about whether the cream helped should be not sure" read as a fix to no.
    "heldout6.yml": 2,
}


def test_second_held_out_set_floor() -> None:
    results = scored("heldout2.yml")
    assert len(results) == 349
    assert sum(r.ok for r in results) >= sum(HELDOUT2_EXACT.values()) == 349
    for kind, floor in HELDOUT2_EXACT.items():
        assert sum(r.ok for r in results if r.row.kind == kind) >= floor, kind


def test_third_held_out_set_first_score_is_the_floor() -> None:
    # heldout3.yml: first and only blind scoring (2026-12-01), after the second pass: 304/395
    # (77.0%) exact, 7 that would end the prescreen wrongly (each asked "Just to check"
    # first). 13 of the misses are "na" labels for "Could you become pregnant?" that the
    # reading calls "no" (the question says a man or someone past menopause answers no; the
    # writer's brief said na); both skip the next question. README, "One reading stage".
    # Since then development data (issue 15, third pass: the families behind its wrong
    # endings and largest misses, tests/reading/test_reading_families.py), so the floor is
    # the score after that pass (346), 351 after the fourth pass and 353 after the sixth.
    results = scored("heldout3.yml")
    assert len(results) == 395
    assert sum(r.ok for r in results) >= 353


def test_fourth_held_out_set_first_score_is_the_floor() -> None:
    # heldout4.yml: written blind after the third pass, committed, scored once (2026-12-01):
    # 307/400 (76.8%) exact, 6 that would end the prescreen wrongly (each asked "Just to
    # check" first). 20 of the misses are third-person replies ("Mom's 81") after "For myself"
    # that the writer also labels as a switch to someone else; the reading gives the answer
    # right and does not switch by itself (a tester found a switch on "they did a biopsy"
    # wrong). Counting the answer alone: 340/400 (85.0%). README, "One reading stage".
    # Since then development data (issue 15, fourth pass: its wrong endings and its
    # correction, hedge, several-facts and story families,
    # tests/reading/test_reading_families_fourth.py): 360/400, 0 that would end wrongly;
    # 364/400 after the sixth pass.
    results = scored("heldout4.yml")
    assert len(results) == 400
    assert sum(r.ok for r in results) >= 364


def test_fifth_held_out_set_first_score_is_the_floor() -> None:
    # heldout5.yml: written blind after the fourth pass, committed, scored once (2026-12-01,
    # late): 280/350 (80.0%) exact, 2 that would end the prescreen wrongly (each asked "Just
    # to check" first). Largest misses: corrections (26/45), several facts in one reply
    # (14/26), hedges (21/33), third person (9/16), stories (16/23). README, "One reading stage".
    # Since then development data: 284/350 and 1 wrong ending after its first families
    # (tests/reading/test_reading_families_fifth.py); 325/350 and 1 after the sixth pass
    # (tests/reading/test_reading_families_sixth.py).
    results = scored("heldout5.yml")
    assert len(results) == 350
    assert sum(r.ok for r in results) >= 325


def test_sixth_held_out_set_first_score_is_the_floor() -> None:
    # heldout6.yml: written blind after the sixth pass, committed, scored once (2026-12-02):
    # 281/350 (80.3%) exact, 2 that would end the prescreen wrongly (each asked "Just to
    # check" first). Largest misses: third person (4/17; the writer also labels a switch to
    # someone else beside the answer), corrections (29/45), stories (13/24), temporal
    # (22/31), negated (22/27). README, "Latest blind measures (2026-12-02)".
    results = scored("heldout6.yml")
    assert len(results) == 350
    assert sum(r.ok for r in results) >= 281


@pytest.mark.parametrize(
    "name",
    [
        "dev.yml",
        "heldout.yml",
        "heldout2.yml",
        "heldout3.yml",
        "heldout4.yml",
        "heldout5.yml",
        "heldout6.yml",
    ],
)
def test_a_typed_reply_that_would_end_the_prescreen_is_never_read_as_sure(name: str) -> None:
    """Only a button press ends it at once; a typed reading that would end it is "inferred",
    so the dialogue asks "Just to check: ..." first."""
    ending = [r for r in scored(name) if r.ends]
    assert ending  # the corpus has replies that rightly end it
    for r in ending:
        # A typed "No" is the No button's own text: over REST the two are one message.
        pressed = r.row.text.strip().lower() in {b.lower() for b in corpus.ANSWER_BUTTONS}
        assert r.sure == ("button" if pressed else "inferred"), r.row


@pytest.mark.parametrize("name", sorted(WRONG_ENDINGS))
def test_no_reply_ends_the_prescreen_without_a_check(name: str) -> None:
    """A misreading that would end it is always typed text, so "Just to check" asks first.
    (heldout.yml had 1, "im 5o" read as 5, before the issue-15 hardening.)"""
    wrong = [r for r in scored(name) if r.ends_wrongly]
    assert len(wrong) <= WRONG_ENDINGS[name]
    assert all(r.row.kind != "button" and r.sure == "inferred" for r in wrong)
