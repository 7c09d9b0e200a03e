"""The value objects the extractors return."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import yaml

EntityType = Literal["medication", "age", "duration"]
Status = Literal["current", "past", "never"]
Direction = Literal["ago", "for"]
Form = Literal["topical", "oral", "injection", "infusion"]
Route = Literal["topical", "systemic"]

LEXICON_PATH = Path(__file__).resolve().parents[2] / "data" / "lexicon" / "medications.yml"


def _lexicon_categories(path: Path = LEXICON_PATH) -> tuple[str, ...]:
    """The medicine categories the lexicon declares (its ``categories:`` list): the roles of
    the medication entity in domain.yml and what a criterion's ``filled_by.roles`` may name."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return tuple(str(c) for c in data.get("categories") or ())


CATEGORIES: tuple[str, ...] = _lexicon_categories()
FORMS: tuple[Form, ...] = ("topical", "oral", "injection", "infusion")
STATUSES: tuple[str, ...] = ("current", "past", "never")


def route_of(form: str | None) -> Route | None:
    """Topical forms act on the skin; every other form is systemic."""
    if form is None:
        return None
    return "topical" if form == "topical" else "systemic"


@dataclass(frozen=True)
class Extracted:
    """One entity found in a message.

    ``value`` is the normalised value: the generic name (medication), years (age) or days
    (duration). ``role`` is the medication category or the duration direction.
    """

    entity: EntityType
    start: int
    end: int
    text: str
    value: str | int
    role: str | None = None
    confidence: float = 1.0
    status: Status | None = None
    form: Form | None = None
    fuzzy: bool = False


def non_overlapping(found: list[Extracted]) -> list[Extracted]:
    """Keep the longest of overlapping mentions (earliest on ties), in text order."""
    kept: list[Extracted] = []
    for item in sorted(found, key=lambda e: (-(e.end - e.start), e.start)):
        if all(item.end <= k.start or item.start >= k.end for k in kept):
            kept.append(item)
    return sorted(kept, key=lambda e: e.start)
