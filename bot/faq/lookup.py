"""Look up the answer to a topic in the trial's answers.yml (trials/<id>/), at reply time.

The NLU decides only the topic ("faq/placebo", "ask_team/cost"); the words come from the
answers file, re-read whenever it changes on disk, so a coordinator's wording fix is live
without retraining or restarting anything. Another answers file is another trial folder
(TRIAL=<path>); there is no setting that overrides one file for every trial.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import yaml

from bot import content

Answer = dict[str, Any]  # {"text": str, "buttons": [{"title", "payload"}]}

_lock = threading.Lock()
_cache: dict[Path, tuple[int, dict[str, Answer]]] = {}


def answers_file() -> Path:
    """The answers of the trial being served (bot.content.serving), else the default's."""
    return content.path("answers")


def load() -> dict[str, Answer]:
    """Every topic's answer, from the file as it is now on disk."""
    path = answers_file()
    stamp = path.stat().st_mtime_ns
    with _lock:
        cached = _cache.get(path)
        if cached and cached[0] == stamp:
            return cached[1]
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        answers = {
            key: {"text": " ".join(str(value["text"]).split()), "buttons": value.get("buttons", [])}
            for key, value in (data.get("answers") or {}).items()
        }
        _cache[path] = (stamp, answers)
        return answers


def answer(key: str, *, with_buttons: bool = True) -> Answer | None:
    """The answer to a topic key, or None when the file has none (never a made-up one)."""
    found = load().get(key)
    if found is None:
        return None
    return {"text": found["text"], "buttons": list(found["buttons"]) if with_buttons else []}


def is_team_question(key: str | None) -> bool:
    """A topic only the study team can answer (the person is offered to reach them)."""
    return bool(key) and str(key).startswith("ask_team/")
