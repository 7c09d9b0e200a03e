"""Processes seen through /proc: trees, resident memory (peak) and CPU time, sampled in a thread."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def parent_of(pid: int) -> int:
    stat = _read(f"/proc/{pid}/stat")
    # The command name (field 2) may contain spaces: split after its closing parenthesis.
    fields = stat[stat.rfind(")") + 2 :].split()
    return int(fields[1]) if fields else 0


def children_map() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            tree.setdefault(parent_of(int(entry)), []).append(int(entry))
    return tree


def tree_of(pid: int, tree: dict[int, list[int]] | None = None) -> list[int]:
    """The process and all its descendants."""
    tree = tree if tree is not None else children_map()
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(tree.get(current, []))
    return found


def cmdline(pid: int) -> str:
    return _read(f"/proc/{pid}/cmdline").replace("\0", " ").strip()


def rss_kb(pid: int) -> int:
    statm = _read(f"/proc/{pid}/statm").split()
    return int(statm[1]) * PAGE_KB if len(statm) > 1 else 0


def cpu_seconds(pid: int) -> float:
    stat = _read(f"/proc/{pid}/stat")
    fields = stat[stat.rfind(")") + 2 :].split()
    if len(fields) < 13:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime


def machine_busy_seconds() -> float:
    """CPU seconds all cores spent not idle since boot (from /proc/stat)."""
    first = _read("/proc/stat").splitlines()[0].split()[1:]
    values = [int(v) for v in first[:8]]
    idle = values[3] + values[4]  # idle + iowait
    return (sum(values) - idle) / CLOCK_TICKS


# name of a process (or None to ignore it) from its command line
Classifier = Callable[[str], "str | None"]


class Sampler:
    """Samples the trees under `roots` every `interval` seconds, in a background thread.

    Keeps, per service name, the peak of the summed resident memory of its processes, and the
    CPU seconds each process used (last seen value), so a phase's own CPU use can be told apart
    from other work on the machine.
    """

    def __init__(self, classify: Classifier, interval: float = 0.25) -> None:
        self.classify = classify
        self.interval = interval
        self.roots: list[int] = []
        self.peak_kb: dict[str, int] = {}
        self.cpu: dict[int, float] = {}
        self.seen: set[int] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def watch(self, pid: int) -> None:
        with self._lock:
            self.roots.append(pid)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def sample(self) -> None:
        tree = children_map()
        totals: dict[str, int] = {}
        with self._lock:
            roots = list(self.roots)
        for root in roots:
            for pid in tree_of(root, tree):
                name = self.classify(cmdline(pid))
                if name is None:
                    continue
                totals[name] = totals.get(name, 0) + rss_kb(pid)
                seconds = cpu_seconds(pid)
                with self._lock:
                    self.seen.add(pid)
                    if seconds:
                        self.cpu[pid] = max(self.cpu.get(pid, 0.0), seconds)
        with self._lock:
            for name, kb in totals.items():
                self.peak_kb[name] = max(self.peak_kb.get(name, 0), kb)

    def cpu_total(self) -> float:
        self.sample()
        with self._lock:
            return sum(self.cpu.values())

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.sample()
            time.sleep(self.interval)


class PhaseClock:
    """Wall time, our processes' CPU time and the whole machine's busy time over one phase."""

    def __init__(self, samplers: list[Sampler]) -> None:
        self.samplers = samplers
        self.wall = time.monotonic()
        self.ours = self._ours()
        self.machine = machine_busy_seconds()

    def _ours(self) -> float:
        own = os.times()
        return own.user + own.system + sum(s.cpu_total() for s in self.samplers)

    def other_cores(self) -> float:
        """Average cores busy with work that is not ours (other users of the machine)."""
        wall = time.monotonic() - self.wall
        other = (machine_busy_seconds() - self.machine) - (self._ours() - self.ours)
        return max(0.0, other / wall) if wall > 0 else 0.0
