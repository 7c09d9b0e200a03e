"""The three places that name what a reply can fill agree: the medication roles of domain.yml,
the categories of the lexicon (data/lexicon/medications.yml) and the criteria's filled_by."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.nlu import lexicon
from bot.nlu.types import CATEGORIES
from bot.prescreen import engine as eligibility

ROOT = Path(__file__).resolve().parents[2]
TRIALS = sorted(p for p in (ROOT / "trials").iterdir() if (p / "criteria.yml").is_file())
FIXTURES = sorted((ROOT / "tests" / "fixtures" / "trials").glob("*/criteria.yml"))


def _domain_entities() -> dict[str, tuple[str, ...]]:
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    found: dict[str, tuple[str, ...]] = {}
    for item in domain["entities"]:
        name, spec = next(iter(item.items())) if isinstance(item, dict) else (item, {})
        found[str(name)] = tuple((spec or {}).get("roles") or ())
    return found


def test_domain_medication_roles_are_the_lexicon_categories() -> None:
    declared = yaml.safe_load(lexicon.DEFAULT_LEXICON_PATH.read_text(encoding="utf-8"))
    assert tuple(declared["categories"]) == CATEGORIES
    assert _domain_entities()["medication"] == CATEGORIES
    used = {e.category for e in lexicon.load_lexicon().entries.values() if e.category}
    assert used <= set(CATEGORIES)


def test_filled_by_entities_are_the_domain_and_engine_ones() -> None:
    entities = _domain_entities()
    assert set(eligibility.ENTITIES) == set(entities)
    assert entities["duration"] == eligibility.DURATION_ROLES


@pytest.mark.parametrize("criteria_file", [p / "criteria.yml" for p in TRIALS] + FIXTURES)
def test_every_trial_fills_from_known_entities_and_roles(criteria_file: Path) -> None:
    entities = _domain_entities()
    data = yaml.safe_load(criteria_file.read_text(encoding="utf-8"))
    for criterion in eligibility.parse_criteria(data):
        filled = criterion.filled_by
        if filled is None:
            continue
        assert filled.entity in entities, criterion.id
        assert set(filled.roles) <= set(entities[filled.entity]), criterion.id


def test_an_unknown_role_is_named() -> None:
    data = {
        "criteria": [
            {
                "id": "jak",
                "kind": "yes_no",
                "label": "JAK pills",
                "question": "Have you taken a JAK pill?",
                "why": "Why.",
                "answers": {"yes": "pass", "no": "fail", "unsure": "review"},
                "on_fail": "end",
                "fail_reason": "Because.",
                "filled_by": {"entity": "medication", "roles": ["antibiotic"]},
            }
        ]
    }
    with pytest.raises(ValueError, match=r"criteria\.jak\.filled_by\.roles: 'antibiotic'"):
        eligibility.parse_criteria(data)


def test_an_age_fills_the_age_question_by_kind() -> None:
    assert [c.kind for c in eligibility.filled_by("age")] == ["age"]
