"""The prescreen rules: verdicts per answer, the outcome, early end and question order."""

from __future__ import annotations

from typing import Any

import pytest

from bot.prescreen.engine import (
    Answer,
    evaluate,
    load_criteria,
    next_question,
    parse_criteria,
    summary_lines,
    texts,
)

BY_ID = {c.id: c for c in load_criteria()}
ALL_PASS: dict[str, Answer] = {
    "age": 52,
    "diagnosis": "yes",
    "biopsy": "yes",
    "active_skin": "yes",
    "systemic_steroids": "yes",
    "steroid_sparing": "yes",
    "topical": "yes",
    "topical_washout": "yes",
    "stable_meds": "yes",
    "could_be_pregnant": "yes",
    "pregnancy": "yes",
}

# criterion -> reply -> status in the outcome (a fail on an on_fail: review question is
# reported as review, since the study team decides).
STATUS: dict[str, dict[str, str]] = {
    "diagnosis": {"yes": "pass", "no": "fail", "unsure": "review"},
    "biopsy": {"yes": "pass", "no": "review", "unsure": "review"},
    "active_skin": {"yes": "pass", "no": "fail", "unsure": "review"},
    "systemic_steroids": {"yes": "pass", "no": "fail", "unsure": "review"},
    "steroid_sparing": {"yes": "pass", "no": "fail", "unsure": "review"},
    "topical": {"yes": "pass", "no": "fail", "unsure": "review"},
    "topical_washout": {"yes": "pass", "no": "review", "unsure": "review"},
    "stable_meds": {"yes": "pass", "no": "review", "unsure": "review"},
    "could_be_pregnant": {"yes": "pass", "no": "pass", "unsure": "review"},
    "pregnancy": {"yes": "pass", "no": "fail", "unsure": "review", "not_applicable": "pass"},
}
RESULT_FOR_STATUS = {"pass": "likely_eligible", "review": "needs_review", "fail": "not_eligible"}
CASES = [(cid, reply, status) for cid, table in STATUS.items() for reply, status in table.items()]
AGE_CASES: list[tuple[Answer, str]] = [
    (17, "fail"),
    (18, "pass"),
    (52, "pass"),
    (89, "pass"),
    (90, "fail"),
    (5, "fail"),
    ("unsure", "review"),
]


def _with(**changes: Any) -> dict[str, Any]:
    return {**ALL_PASS, **changes}


def test_every_yes_no_criterion_is_in_the_table() -> None:
    assert set(STATUS) == {cid for cid, c in BY_ID.items() if c.kind == "yes_no"}
    for cid, table in STATUS.items():
        assert set(table) == set(BY_ID[cid].replies)


@pytest.mark.parametrize(("cid", "reply", "status"), CASES)
def test_each_reply_to_each_question(cid: str, reply: str, status: str) -> None:
    outcome = evaluate(_with(**{cid: reply}))
    assert outcome.reasons[cid].status == status
    assert outcome.result == RESULT_FOR_STATUS[status]
    if status == "fail":
        assert outcome.ended_by == cid
        assert outcome.reason == BY_ID[cid].fail_reason == outcome.reasons[cid].text
    elif status == "review" and reply == "no":
        assert outcome.reasons[cid].text == BY_ID[cid].fail_reason
        assert outcome.reason is None


@pytest.mark.parametrize(("age", "status"), AGE_CASES)
def test_age_edges(age: Answer, status: str) -> None:
    outcome = evaluate(_with(age=age))
    assert outcome.reasons["age"].status == status
    assert outcome.result == RESULT_FOR_STATUS[status]
    if status == "fail":
        assert outcome.reason == "This study is only for adults aged 18 to 89."


def test_all_yes_looks_promising() -> None:
    outcome = evaluate(ALL_PASS)
    assert outcome.result == "likely_eligible"
    assert outcome.message == texts()["results"]["likely_eligible"]
    assert outcome.ended_by is None and outcome.reason is None
    assert {r.status for r in outcome.reasons.values()} == {"pass"}


@pytest.mark.parametrize(
    ("answers", "result"),
    [
        ({}, "incomplete"),
        ({"age": 52, "diagnosis": "yes"}, "incomplete"),
        ({"age": 52, "diagnosis": "unsure"}, "incomplete"),
        ({"age": 17}, "not_eligible"),
        ({"age": 52, "diagnosis": "unsure", "active_skin": "no"}, "not_eligible"),
        (_with(biopsy="no", stable_meds="unsure"), "needs_review"),
        (_with(pregnancy=None), "incomplete"),
        (_with(topical="unsure", topical_washout=None), "needs_review"),
        (_with(topical="no", topical_washout=None), "not_eligible"),
    ],
)
def test_outcomes(answers: dict[str, Any], result: str) -> None:
    outcome = evaluate(answers)
    assert outcome.result == result
    assert outcome.message == texts()["results"][result]


def test_the_first_hard_fail_is_the_one_reported() -> None:
    outcome = evaluate(_with(diagnosis="no", steroid_sparing="no", pregnancy="no"))
    assert outcome.ended_by == "diagnosis"
    assert outcome.reason == BY_ID["diagnosis"].fail_reason
    assert [k for k, r in outcome.reasons.items() if r.status == "fail"] == [
        "diagnosis",
        "steroid_sparing",
        "pregnancy",
    ]


def test_washout_depends_on_the_cream_answer() -> None:
    assert evaluate({"age": 52}).reasons["topical_washout"].status == "unanswered"
    skipped = evaluate(_with(topical="unsure", topical_washout="no"))
    assert skipped.reasons["topical_washout"].status == "skipped"
    assert skipped.reasons["topical"].status == "review"


