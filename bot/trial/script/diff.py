"""What changed since the approved copy: messages added, removed or changed (by key), and for
a changed text the words taken out and put in."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from bot.trial.script.messages import Group, Message

Kind = Literal["changed", "added", "removed"]
Op = Literal["same", "out", "in"]


@dataclass(frozen=True)
class Change:
    kind: Kind
    group: str
    before: Message | None
    after: Message | None

    @property
    def message(self) -> Message:
        found = self.after or self.before
        assert found is not None
        return found


def _by_key(groups: Sequence[Group]) -> dict[str, tuple[str, Message]]:
    return {m.key: (g.title, m) for g in groups for m in g.messages}


def compare(approved: Sequence[Group], current: Sequence[Group]) -> list[Change]:
    """Changes in the order of the current document; removed messages last."""
    old = _by_key(approved)
    changes: list[Change] = []
    for group in current:
        for message in group.messages:
            was = old.get(message.key)
            if was is None:
                changes.append(Change("added", group.title, None, message))
            elif (was[1].text, was[1].buttons) != (message.text, message.buttons):
                changes.append(Change("changed", group.title, was[1], message))
    new = _by_key(current)
    for key, (title, message) in old.items():
        if key not in new:
            changes.append(Change("removed", title, message, None))
    return changes


def words(before: str, after: str) -> list[tuple[Op, str]]:
    """The text as runs of words kept, taken out and put in (a word-level diff)."""
    a, b = before.split(), after.split()
    runs: list[tuple[Op, str]] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            runs.append(("same", " ".join(a[i1:i2])))
            continue
        if i2 > i1:
            runs.append(("out", " ".join(a[i1:i2])))
        if j2 > j1:
            runs.append(("in", " ".join(b[j1:j2])))
    return runs
