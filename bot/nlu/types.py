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
