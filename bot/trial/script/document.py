"""One review copy: the trial folder's messages with their grades, the version, and what
changed since the approved copy."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from bot import content
from bot.prescreen import engine as eligibility
from bot.trial.script import approved as approved_copy
from bot.trial.script import diff, grade, messages, source, version
from bot.trial.script.approved import Approved


@dataclass(frozen=True)
class Script:
    folder: Path
    trial: Mapping[str, str]
    criteria_version: str
    made_at: datetime  # UTC
    version: str
    groups: tuple[messages.Group, ...]
    grades: Mapping[str, float | None]  # by message key
    approved: Approved | None
    changes: tuple[diff.Change, ...]

    @property
    def count(self) -> int:
        return sum(len(g.messages) for g in self.groups)

    @property
    def made_on(self) -> str:
        return self.made_at.strftime("%Y-%m-%d")

    @property
    def numbers(self) -> dict[str, str]:
        """Each message's number in the document ("3.2": group 3, message 2), by key."""
        return {
            m.key: f"{g}.{i}"
            for g, group in enumerate(self.groups, 1)
            for i, m in enumerate(group.messages, 1)
        }

    @property
    def graded(self) -> list[float]:
        return sorted(v for v in self.grades.values() if v is not None)

    @property
    def too_hard(self) -> list[str]:
        """Keys of the messages above the project's grade limit."""
        return [k for k, v in self.grades.items() if grade.too_hard(v)]

    def as_approved(self) -> Approved:
        return Approved(self.version, self.made_at.isoformat(timespec="seconds"), self.groups)


def build(folder: str | Path, now: datetime | None = None) -> Script:
    """Read every message from ``folder`` (through the runtime's loaders) and compare it with
    the folder's approved copy."""
    with source.trial_folder(folder) as path:
        groups = tuple(messages.collect())
        trial = dict(content.trial())
        criteria_version = eligibility.version()
    last = approved_copy.load(path)
    return Script(
        folder=path,
        trial=trial,
        criteria_version=criteria_version,
        made_at=(now or datetime.now(timezone.utc)).astimezone(timezone.utc),
        version=version.version(groups),
        groups=groups,
        grades={m.key: grade.grade(m.prose or m.text) for g in groups for m in g.messages},
        approved=last,
        changes=tuple(diff.compare(last.groups, groups)) if last else (),
    )
