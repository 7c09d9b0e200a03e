"""Score the extractor on tests/nlu/entity_testset.yml.

    python -m evaluation.entities [--testset PATH] [--errors] [--rounds N]

Prints precision / recall / F1 per entity type and the p50 / p95 extraction latency, and
exits with status 1 when a score is below its floor (see FLOORS, MAX_P95_MS).
Scoring compares normalised values per sentence as multisets (spans are not scored):
medication-category = (generic, category), medication-status = (generic, status or
"unspecified"), age = years, duration = (days, direction).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from bot.nlu.extract import MedicalExtractor
from bot.nlu.types import Extracted

DEFAULT_TESTSET = Path(__file__).resolve().parents[1] / "tests" / "nlu" / "entity_testset.yml"
METRICS = ("medication-value", "medication-category", "medication-status", "age", "duration")
FLOORS = {"medication-category": 0.95, "age": 0.95, "duration": 0.90}
MAX_P95_MS = 5.0

Key = tuple[Any, ...]


@dataclass(frozen=True)
class Example:
    text: str
    gold: tuple[dict[str, Any], ...]


@dataclass(frozen=True)
class TestSet:
    today: date
    examples: tuple[Example, ...]


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class Report:
    scores: dict[str, Score]
    errors: list[tuple[str, str, list[Key], list[Key]]] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)

    def percentile(self, q: float) -> float:
        if not self.latencies_ms:
            return 0.0
        ordered = sorted(self.latencies_ms)
        index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))
        return ordered[index]

    def failures(self) -> list[str]:
        problems = [
            f"{name} F1 {self.scores[name].f1:.3f} < {floor:.2f}"
            for name, floor in FLOORS.items()
            if self.scores[name].f1 < floor
        ]
        if self.latencies_ms and self.percentile(95) > MAX_P95_MS:
            problems.append(f"p95 latency {self.percentile(95):.2f} ms > {MAX_P95_MS} ms")
        return problems


def load_testset(path: Path = DEFAULT_TESTSET) -> TestSet:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    today = raw["today"]
    if not isinstance(today, date):
        today = date.fromisoformat(str(today))
    examples = tuple(
        Example(text=str(item["text"]), gold=tuple(item.get("entities") or ()))
        for item in raw["sentences"]
    )
    return TestSet(today=today, examples=examples)


def gold_keys(gold: Iterable[dict[str, Any]]) -> dict[str, list[Key]]:
    keys: dict[str, list[Key]] = {name: [] for name in METRICS}
    for g in gold:
        kind = g["entity"]
        if kind == "medication":
            keys["medication-value"].append((g["value"],))
            keys["medication-category"].append((g["value"], g["category"]))
            keys["medication-status"].append((g["value"], g.get("status") or "unspecified"))
        elif kind == "age":
            keys["age"].append((int(g["value"]),))
        elif kind == "duration":
            keys["duration"].append((int(g["value"]), g["direction"]))
        else:
            raise ValueError(f"unknown gold entity type {kind!r}")
    return keys


def predicted_keys(found: Iterable[Extracted]) -> dict[str, list[Key]]:
    keys: dict[str, list[Key]] = {name: [] for name in METRICS}
    for e in found:
        if e.entity == "medication":
            keys["medication-value"].append((e.value,))
            keys["medication-category"].append((e.value, e.role))
            keys["medication-status"].append((e.value, e.status or "unspecified"))
        elif e.entity == "age":
            keys["age"].append((e.value,))
        else:
            keys["duration"].append((e.value, e.role))
    return keys


def score(testset: TestSet, extract: Callable[[str, date], Sequence[Extracted]]) -> Report:
    report = Report(scores={name: Score() for name in METRICS})
    for example in testset.examples:
        gold = gold_keys(example.gold)
        predicted = predicted_keys(extract(example.text, testset.today))
        for name in METRICS:
            g, p = Counter(gold[name]), Counter(predicted[name])
            tp = sum((g & p).values())
            s = report.scores[name]
            s.tp += tp
            s.fp += sum(p.values()) - tp
            s.fn += sum(g.values()) - tp
            if g != p:
                report.errors.append(
                    (
                        name,
                        example.text,
                        sorted(g.elements(), key=str),
                        sorted(p.elements(), key=str),
                    )
                )
    return report


def measure_latency(
    testset: TestSet, extract: Callable[[str, date], Sequence[Extracted]], rounds: int = 3
) -> list[float]:
    """Per-message wall time in ms over ``rounds`` passes, after one warm-up pass."""
    for example in testset.examples:
        extract(example.text, testset.today)
    timings: list[float] = []
    for _ in range(rounds):
        for example in testset.examples:
            started = time.perf_counter()
            extract(example.text, testset.today)
            timings.append((time.perf_counter() - started) * 1000)
    return timings


def format_report(report: Report, n_sentences: int) -> str:
    lines = [
        f"{'entity type':<22}{'P':>7}{'R':>7}{'F1':>7}{'TP':>6}{'FP':>5}{'FN':>5}  floor",
        "-" * 66,
    ]
    for name in METRICS:
        s = report.scores[name]
        floor = f">= {FLOORS[name]:.2f}" if name in FLOORS else ""
        lines.append(
            f"{name:<22}{s.precision:>7.3f}{s.recall:>7.3f}{s.f1:>7.3f}"
            f"{s.tp:>6}{s.fp:>5}{s.fn:>5}  {floor}"
        )
    lines.append("-" * 66)
    if report.latencies_ms:
        timings = report.latencies_ms
        lines.append(
            f"latency per message over {len(timings)} calls: "
            f"p50 {report.percentile(50):.2f} ms, p95 {report.percentile(95):.2f} ms, "
            f"max {max(timings):.2f} ms, mean {statistics.mean(timings):.2f} ms "
            f"(limit p95 <= {MAX_P95_MS} ms)"
        )
    lines.append(f"{n_sentences} test sentences")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--testset", type=Path, default=DEFAULT_TESTSET)
    parser.add_argument("--errors", action="store_true", help="list every mismatch")
    parser.add_argument("--rounds", type=int, default=3, help="timed passes over the set")
    args = parser.parse_args(argv)

    testset = load_testset(args.testset)
    extractor = MedicalExtractor.build()
    report = score(testset, extractor.extract)
    report.latencies_ms = measure_latency(testset, extractor.extract, rounds=args.rounds)
    if args.errors:
        for name, text, gold, predicted in report.errors:
            print(f"[{name}] {text!r}\n    gold: {gold}\n    got:  {predicted}")
        print()
    print(format_report(report, len(testset.examples)))
    failures = report.failures()
    for problem in failures:
        print(f"BELOW FLOOR: {problem}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
