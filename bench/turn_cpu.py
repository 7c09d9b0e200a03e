"""CPU time per FAQ turn, by process, one conversation at a time: a figure that other people's
work on the shared machine moves much less than latency does.

Sends held-out FAQ questions (four per conversation, as bench/loadgen.py's FAQ script) to a
running bot's REST webhook one after another, and reads each server process's CPU time
(/proc) before and after. Prints the turns' p50/p95 wall time and the CPU milliseconds per
turn of every process whose command line matches one of the given names.

Run it once per freshly started server: the encoder's recent vectors and the safety layer's
verdict memo serve a repeated question almost free, so a second run over the same questions
measures the memos (22 ms instead of 31 ms per turn in the Rasa server).

Usage: python -m bench.turn_cpu URL TURNS NAME=PID [NAME=PID ...]
"""

from __future__ import annotations

import asyncio
import sys
import time
import uuid

import aiohttp

from bench import procs
from bench.loadgen import QUESTIONS


async def turns(url: str, count: int) -> list[float]:
    times = []
    async with aiohttp.ClientSession() as session:
        sender = ""
        for i in range(count):
            if i % 4 == 0:
                sender = f"cpu-{uuid.uuid4().hex[:12]}"
            text = QUESTIONS[i % len(QUESTIONS)]
            start = time.perf_counter()
            async with session.post(
                f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": text}
            ) as response:
                await response.read()
            times.append(time.perf_counter() - start)
    return times


def main(url: str, count: int, targets: dict[str, int]) -> None:
    before = {name: procs.cpu_seconds(pid) for name, pid in targets.items()}
    times = sorted(asyncio.run(turns(url, count)))
    after = {name: procs.cpu_seconds(pid) for name, pid in targets.items()}
    p50, p95 = times[len(times) // 2], times[int(0.95 * len(times))]
    print(f"{count} FAQ turns: p50 {1000 * p50:.1f} ms  p95 {1000 * p95:.1f} ms")
    for name in targets:
        print(f"  {name:>8}: {1000 * (after[name] - before[name]) / count:6.2f} ms CPU per turn")


if __name__ == "__main__":
    main(
        sys.argv[1],
        int(sys.argv[2]),
        {k: int(v) for k, v in (a.split("=") for a in sys.argv[3:])},
    )
