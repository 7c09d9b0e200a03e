"""The typo matcher and the lexicon file: structure, validation, serialisation."""

from __future__ import annotations

from typing import Any

import pytest

from bot.nlu.fuzzy import FuzzyIndex, max_edits, osa_distance
from bot.nlu.lexicon import Lexicon, LexiconError, load_lexicon, parse_lexicon
from bot.nlu.types import CATEGORIES


def test_osa_distance_counts_swaps_as_one_edit() -> None:
    assert osa_distance("prednisone", "prednisone", 2) == 0
    assert osa_distance("predisone", "prednisone", 2) == 1
    assert osa_distance("perdnisone", "prednisone", 2) == 1  # adjacent swap
    assert osa_distance("plaquinel", "plaquenil", 2) == 2
    assert osa_distance("abc", "xyz", 1) == 2  # capped at limit + 1


def test_tolerance_grows_with_length() -> None:
    assert [max_edits(n) for n in (4, 5, 7, 8, 12)] == [0, 1, 1, 2, 2]


def test_fuzzy_index() -> None:
    index = FuzzyIndex(["prednisone", "methotrexate", "medrol", "imuran", "ivig"])
    assert index.lookup("prednisome") == ("prednisone", 1)
    assert index.lookup("METOTREXATE") == ("methotrexate", 1)
    assert index.lookup("medrel") == ("medrol", 1)
    assert index.lookup("medrall") is None  # two edits on a six-letter name
    assert index.lookup("bredisone") is None  # first letter differs
    assert index.lookup("ivg") is None  # too short to guess


def test_repository_lexicon_is_valid_and_complete() -> None:
    lexicon = load_lexicon()
    assert {e.category for e in lexicon.entries.values() if e.category} <= set(CATEGORIES)
    for entry in lexicon.entries.values():
        if entry.by_route is not None:
            assert set(entry.by_route.values()) <= set(CATEGORIES)
    assert lexicon.terms["methotrexat"].generic == "methotrexate"
    assert lexicon.terms["plaquinel"].generic == "hydroxychloroquine"
    assert lexicon.terms["predisone"].generic == "prednisone"
    assert lexicon.terms["protopic"].form == "topical"
    assert lexicon.terms["prograf"].form == "oral"
    assert lexicon.forms["ointment"] == "topical"
    assert lexicon.forms["pills"] == "oral"
    assert len(lexicon.sha256) == 64


def test_lexicon_json_round_trip() -> None:
    lexicon = load_lexicon()
    again = Lexicon.from_json(lexicon.to_json())
    assert again.entries == lexicon.entries
    assert again.terms == lexicon.terms
    assert again.forms == lexicon.forms


def _raw(**entry: Any) -> dict[str, Any]:
    base = {"generic": "drug", "category": "other", "names": ["drugname"]}
    base.update(entry)
    return {"categories": list(CATEGORIES), "forms": {"topical": ["cream"]}, "medications": [base]}


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (_raw(category="antibiotic"), "unknown category"),
        (_raw(category=None), "exactly one of"),
        (_raw(category=None, by_route={"topical": "other", "systemic": "other"}), "default_route"),
        (_raw(names=["cream"]), "both a form word"),
        (_raw(brands=[{"name": "Drugo", "form": "patch"}]), "unknown form"),
        ({"categories": [], "medications": []}, "categories must"),
    ],
)
def test_lexicon_validation(raw: dict[str, Any], message: str) -> None:
    with pytest.raises(LexiconError, match=message):
        parse_lexicon(raw)


def test_conflicting_term_is_rejected() -> None:
    raw = _raw()
    raw["medications"].append({"generic": "other drug", "category": "other", "names": ["drugname"]})
    with pytest.raises(LexiconError, match="maps to both"):
        parse_lexicon(raw)
