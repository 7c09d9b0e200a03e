"""The value objects the extractors return."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

EntityType = Literal["medication", "age", "duration"]
Status = Literal["current", "past", "never"]
Direction = Literal["ago", "for"]
Form = Literal["topical", "oral", "injection", "infusion"]
Route = Literal["topical", "systemic"]

CATEGORIES: tuple[str, ...] = (
    "systemic_corticosteroid",
    "steroid_sparing",
    "topical_corticosteroid",
    "topical_calcineurin_inhibitor",
    "jak_inhibitor",
    "other",
)
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
