"""A short, targeted measurement of prescreen turns (issue 15), beside `make bench`.

Starts our bot as `make run` does (`python -m bot run`, ports from BENCH_PORT_BASE), warms it
up, then N concurrent simulated patients run the button prescreen (with one FAQ question
mid-way and the contact details) for BENCH_SECONDS (default 40) at each level in
BENCH_LEVELS (default 1,10). Prints p50 / p95 of the prescreen answer turns only (the FAQ
question and the contact turns are left out), messages/s, errors and wrong replies.

    PYTHONPATH=$PWD .venv/bin/python -m bench.prescreen_turns
"""

from __future__ import annotations

import asyncio
import os
import random
import sys

from bench import loadgen, ours, procs
from bench.common import BENCH_DIR
from bot.prescreen import engine as eligibility

ANSWERS = {"52", "Yes", "No", "Yes, let's start"}


def prescreen(rng: random.Random) -> list[loadgen.Step]:
    steps = loadgen.prescreen_buttons(rng)
    if "could_be_pregnant" not in {c.id for c in eligibility.load_criteria()}:
        return steps  # the code before issue 15, for the "before" figure
    # Since issue 15 the last question is "Could you become pregnant?" (Yes / No / Not sure).
    return [("No", want) if text == "Does not apply" else (text, want) for text, want in steps]


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return 1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def cpu_by_process(root: int) -> dict[str, float]:
    """CPU seconds so far of the Rasa server and of the action server (busy machine or not)."""
    found = {"rasa": 0.0, "actions": 0.0}
    for pid in procs.tree_of(root):
        command = procs.cmdline(pid)
        if "run actions" in command:
            found["actions"] += procs.cpu_seconds(pid)
        elif "rasa run" in command:
            found["rasa"] += procs.cpu_seconds(pid)
    return found


async def measure(url: str, level: int, seconds: float, root: int) -> str:
    before = cpu_by_process(root)
    result = await loadgen.run_load(url, [(1.0, prescreen)], level, seconds, f"x{level}")
    after = cpu_by_process(root)
    turns = max(1, len(result.latencies))
    cpu = {k: 1000 * (after[k] - before[k]) / turns for k in after}
    answer_turns = [t for text, t in result.turns if text in ANSWERS]
    return (
        f"x{level:<3} CPU per turn: Rasa {cpu['rasa']:5.1f} ms, action server "
        f"{cpu['actions']:5.1f} ms\n"
        f"x{level:<3} prescreen answer turns: n {len(answer_turns)}  "
        f"p50 {quantile(answer_turns, 0.5):6.0f} ms  p95 {quantile(answer_turns, 0.95):6.0f} ms"
        f"  | all turns p50 {result.p50:6.0f} ms  {result.throughput:5.1f} msg/s  "
        f"errors {result.errors}  timeouts {result.timeouts}  wrong {result.wrong}"
        + "".join(f"\n      {s}" for s in result.error_samples[:3])
    )


def main() -> int:
    seconds = float(os.environ.get("BENCH_SECONDS", "40"))
    levels = [int(x) for x in os.environ.get("BENCH_LEVELS", "1,10").split(",")]
    (BENCH_DIR / "log").mkdir(parents=True, exist_ok=True)
    server = ours.server()
    server.start()
    try:
        server.wait_ready(240)
        asyncio.run(loadgen.warm_up(ours.url(), [(1.0, prescreen)]))
        for level in levels:
            print(asyncio.run(measure(ours.url(), level, seconds, server.pid)), flush=True)
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
