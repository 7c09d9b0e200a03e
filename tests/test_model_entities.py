"""The trained model (models/current.tar.gz) carries the medical entities into parse results."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from rasa.core.agent import Agent

MODEL = Path(__file__).resolve().parents[1] / "models" / "current.tar.gz"


@pytest.fixture(scope="module")
def parse() -> Any:
    if not MODEL.exists():
        pytest.fail("no trained model: run `make train`")
    agent = Agent.load(str(MODEL))

    def run(text: str) -> dict[str, Any]:
        return asyncio.run(agent.parse_message(text))

    return run


def _entities(result: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e for e in result["entities"] if e["entity"] == kind]


def test_medications_with_category_and_status(parse: Any) -> None:
    result = parse("I stopped prednisone last year but I'm still on CellCept")
    meds = {e["value"]: e for e in _entities(result, "medication")}
    assert meds["prednisone"]["role"] == "systemic_corticosteroid"
    assert meds["prednisone"]["status"] == "past"
    assert meds["mycophenolate"]["role"] == "steroid_sparing"
    assert meds["mycophenolate"]["status"] == "current"


def test_age_and_duration(parse: Any) -> None:
    assert [e["value"] for e in _entities(parse("I'm 52"), "age")] == [52]
    [duration] = _entities(parse("stopped the cream 3 weeks ago"), "duration")
    assert duration["value"] == 21 and duration["role"] == "ago"


def test_faq_still_answered_with_entities_present(parse: Any) -> None:
    result = parse("do I need to stop my methotrexate to join the study?")
    assert result["intent"]["name"] == "faq"
