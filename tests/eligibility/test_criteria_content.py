"""criteria.yml: the questions a patient reads, checked for order, rules and plain language."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest
import textstat

from bot import content
from bot.prescreen.engine import (
    check_texts,
    load_criteria,
    parse_criteria,
    prompt,
    texts,
    version,
)

ROOT = Path(__file__).resolve().parents[2]
# The trial's sources, kept in its folder (trials/<id>/FACTS.md and seed-page.txt).
FACTS = tuple(content.trial_dir() / name for name in content.TRIAL_SOURCES)
MAX_GRADE = 8.0
CRITERIA = load_criteria()
BY_ID = {c.id: c for c in CRITERIA}


def _readable(text: str) -> str:
    return re.sub(r"https?://\S+", "link", text)


def _walk(value: Any, path: str) -> list[tuple[str, str]]:
    if isinstance(value, str):
        return [(path, value)]
    if isinstance(value, dict):
        return [item for k, v in value.items() for item in _walk(v, f"{path}.{k}")]
    return []


PATIENT_TEXTS = _walk(dict(texts()), "texts") + [
    (f"{c.id}.{name}", getattr(c, name))
    for c in CRITERIA
    for name in (
        "label",
        "question",
        "why",
        "fail_reason",
        "confirm",
        "confirm_undo",
        "question_other",
        "confirm_other",
    )
    if getattr(c, name)
]


def test_criteria_come_in_the_agreed_order() -> None:
    assert [c.id for c in CRITERIA] == [
        "age",
        "diagnosis",
        "biopsy",
        "active_skin",
        "systemic_steroids",
        "steroid_sparing",
        "topical",
        "topical_washout",
        "stable_meds",
        "could_be_pregnant",
        "pregnancy",
    ]


def test_version_is_text() -> None:
    assert isinstance(version(), str) and version().strip()


@pytest.mark.parametrize(
    ("cid", "on_fail"),
    [
        ("age", "end"),
        ("diagnosis", "end"),
        ("biopsy", "review"),
        ("active_skin", "end"),
        ("systemic_steroids", "end"),
        ("steroid_sparing", "end"),
        ("topical", "end"),
        ("topical_washout", "review"),
        ("stable_meds", "review"),
        ("could_be_pregnant", "review"),
        ("pregnancy", "end"),
    ],
)
def test_what_a_fail_does_is_explicit(cid: str, on_fail: str) -> None:
    assert BY_ID[cid].on_fail == on_fail


def test_only_the_pregnancy_question_may_not_apply() -> None:
    assert [c.id for c in CRITERIA if c.allows_not_applicable] == ["pregnancy"]


def test_age_range_is_the_registry_range() -> None:
    assert BY_ID["age"].kind == "age"
    assert BY_ID["age"].age_range == (18, 89)
    assert all(c.kind == "yes_no" for c in CRITERIA if c.id != "age")


def test_pregnancy_is_two_questions_and_only_a_yes_or_not_sure_asks_the_second() -> None:
    assert dict(BY_ID["pregnancy"].ask_if) == {"could_be_pregnant": ("yes", "unsure")}
    assert "fail" not in BY_ID["could_be_pregnant"].verdicts.values()
    assert BY_ID["could_be_pregnant"].question.startswith("Could you become pregnant?")


@pytest.mark.parametrize("criterion", CRITERIA, ids=[c.id for c in CRITERIA])
def test_every_question_that_can_end_the_prescreen_has_a_check_and_a_wording_for_others(
    criterion: Any,
) -> None:
    assert criterion.question_other
    assert criterion.question_other.count("?") == criterion.question.count("?")
    if criterion.on_fail == "end":
        assert criterion.confirm and criterion.confirm.startswith("Just to check:")
        assert criterion.confirm.endswith("Is that right?") and criterion.confirm_undo
        assert criterion.confirm_other and criterion.confirm_other.startswith("Just to check:")


def test_washout_is_asked_only_after_a_failed_cream() -> None:
    assert dict(BY_ID["topical_washout"].ask_if) == {"topical": ("yes",)}


@pytest.mark.parametrize(("where", "text"), PATIENT_TEXTS, ids=[p for p, _ in PATIENT_TEXTS])
def test_plain_language(where: str, text: str) -> None:
    grade = textstat.flesch_kincaid_grade(_readable(text))
    assert grade <= MAX_GRADE, f"{where} reads at grade {grade}"


@pytest.mark.parametrize(("where", "text"), PATIENT_TEXTS, ids=[p for p, _ in PATIENT_TEXTS])
def test_never_promises_or_denies_eligibility(where: str, text: str) -> None:
    assert "eligible" not in text.lower(), where


@pytest.mark.parametrize("criterion", CRITERIA, ids=[c.id for c in CRITERIA])
def test_one_short_question_with_a_short_why(criterion: Any) -> None:
    question = criterion.question
    assert question.count("?") == 1 and re.split(r"(?<=[.!?])\s+", question)[0].endswith("?")
    assert len(question.split()) <= 40
    assert 1 <= len(re.findall(r"[.!?](?:\s|$)", criterion.why)) <= 2
    assert 1 <= len(re.findall(r"[.!?](?:\s|$)", criterion.fail_reason)) <= 2


def test_examples_are_short_names() -> None:
    for criterion in CRITERIA:
        for example in criterion.examples:
            assert 1 <= len(example.split()) <= 4 and not example.endswith("."), example


def test_immune_medicine_examples_cover_the_registry_list() -> None:
    shown = " ".join(BY_ID["steroid_sparing"].examples).lower()
    for name in (
        "methotrexate",
        "mycophenolate",
        "azathioprine",
        "hydroxychloroquine",
        "ivig",
        "cyclosporine",
        "tacrolimus",
        "cyclophosphamide",
        "chlorambucil",
        "sirolimus",
        "rituximab",
    ):
        assert name in shown


def test_prompt_adds_the_examples() -> None:
    assert prompt(BY_ID["age"]) == BY_ID["age"].question
    shown = prompt(BY_ID["topical"])
    assert shown.startswith(BY_ID["topical"].question)
    assert "Protopic" in shown and "Elidel" in shown


def test_numbers_come_from_the_sources() -> None:
    sources = " ".join(p.read_text() for p in FACTS if p.exists())
    if not sources:
        pytest.skip("shared/trial sources not beside the checkout")
    allowed = set(re.findall(r"\d+(?:\.\d+)?", sources))
    for where, text in PATIENT_TEXTS:
        for number in re.findall(r"\d+(?:\.\d+)?", text):
            assert number in allowed, f"{where} states {number}, not in the trial sources"


def _data(**changes: Any) -> dict[str, Any]:
    """criteria.yml with the first criterion (or the named one) changed."""
    data = content.load("criteria")
    items = [dict(c) for c in data["criteria"]]
    index = changes.pop("_index", 1)
    items[index] = {k: v for k, v in {**items[index], **changes}.items() if v is not None}
    return {**data, "criteria": items}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"id": "age"}, "used twice"),
        ({"kind": "scale"}, "kind"),
        ({"answers": {"yes": "pass", "no": "fail", "unsure": "fail"}}, "review"),
        ({"answers": {"yes": "pass", "unsure": "review"}}, "lacks no"),
        ({"answers": {"yes": "pass", "no": "maybe", "unsure": "review"}}, "maybe"),
        ({"answers": {"yes": "pass", "no": "fail", "unsure": "review", "often": "pass"}}, "often"),
        ({"on_fail": "stop"}, "on_fail"),
        ({"fail_reason": None}, "fail_reason"),
        ({"question": "  "}, "question"),
        ({"ask_if": {"pregnancy": ["yes"]}}, "not asked before"),
        ({"ask_if": {"age": ["yes"]}}, "ask_if.age"),
        ({"examples": "methotrexate"}, "examples"),
        ({"_index": 0, "range": [89, 18]}, "range"),
        ({"_index": 0, "answers": {"in_range": "pass", "unsure": "review"}}, "out_of_range"),
    ],
)
def test_bad_content_is_rejected(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_criteria(_data(**changes))


def test_empty_criteria_are_rejected() -> None:
    with pytest.raises(ValueError, match="non-empty"):
        parse_criteria({"criteria": []})


def test_texts_are_complete() -> None:
    check_texts(content.load("criteria"))


@pytest.mark.parametrize(
    ("path", "message"),
    [
        (("version",), "version"),
        (("texts", "consent"), "texts"),
        (("texts", "results", "incomplete"), "texts.results"),
        (("texts", "reasons", "skipped"), "texts.reasons"),
        (("texts", "answer_words", "not_applicable"), "texts.answer_words"),
        (("texts", "reasons"), "texts.reasons"),
    ],
)
def test_missing_texts_are_rejected(path: tuple[str, ...], message: str) -> None:
    data = copy.deepcopy(content.load("criteria"))
    parent = data
    for key in path[:-1]:
        parent = parent[key]
    del parent[path[-1]]
    with pytest.raises(ValueError, match=message):
        check_texts(data)


def test_loaded_criteria_cannot_be_changed_by_callers() -> None:
    with pytest.raises(TypeError):
        BY_ID["age"].verdicts["out_of_range"] = "pass"  # type: ignore[index]