def test_unknown_keys_are_ignored_and_none_is_unanswered() -> None:
    outcome = evaluate({**ALL_PASS, "favourite_colour": "blue", "pregnancy": None})
    assert outcome.result == "incomplete"
    assert "favourite_colour" not in outcome.reasons
    assert outcome.reasons["pregnancy"].status == "unanswered"


@pytest.mark.parametrize(
    ("cid", "answer"),
    [
        ("age", "52"),
        ("age", True),
        ("age", "yes"),
        ("diagnosis", 52),
        ("diagnosis", "maybe"),
        ("diagnosis", "not_applicable"),
        ("pregnancy", "n/a"),
    ],
)
def test_answers_a_question_does_not_take_are_refused(cid: str, answer: Any) -> None:
    with pytest.raises(ValueError, match=cid):
        evaluate(_with(**{cid: answer}))


def _ids_asked(reply_for: dict[str, Answer]) -> list[str]:
    """Walk the prescreen, answering each question from reply_for (default "yes")."""
    answers: dict[str, Answer] = {}
    asked: list[str] = []
    while (question := next_question(answers)) is not None:
        asked.append(question.id)
        answers[question.id] = reply_for.get(question.id, "yes")
        assert len(asked) <= len(BY_ID)
    return asked


def test_walks_every_question_in_order() -> None:
    assert _ids_asked({"age": 40}) == list(BY_ID)


@pytest.mark.parametrize(
    ("replies", "last"),
    [
        ({"age": 17}, "age"),
        ({"age": 90}, "age"),
        ({"age": 40, "diagnosis": "no"}, "diagnosis"),
        ({"age": 40, "active_skin": "no"}, "active_skin"),
        ({"age": 40, "systemic_steroids": "no"}, "systemic_steroids"),
        ({"age": 40, "steroid_sparing": "no"}, "steroid_sparing"),
        ({"age": 40, "topical": "no"}, "topical"),
        ({"age": 40, "pregnancy": "no"}, "pregnancy"),
    ],
)
def test_a_hard_fail_ends_the_prescreen_early(replies: dict[str, Answer], last: str) -> None:
    assert _ids_asked(replies)[-1] == last


@pytest.mark.parametrize(
    ("cid", "reply"),
    [("biopsy", "no"), ("stable_meds", "no"), ("topical_washout", "no"), ("diagnosis", "unsure")],
)
def test_review_answers_do_not_end_it(cid: str, reply: str) -> None:
    assert _ids_asked({"age": 40, cid: reply}) == list(BY_ID)


def test_unsure_cream_answer_skips_the_washout_question() -> None:
    asked = _ids_asked({"age": 40, "topical": "unsure"})
    assert "topical_washout" not in asked and asked[-1] == "pregnancy"


def test_next_question_skips_what_is_already_answered() -> None:
    given: dict[str, Answer] = {"age": 52, "systemic_steroids": "yes", "steroid_sparing": "yes"}
    question = next_question(given)
    assert question is not None and question.id == "diagnosis"
    given.update(diagnosis="yes", biopsy="unsure", active_skin="yes")
    question = next_question(given)
    assert question is not None and question.id == "topical"
    assert next_question(ALL_PASS) is None
    assert next_question(_with(biopsy="no", stable_meds="unsure")) is None


def test_summary_lists_answered_questions_in_order() -> None:
    answers: dict[str, Any] = {
        "could_be_pregnant": "no",
        "pregnancy": "no",
        "age": 52,
        "diagnosis": "yes",
        "biopsy": "unsure",
        "active_skin": "no",
        "topical_washout": "yes",
        "stable_meds": None,
    }
    assert summary_lines(answers) == [
        "Age: 52",
        f"{BY_ID['diagnosis'].label}: Yes",
        f"{BY_ID['biopsy'].label}: Not sure",
        f"{BY_ID['active_skin'].label}: No",
        f"{BY_ID['could_be_pregnant'].label}: No",
    ]
    assert summary_lines({}) == []


def test_custom_criteria_can_be_passed_in() -> None:
    tiny = parse_criteria(
        {
            "criteria": [
                {
                    "id": "q",
                    "kind": "yes_no",
                    "label": "Q",
                    "question": "Q?",
                    "why": "Why.",
                    "answers": {"yes": "pass", "no": "fail", "unsure": "review"},
                    "on_fail": "review",
                    "fail_reason": "Team checks.",
                }
            ]
        }
    )
    assert evaluate({"q": "no"}, criteria=tiny).result == "needs_review"
    assert next_question({}, criteria=tiny) == tiny[0]
    assert summary_lines({"q": "yes"}, criteria=tiny) == ["Q: Yes"]


@pytest.mark.parametrize("reply", ["yes", "no", "unsure", "not_applicable", None])
def test_no_one_who_cannot_become_pregnant_can_fail_the_pregnancy_criterion(reply: Any) -> None:
    answers = _with(could_be_pregnant="no", pregnancy=reply)
    outcome = evaluate(answers)
    assert outcome.reasons["pregnancy"].status == "skipped"
    assert outcome.result == "likely_eligible"
    assert next_question({k: v for k, v in answers.items() if k != "pregnancy"}) is None


def test_the_birth_control_question_follows_a_yes_or_not_sure() -> None:
    before = {k: v for k, v in ALL_PASS.items() if k != "pregnancy"}
    for reply in ("yes", "unsure"):
        question = next_question({**before, "could_be_pregnant": reply})
        assert question is not None and question.id == "pregnancy"
