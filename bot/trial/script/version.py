"""The version of a set of messages: a hash of exactly what patients read (keys, texts and
button titles, in order), so the same content always has the same version."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence

from bot.trial.script.messages import Group

LENGTH = 12  # hex digits shown


def version(groups: Sequence[Group]) -> str:
    rows = [[m.key, m.text, list(m.buttons)] for g in groups for m in g.messages]
    payload = json.dumps(rows, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return hashlib.sha256(payload).hexdigest()[:LENGTH]
