"""The reading stage against its labelled corpus (tests/reading/*.yml), no Rasa.

heldout.yml was written before any reading rule and scored once (README, "One reading
stage"); the floors below are that first score, so a change that reads people worse fails.
It has since been used for development (the issue-15 hardening), so it no longer measures
unseen phrasing. heldout2.yml was written blind by a helper who never saw the rules, committed
before scoring and scored once after the hardening; its floors are that one score.
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
    assert exact("dev.yml") >= 0.99


def test_held_out_set_first_score_is_the_floor() -> None:
    # First and only scoring before this test: 310/316 (98.1%) exact; 314/316 after the
    # issue-15 hardening, which used it as a development set.
    assert exact("heldout.yml") >= 0.98


# heldout2.yml, first and only scoring (2026-12-01, after the issue-15 hardening): exact
# readings per kind (README table), 288/349 (82.5%) in all.
HELDOUT2_EXACT = {
    "button": 32,
    "correction": 9,
    "hedged": 18,
    "multi": 3,
    "negated": 28,
    "not_applicable": 6,
    "one_word": 20,
    "plain": 51,
    "question": 16,
    "restart": 5,
    "stop": 0,
    "temporal": 33,
    "third_person": 21,
    "typo": 16,
    "unclear": 11,
    "why": 11,
    "withdraw": 8,
}
# Replies read as an answer that would end the prescreen, wrongly (each is typed text, read as
# "inferred", so "Just to check" asks first): dev and the burned v1 none, v2 seven.
WRONG_ENDINGS = {"dev.yml": 0, "heldout.yml": 0, "heldout2.yml": 7}


def test_second_held_out_set_first_score_is_the_floor() -> None:
    results = scored("heldout2.yml")
    assert len(results) == 349
    assert sum(r.ok for r in results) >= sum(HELDOUT2_EXACT.values()) == 288
    for kind, floor in HELDOUT2_EXACT.items():
        assert sum(r.ok for r in results if r.row.kind == kind) >= floor, kind


@pytest.mark.parametrize("name", ["dev.yml", "heldout.yml", "heldout2.yml"])
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
