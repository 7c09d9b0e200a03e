"""The number and choice question kinds: scored by the engine, read by the simple hook."""

from __future__ import annotations

from typing import Any

import pytest

from bot.prescreen import engine as eligibility
from bot.prescreen import reading

BASE: dict[str, Any] = {
    "label": "L",
    "question": "Q?",
    "why": "W.",
    "on_fail": "end",
    "fail_reason": "F.",
}
NUMBER = {
    **BASE,
    "id": "flares",
    "kind": "number",
    "range": [2, 50],
    "answers": {"in_range": "pass", "out_of_range": "fail", "unsure": "review"},
}
CHOICE = {
    **BASE,
    "id": "where",
    "kind": "choice",
    "choices": [{"id": "hands", "label": "Only my hands"}, {"id": "body", "label": "Elsewhere"}],
    "answers": {"hands": "pass", "body": "fail", "unsure": "review"},
}
NUMBER_Q, CHOICE_Q = eligibility.parse_criteria({"criteria": [NUMBER, CHOICE]})


@pytest.mark.parametrize(("answer", "verdict"), [(3, "pass"), (1, "fail"), ("unsure", "review")])
def test_a_number_is_scored_by_its_range(answer: object, verdict: str) -> None:
    assert NUMBER_Q.verdict(answer) == verdict  # type: ignore[arg-type]


def test_a_choice_is_scored_by_its_id() -> None:
    assert CHOICE_Q.verdict("hands") == "pass"
    assert CHOICE_Q.verdict("body") == "fail"
    with pytest.raises(ValueError):
        CHOICE_Q.verdict("yes")


@pytest.mark.parametrize(
    ("text", "value"),
    [("3", 3), ("about five times", 5), ("not sure", "unsure"), ("3 or 4", None), ("lots", None)],
)
def test_the_number_hook_reads_one_number(text: str, value: object) -> None:
    found = reading._read_number_or_choice(NUMBER_Q, text)  # noqa: SLF001
    assert (found[0] if found else None) == value


def test_the_choice_hook_reads_a_label() -> None:
    assert reading._read_number_or_choice(CHOICE_Q, "Only my hands") == ("hands", "button")  # noqa: SLF001
    assert reading._read_number_or_choice(CHOICE_Q, "purple") is None  # noqa: SLF001


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"kind": "choice", "choices": [{"id": "a", "label": "A"}]}, "at least two"),
        ({"duration": {"role": "ago", "min_days": 3}}, "say it with filled_by"),
        ({"filled_by": {"entity": "age"}}, "an age fills only an age question"),
        ({"filled_by": {"entity": "mood"}}, "filled_by.entity"),
        ({"reading": {"medicines": ["other"]}}, "reading.medicines"),
    ],
)
def test_mistakes_in_a_question_are_named(change: dict[str, Any], named: str) -> None:
    with pytest.raises(ValueError, match=named):
        eligibility.parse_criteria({"criteria": [{**NUMBER, **change}]})


def test_an_answer_is_shown_back_as_the_person_chose_it() -> None:
    """The summary and "You also answered..." say a choice's label, a number, or Yes/No (a
    choice id once raised KeyError in the "also answered" note)."""
    assert eligibility.shown_answer(CHOICE_Q, "hands") == "Only my hands"
    assert eligibility.shown_answer(NUMBER_Q, 3) == "3"
    assert (
        eligibility.shown_answer(CHOICE_Q, "unsure")
        == eligibility.texts()["answer_words"]["unsure"]
    )


def test_the_dialogue_notes_a_choice_fact_by_its_label(monkeypatch: pytest.MonkeyPatch) -> None:
    """Review finding 13: the dialogue's "You also answered..." note and the engine's summary
    show an answer through the one eligibility.shown_answer."""
    from bot.prescreen import dialogue as prescreen

    monkeypatch.setattr(eligibility, "load_criteria", lambda: [CHOICE_Q, NUMBER_Q])
    messages: list[dict[str, Any]] = []
    prescreen._note_facts({"where": "hands", "flares": 3}, messages)  # noqa: SLF001
    assert messages[0]["text"].endswith("- L: Only my hands\n- L: 3")
    lines = eligibility.summary_lines({"where": "body"}, criteria=[CHOICE_Q])
    assert lines == ["L: Elsewhere"]
