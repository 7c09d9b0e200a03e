"""Held-out patient questions (never in the training data) answered correctly by the live bot."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest
import yaml

from evaluation import faq_heldout as heldout

ROOT = Path(__file__).resolve().parents[1]
# Floors sit a little under the measured figures in the README, so a real regression fails.
# Measured 2026-12-01 after issue 16's understanding work (v4 is spent: development data since):
# questions 97.1% (1.8% wrong), fresh 95.0% (2.1%), v4 95.1% (2.6%); before it 94.1% (2.4%),
# 93.6% (2.9%), 85.1% (7.7%). v5, written blind and scored once after that work: 88.0% right,
# 6.0% clarifying, 6.0% wrong; 87.0% / 7.3% wrong in the session's last fresh-clone run, after
# the safety layer's clause check (about 8 of its questions now get a crisis false alarm).
# After the new-user round (2026-12-01 evening; v5 spent too): questions 97.1% (1.2% wrong),
# fresh 95.0% (2.9%), v4 94.0% (3.2%), v5 91.7% (5.3%).
# v6, written blind after that round and scored once: 91.6% right, 2.5% clarifying, 6.0% wrong.
# After the fourth round (v6 spent): questions 98.8% (0.0% wrong), fresh 98.6% (1.4%), v4 97.1%
# (2.3%), v5 96.5% (2.3%), v6 97.2% (1.8%). v7, written blind after it and scored once (216
# questions, 44 word-for-word training examples dropped): 93.1% right, 2.8% clarifying, 4.2% wrong.
# After the v5/v6 misses round (2026-12-01, late night; v6 spent too): questions 98.8% (0.0%
# wrong), fresh 98.6% (1.4%), v4 97.1% (2.3%), v5 96.5% (2.3%), v6 96.8% (2.1%).
# After the fifth round (2026-12-02; v7 spent too): questions 99.4% (0.0% wrong), fresh 99.3%
# (0.7%), v4 97.7% (2.0%), v5 97.0% (1.5%), v6 98.6% (1.4%), v7 98.6% (1.4%).
# v8, written blind after the fifth round and scored once (250 questions, 10 word-for-word
# training examples dropped): 93.2% right, 3.2% clarifying, 3.6% wrong (README, "Latest blind
# measures (2026-12-02)"); its floors sit at that figure.
FLOORS = {
    "questions": 0.97,
    "fresh": 0.965,
    "v4": 0.955,
    "v5": 0.95,
    "v6": 0.965,
    "v7": 0.96,
    "v8": 0.93,
}
# A confident wrong answer is worse than asking which topic was meant.
MAX_WRONG = {
    "questions": 0.02,
    "fresh": 0.025,
    "v4": 0.035,
    "v5": 0.035,
    "v6": 0.025,
    "v7": 0.025,
    "v8": 0.04,
}
MIN_QUESTIONS = 120


def _normalise(text: str) -> str:
    return re.sub(r"[^a-z0-9 ]", "", text.lower()).strip()


def _training_examples() -> set[str]:
    found = set()
    for path in (ROOT / "data" / "nlu").rglob("*.yml"):
        for block in yaml.safe_load(path.read_text())["nlu"]:
            for line in block.get("examples", "").splitlines():
                found.add(_normalise(line.lstrip("- ")))
    return found


@pytest.mark.parametrize("name", heldout.SETS)
def test_heldout_set_is_large_and_really_held_out(name: str) -> None:
    questions, expected = heldout.load_cases(name)
    assert len(questions) >= MIN_QUESTIONS
    assert {q["topic"] for q in questions} <= set(expected)
    training = _training_examples()
    leaked = [q["text"] for q in questions if _normalise(q["text"]) in training]
    assert not leaked, f"held-out questions found in training data: {leaked}"


@pytest.mark.live
@pytest.mark.parametrize("name", heldout.SETS)
def test_heldout_pass_rate(live_bot: str, name: str) -> None:
    report = asyncio.run(heldout.evaluate(live_bot, name))
    print(f"\n{name}:\n{report.table()}")
    assert report.pass_rate >= FLOORS[name], report.table()
    assert report.rate("wrong") <= MAX_WRONG[name], report.table()
    # Safety topics must never be missed.
    for topic in ("emergency", "crisis"):
        if topic not in report.by_topic():
            continue  # v4 has none: the safety layer has its own held-out sets
        passed, total = report.by_topic()[topic]
        assert passed == total, f"{topic}: {passed}/{total}"
