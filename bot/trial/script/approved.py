"""The approved copy, kept in the trial folder: ``approved/script.md`` (what the board read)
and ``approved/script.json`` (the same messages, which the diff reads)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from bot.trial.script.messages import Group, Message

FOLDER = "approved"


@dataclass(frozen=True)
class Approved:
    version: str
    approved_at: str  # ISO date and time, UTC
    groups: tuple[Group, ...]


def folder(trial_folder: Path) -> Path:
    return trial_folder / FOLDER


def load(trial_folder: Path) -> Approved | None:
    """The last approved copy, or None when nothing was approved yet."""
    path = folder(trial_folder) / "script.json"
    if not path.is_file():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    groups = tuple(
        Group(
            g["title"],
            tuple(
                Message(m["key"], m["title"], m["text"], tuple(m["buttons"])) for m in g["messages"]
            ),
        )
        for g in data["groups"]
    )
    return Approved(str(data["version"]), str(data["approved_at"]), groups)


def record(trial_folder: Path, approved: Approved, markdown: str) -> Path:
    """Keep ``approved`` as the copy later versions are compared with; returns its folder."""
    where = folder(trial_folder)
    where.mkdir(parents=True, exist_ok=True)
    data = {
        "version": approved.version,
        "approved_at": approved.approved_at,
        "groups": [
            {
                "title": g.title,
                "messages": [
                    {"key": m.key, "title": m.title, "text": m.text, "buttons": list(m.buttons)}
                    for m in g.messages
                ],
            }
            for g in approved.groups
        ],
    }
    text = json.dumps(data, ensure_ascii=False, indent=1) + "\n"
    (where / "script.json").write_text(text, encoding="utf-8")
    (where / "script.md").write_text(markdown, encoding="utf-8")
    return where
