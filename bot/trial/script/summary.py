"""The facts at the top of both documents, as (label, value) pairs and one sentence each,
so the Markdown and the HTML say the same thing."""

from __future__ import annotations

from statistics import median

from bot.trial.script.document import Script
from bot.trial.script.grade import MAX_GRADE

HOW_TO_READ = (
    "This document lists every message a patient can read from the assistant, taken from the "
    "trial's content files. Each message has a number, the place it comes from, and its "
    "reading grade: the US school grade of the Flesch-Kincaid formula (textstat), with a link "
    "read as one word (the formula gives less than 1, even below 0, for very easy text); texts "
    "under 4 words, such as buttons, are not graded. Words in braces, "
    "like {name}, are filled in when the message is sent. The version is a hash of every "
    f"message: any change to any text gives a new version. The limit for this project is grade "
    f"{MAX_GRADE:g}."
)


def facts(script: Script) -> list[tuple[str, str]]:
    trial = script.trial
    graded = script.graded
    if script.approved is None:
        compared = "nothing approved yet"
    else:
        compared = f"approved version {script.approved.version} ({script.approved.approved_at})"
    grades = "none graded"
    if graded:
        grades = (
            f"median {median(graded):.1f}, highest {graded[-1]:.1f}; "
            f"{len(script.too_hard)} above grade {MAX_GRADE:g}"
        )
    return [
        ("Trial", f"{trial.get('nct_id', '')}: {trial.get('title', '')}"),
        ("Sponsor", str(trial.get("sponsor", ""))),
        ("Version", script.version),
        ("Made on", script.made_at.strftime("%Y-%m-%d %H:%M UTC")),
        ("Prescreen criteria version", script.criteria_version),
        ("Compared with", compared),
        ("Messages", f"{script.count} in {len(script.groups)} groups"),
        ("Reading grade", grades),
    ]


def changes_note(script: Script) -> str:
    if script.approved is None:
        return "No copy has been approved yet, so every message below is new."
    if not script.changes:
        return f"No changes since approved version {script.approved.version}."
    counts = {
        k: sum(1 for c in script.changes if c.kind == k) for k in ("changed", "added", "removed")
    }
    parts = [f"{n} {kind}" for kind, n in counts.items() if n]
    return f"Since approved version {script.approved.version}: {', '.join(parts)}."
