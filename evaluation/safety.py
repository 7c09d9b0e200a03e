"""Score the safety layer offline on labelled sets: `python -m evaluation.safety FILE...`.

A FILE has lists `emergency`, `overdose`, `crisis`, `stopped_medicine` and `ordinary` of
{text, category} (tests/safety/*.yml), or is a prescreen reading corpus (`replies:` rows of
[question, kind, text, expected], tests/reading/*.yml) or an FAQ question set (`questions:`
of {text, topic}, tests/heldout/*.yml, less its emergency and crisis topics), whose rows are
all ordinary. For each file: recall on the alarms by section and category (any of the 911 /
988 answers counts, as over the webhook: each says 911 or 988 first), stopping a medicine
caught (any safety answer counts), false alarms on the ordinary messages (any safety answer),
"possible" lines, and every miss and false alarm (`--quiet` leaves those out). The held-out
sets are scored over the live webhook instead (tests/safety/test_heldout*_live.py).
"""

from __future__ import annotations

import argparse
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bot import safety

ALARMS = ("emergency", "overdose", "crisis")
SECTIONS = (*ALARMS, "stopped_medicine", "ordinary")


@dataclass(frozen=True)
class Row:
    section: str
    category: str
    text: str


# Topics of the FAQ question sets that are safety messages, not ordinary questions.
SAFETY_TOPICS = ("emergency", "crisis")


def load(path: Path) -> list[Row]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if "replies" in data:
        return [Row("ordinary", f"reading:{r[0]}", str(r[2])) for r in data["replies"]]
    if "questions" in data:  # an FAQ question set (tests/heldout/*.yml): ordinary but its
        return [  # emergency and crisis topics
            Row("ordinary", f"faq:{q['topic']}", str(q["text"]))
            for q in data["questions"]
            if q["topic"] not in SAFETY_TOPICS
        ]
    return [
        Row(section, str(item.get("category") or section), item["text"])
        for section in SECTIONS
        for item in data.get(section) or []
    ]


def caught(section: str, verdict: safety.Verdict) -> bool:
    """Did the message get what its section needs (for `ordinary`: a false alarm)?"""
    if section in ALARMS:
        return verdict.kind in ALARMS
    return verdict.kind is not None


@dataclass
class Result:
    total: Counter[tuple[str, str]] = field(default_factory=Counter)
    hits: Counter[tuple[str, str]] = field(default_factory=Counter)
    possible: int = 0
    wrong: list[tuple[Row, safety.Verdict]] = field(default_factory=list)

    def count(self, section: str, hits: bool = False) -> int:
        counter = self.hits if hits else self.total
        return sum(n for (s, _), n in counter.items() if s == section)

    def summary(self) -> str:
        alarms = sum(self.count(s) for s in ALARMS)
        found = sum(self.count(s, hits=True) for s in ALARMS)
        parts = [f"recall {found}/{alarms}"] if alarms else []
        parts += [
            f"{s} {self.count(s, True)}/{self.count(s)}"
            for s in (*ALARMS, "stopped_medicine")
            if self.count(s)
        ]
        parts.append(f"false alarms {self.count('ordinary', True)}/{self.count('ordinary')}")
        parts.append(f"possible lines {self.possible}")
        return "; ".join(parts)


def score(rows: Iterable[Row], judge: Callable[[str], safety.Verdict] = safety.assess) -> Result:
    result = Result()
    for row in rows:
        verdict = judge(row.text)
        key = (row.section, row.category)
        result.total[key] += 1
        hit = caught(row.section, verdict)
        result.hits[key] += hit
        if hit == (row.section == "ordinary"):
            result.wrong.append((row, verdict))
        elif row.section == "ordinary" and verdict.possible:
            result.possible += 1
    return result


def report(name: str, result: Result, quiet: bool = False) -> list[str]:
    lines = [f"{name}: {result.summary()}"]
    lines += [
        f"  {s}/{c}: {result.hits[(s, c)]}/{n}"
        for (s, c), n in sorted(result.total.items())
        if s != "ordinary" and result.hits[(s, c)] < n
    ]
    if not quiet:
        for row, verdict in result.wrong:
            tag = "FALSE" if row.section == "ordinary" else "MISS"
            lines.append(f"  {tag} {row.section}/{row.category} {verdict} {row.text}")
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--quiet", action="store_true", help="figures only, no messages")
    args = parser.parse_args(argv)
    safety.warm_up()
    for path in args.files:
        print("\n".join(report(path.name, score(load(path)), args.quiet)))


if __name__ == "__main__":
    main()
