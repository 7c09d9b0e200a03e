"""What the queue page, the CSV and the API share: overdue flags, the "why" summary, and
hiding contact details from viewers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot import content
from bot.staff.workhours import WorkHours
from bot.web import present

MAX_QUERY = 200
CONTACT_KEYS = ("name", "email", "phone", "best_time")


class BadFilter(ValueError):
    pass


def refuse_unknown(given: list[str], allowed: set[str]) -> None:
    unknown = sorted(set(given) - allowed)
    if unknown:
        raise BadFilter(
            f"unknown filter(s): {', '.join(u[:40] for u in unknown)}; "
            f"allowed: {', '.join(sorted(allowed))}"
        )


def text_param(value: str | None, name: str) -> str | None:
    value = (value or "").strip() or None
    if value is not None and len(value) > MAX_QUERY:
        raise BadFilter(f"{name} must be at most {MAX_QUERY} characters")
    return value


def trial_param(value: str | None) -> str | None:
    """A ``trial`` filter (a served trial's id, e.g. ``demo-hand-eczema``, or its nct_id) as
    the nct_id handoffs store; another value is kept as given (it matches no record)."""
    value = text_param(value, "trial")
    if value is None:
        return None
    ids = content.nct_ids()
    if value in ids:
        return ids[value]
    return next((nct for nct in ids.values() if nct.lower() == value.lower()), value)


def trials(scope: frozenset[str] | None = None) -> list[dict[str, str]]:
    """The served trials for a filter menu: id, nct_id and short name (only those in the
    user's scope; None: all)."""
    found = []
    for key, nct in content.nct_ids().items():
        if scope is not None and nct not in scope:
            continue
        with content.serving(key):
            found.append({"id": key, "nct_id": nct, "name": str(content.trial()["short_name"])})
    return found


def annotate(record: dict[str, Any], hours: WorkHours, now: datetime) -> dict[str, Any]:
    """record + overdue, due_at, why (a few words), phone {display, tel}, answered_by
    ('daughter (Lucia)' or ''), who_to_call (whom the phone reaches) and calls_caregiver."""
    created = record["created_at"]
    due = hours.due(created) if created is not None else None
    record["due_at"] = due
    record["overdue"] = bool(record["status"] == "new" and due is not None and now > due)
    with content.serving(content.from_nct(record.get("trial"))):  # its own trial's labels
        record["why"] = present.why(record)
    record["phone"] = present.phone(record["contact"].get("phone"))
    record["answered_by"] = present.answered_by(record["contact"])
    record["who_to_call"] = present.who_to_call(record["contact"])
    record["calls_caregiver"] = present.calls_caregiver(record["contact"])
    return record


def redact(record: dict[str, Any]) -> dict[str, Any]:
    """A viewer's copy: no name, e-mail, phone, best time, caregiver's name, transcript (it
    holds what the person typed, contact details included) or search by them."""
    contact = dict(record["contact"])
    for key in CONTACT_KEYS:
        contact[key] = None
    answered_by = contact.get("answered_by")
    if isinstance(answered_by, dict):
        contact["answered_by"] = {"relation": answered_by.get("relation")}
    contact.pop("call", None)
    record = {**record, "contact": contact, "transcript": [], "contact_hidden": True}
    record["phone"] = None
    record["answered_by"] = present.answered_by(contact)  # the relation only
    record["who_to_call"] = ""
    record["calls_caregiver"] = False
    return record
