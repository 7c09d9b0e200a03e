"""Score the safety layer offline on a labelled set: `python -m bot.safety.evaluate FILE`.

FILE has lists `emergency`, `crisis` and `ordinary` of {text, category}. Prints recall on the
first two (a safety answer of any kind counts: each one says 911 or 988 first), the false-alarm
rate on `ordinary`, and every miss. The held-out set is scored over the live webhook instead
(tests/safety/test_heldout_live.py); this is for the development set.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml

from bot import safety


def score(data: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    misses, alarms = [], []
    counts = {"alarm": 0, "alarm_caught": 0, "ordinary": 0, "false_alarms": 0, "possible": 0}
    for section in ("emergency", "crisis"):
        for item in data.get(section) or []:
            verdict = safety.assess(item["text"])
            counts["alarm"] += 1
            if verdict.kind in ("emergency", "overdose", "crisis"):
                counts["alarm_caught"] += 1
            else:
                misses.append((section, item.get("category"), verdict, item["text"]))
    for item in data.get("ordinary") or []:
        verdict = safety.assess(item["text"])
        counts["ordinary"] += 1
        if verdict.kind is not None:
            counts["false_alarms"] += 1
            alarms.append((item.get("category"), verdict, item["text"]))
        elif verdict.possible:
            counts["possible"] += 1
    return {"counts": counts, "misses": misses, "false_alarms": alarms}


def main(path: str) -> None:
    result = score(yaml.safe_load(Path(path).read_text(encoding="utf-8")))
    c = result["counts"]
    print(f"recall {c['alarm_caught']}/{c['alarm']}", end="; ")
    print(f"false alarms {c['false_alarms']}/{c['ordinary']}; possible lines {c['possible']}")
    for miss in result["misses"]:
        print("MISS", *miss)
    for alarm in result["false_alarms"]:
        print("FALSE", *alarm)


if __name__ == "__main__":
    main(sys.argv[1])
