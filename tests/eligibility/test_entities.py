"""Answers taken from extracted entities (dicts shaped like the extractor's, so no model)."""

from __future__ import annotations

from typing import Any

import pytest

from bot.prescreen.engine import evaluate, next_question
from bot.prescreen.reading import facts_from_entities as answers_from_entities


def med(value: str, role: str, status: str | None = None, **extra: Any) -> dict[str, Any]:
    return {"entity": "medication", "value": value, "role": role, "status": status, **extra}


PRED = med("prednisone", "systemic_corticosteroid")
MTX = med("methotrexate", "steroid_sparing")

# (message, entities as the extractor gives them, answers, answers with include_negatives)
CASES: list[tuple[str, list[dict[str, Any]], dict[str, Any], dict[str, Any]]] = [
    (
        "prednisone then methotrexate",
        [PRED, MTX],
        {"systemic_steroids": "yes", "steroid_sparing": "yes"},
        {"systemic_steroids": "yes", "steroid_sparing": "yes"},
    ),
    (
        "I take prednisone and rituximab",
        [
            med("prednisone", "systemic_corticosteroid", "current"),
            med("rituximab", "steroid_sparing", "current"),
        ],
        {"systemic_steroids": "yes", "steroid_sparing": "yes"},
        {"systemic_steroids": "yes", "steroid_sparing": "yes"},
    ),
    (
        "not on prednisone anymore",
        [med("prednisone", "systemic_corticosteroid", "past")],
        {"systemic_steroids": "yes"},
        {"systemic_steroids": "yes"},
    ),
    (
        "tacrolimus pills",
        [med("tacrolimus", "steroid_sparing", form="oral", confidence=0.9)],
        {"steroid_sparing": "yes"},
        {"steroid_sparing": "yes"},
    ),
    (
        "I never took methotrexate",
        [med("methotrexate", "steroid_sparing", "never")],
        {},
        {"steroid_sparing": "no"},
    ),
    (
        "never had cellcept but on methotrexate",
        [
            med("mycophenolate", "steroid_sparing", "never"),
            med("methotrexate", "steroid_sparing", "current"),
        ],
        {"steroid_sparing": "yes"},
        {"steroid_sparing": "yes"},
    ),
    (
        "no prednisone, but plaquenil yes",
        [
            med("prednisone", "systemic_corticosteroid", "never"),
            med("hydroxychloroquine", "steroid_sparing"),
        ],
        {"steroid_sparing": "yes"},
        {"systemic_steroids": "no", "steroid_sparing": "yes"},
    ),
    (
        "tried protopic and clobetasol, nothing helped",
        [
            med("tacrolimus", "topical_calcineurin_inhibitor", "past", form="topical"),
            med("clobetasol", "topical_corticosteroid", "past"),
        ],
        {},
        {},
    ),
    (
        "I have never used a steroid cream",
        [med("corticosteroid", "topical_corticosteroid", "never", form="topical", confidence=0.9)],
        {},
        {"topical": "no"},
    ),
    (
        "I'm on steroids (pills or cream? the route was guessed)",
        [med("corticosteroid", "systemic_corticosteroid", "current", confidence=0.7)],
        {},
        {},
    ),
    (
        "not on steroids now but I was years ago (misread as never, route guessed)",
        [med("corticosteroid", "systemic_corticosteroid", "never", confidence=0.7)],
        {},
        {},
    ),
    (
        "tofacitinib and something else",
        [med("tofacitinib", "jak_inhibitor"), med("aspirin", "other")],
        {},
        {},
    ),
    ("I'm 52", [{"entity": "age", "value": 52, "confidence": 1.0}], {"age": 52}, {"age": 52}),
    ("52 (a bare number)", [{"entity": "age", "value": 52, "confidence": 0.6}], {}, {}),
    (
        "I'm 52 and stopped prednisone 3 weeks ago",
        [
            {"entity": "age", "value": 52},
            med("prednisone", "systemic_corticosteroid", "past"),
            {"entity": "duration", "value": 21, "role": "ago"},
        ],
        {"age": 52, "systemic_steroids": "yes"},
        {"age": 52, "systemic_steroids": "yes"},
    ),
    ("nothing found", [], {}, {}),
]


@pytest.mark.parametrize(
    ("entities", "expected", "with_negatives"),
    [(e, a, n) for _, e, a, n in CASES],
    ids=[m for m, *_ in CASES],
)
def test_answers_from_entities(
    entities: list[dict[str, Any]], expected: dict[str, Any], with_negatives: dict[str, Any]
) -> None:
    assert answers_from_entities(entities) == expected
    assert answers_from_entities(entities, include_negatives=True) == with_negatives


def test_one_message_answers_both_medicine_questions() -> None:
    answers = {"age": 52, "diagnosis": "yes", "biopsy": "yes", "active_skin": "yes"}
    answers.update(answers_from_entities([PRED, MTX]))
    question = next_question(answers)
    assert question is not None and question.id == "topical"
    assert evaluate(answers).reasons["steroid_sparing"].status == "pass"
