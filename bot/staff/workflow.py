"""The statuses a record moves through, contact attempts, and the order of the work queue.

Prescreen records: new -> contacted -> scheduled -> enrolled, with unreachable (tried, no
reply yet), declined (the person does not want to go on) and not a fit at the open steps, and
closed once nothing more will be done. Question records have their own short workflow:
new -> answered -> closed (or unreachable). A mistaken end can be reopened.
"""

from __future__ import annotations

PRESCREEN: dict[str, tuple[str, ...]] = {
    "new": ("contacted", "unreachable", "declined", "not_a_fit"),
    "contacted": ("scheduled", "unreachable", "declined", "not_a_fit"),
    "unreachable": ("contacted", "declined", "closed"),
    "scheduled": ("enrolled", "contacted", "declined", "not_a_fit"),
    "declined": ("contacted", "closed"),
    "not_a_fit": ("contacted", "closed"),
    "enrolled": ("closed",),
    "closed": ("contacted",),
}
QUESTION: dict[str, tuple[str, ...]] = {
    "new": ("answered", "unreachable", "closed"),
    "unreachable": ("answered", "closed"),
    "answered": ("closed", "new"),
    "closed": ("new",),
}
STATUSES = (
    "new",
    "contacted",
    "unreachable",
    "scheduled",
    "answered",
    "declined",
    "not_a_fit",
    "enrolled",
    "closed",
)
STATUS_LABELS = {
    "new": "New",
    "contacted": "Contacted",
    "unreachable": "Unreachable",
    "scheduled": "Scheduled",
    "answered": "Answered",
    "declined": "Declined",
    "not_a_fit": "Not a fit",
    "enrolled": "Enrolled",
    "closed": "Closed",
}
# Queue order: what needs action first (lower first).
STATUS_RANK = {
    "new": 0,
    "unreachable": 1,
    "contacted": 2,
    "scheduled": 3,
    "answered": 4,
}
DONE_RANK = 5  # declined, not a fit, enrolled, closed
OUTCOME_RANK = {"likely_eligible": 0, "needs_review": 1, "question": 2}

CHANNELS = ("call", "email", "text")
CHANNEL_LABELS = {"call": "Call", "email": "E-mail", "text": "Text"}
RESULTS = ("reached", "left_message", "no_answer", "wrong_number")
RESULT_LABELS = {
    "reached": "Reached",
    "left_message": "Left message",
    "no_answer": "No answer",
    "wrong_number": "Wrong number",
}


def transitions(kind: str) -> dict[str, tuple[str, ...]]:
    return QUESTION if kind == "question" else PRESCREEN


def after_attempt(kind: str, status: str, result: str) -> str | None:
    """The status a contact attempt moves a record to, if any: reaching a prescreen person
    who was new or unreachable makes them contacted; a question is answered by hand."""
    if kind != "question" and result == "reached" and status in ("new", "unreachable"):
        return "contacted"
    return None
