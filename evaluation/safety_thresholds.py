"""Check the classifier's thresholds by leaving one file out:
`python -m evaluation.safety_thresholds FILE...` (the development sets of tests/safety/ and
tests/reading/).

For each file in turn, the thresholds (`classifier` in bot/content/safety.yml) are chosen on the
other files from a small grid, as the lowest cost (a missed alarm costs `--miss-cost` false
alarms, a missed "stopped a medicine" one), and scored on the file left out. The sum over the
left-out files estimates what the chosen thresholds do on a set nobody tuned them to; the same
is printed for the thresholds in use. The classifier's scores and the patterns' verdicts of each
message are computed once (the grid only moves the thresholds).
"""

from __future__ import annotations

import argparse
import itertools
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from bot import safety
from bot.nlu import language
from bot.safety import model, patterns
from evaluation import safety as evaluate

GRID = {
    "alarm": (0.5, 0.55, 0.6, 0.65, 0.7),
    "crisis_alarm": (0.4, 0.45, 0.5, 0.55, 0.6),
    "question_alarm": (0.8, 0.9, 0.95),
    "stopped": (0.6, 0.7, 0.8),
    "disarmed_alarm": (0.9, 0.95, 0.98, 1.01),
}


def _memoise() -> None:
    """The grid re-reads each message many times: keep every score and pattern verdict."""
    classifier = model.classifier()
    scores: Callable[..., Any] = cache(classifier.scores)
    classifier.scores = scores  # type: ignore[method-assign]
    for name in ("match", "over", "asks_about_risk", "urgent", "explained_stop", "long_ago"):
        setattr(patterns, name, cache(getattr(patterns, name)))
    for name in ("is_english",):
        setattr(language, name, cache(getattr(language, name)))


Figures = tuple[int, int, int, int, int, int]  # alarms missed/total, stopped, false alarms


def figures(rows: list[evaluate.Row], limits: dict[str, float]) -> Figures:
    result = evaluate.score(rows, lambda text: safety.decide(text, limits))
    alarms = sum(result.count(s) for s in evaluate.ALARMS)
    found = sum(result.count(s, True) for s in evaluate.ALARMS)
    stopped = result.count("stopped_medicine")
    return (
        alarms - found,
        alarms,
        stopped - result.count("stopped_medicine", True),
        stopped,
        result.count("ordinary", True),
        result.count("ordinary"),
    )


def cost(f: Figures, miss_cost: float) -> float:
    return miss_cost * f[0] + f[2] + f[4]


def _add(*many: Figures) -> Figures:
    a, b, c, d, e, f = (sum(v) for v in zip(*many, strict=True))
    return a, b, c, d, e, f


def _line(name: str, f: Figures) -> str:
    return (
        f"{name}: alarms missed {f[0]}/{f[1]}, stopped missed {f[2]}/{f[3]}, "
        f"false alarms {f[4]}/{f[5]}"
    )


def _picked(limits: dict[str, float]) -> str:
    return ", ".join(f"{k} {limits[k]}" for k in GRID)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--miss-cost", type=float, default=5.0)
    args = parser.parse_args(argv)
    safety.warm_up()
    _memoise()
    base = safety._thresholds()
    sets = [evaluate.load(path) for path in args.files]
    grid = [{**base, **dict(zip(GRID, v, strict=True))} for v in itertools.product(*GRID.values())]
    # Each file's figures under each point of the grid, and under the thresholds in use.
    table = [[figures(rows, limits) for rows in sets] for limits in grid]
    now = [figures(rows, base) for rows in sets]

    def best(files: list[int]) -> int:
        costs = [cost(_add(*(row[i] for i in files)), args.miss_cost) for row in table]
        return costs.index(min(costs))

    left_out = []
    for i, path in enumerate(args.files):
        chosen = best([j for j in range(len(sets)) if j != i])
        left_out.append(table[chosen][i])
        print(_line(f"{path} left out ({_picked(grid[chosen])})", table[chosen][i]))
        print(_line(f"{path} with the thresholds in use", now[i]))
    print(_line("ALL, each file with thresholds chosen without it", _add(*left_out)))
    print(_line("ALL, thresholds in use", _add(*now)))
    print("chosen on all files:", _picked(grid[best(list(range(len(sets))))]))


if __name__ == "__main__":
    main()
