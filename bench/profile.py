"""Sample our Rasa server and action server with py-spy while patients talk to them."""

from __future__ import annotations

import asyncio
import re
import shutil
import subprocess
import sys
import sysconfig
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from bench import loadgen, ours, procs
from bench.common import BENCH_DIR
from bench.servers import Server
from bot.ops.settings import ROOT

# py-spy's raw format: "frame;frame;...;leaf COUNT", each frame "function (path:line)".
FRAME = re.compile(r"^(?P<function>.*?) \((?P<path>[^:()]+)(?::\d+)?\)$")
OUR_DIRS = ("bot/", "actions/", str(ROOT / "bot") + "/", str(ROOT / "actions") + "/")
# Our modules that wrap all of Rasa's message handling (every sample would count as ours).
WRAPPERS = {"bot/rasa/channels.py"}
SITE = Path(sysconfig.get_paths()["purelib"])
STDLIB = Path(sysconfig.get_paths()["stdlib"])


@dataclass
class ServiceProfile:
    name: str
    samples: int = 0
    ours: float = 0.0  # share of samples spent in our code itself (innermost frame ours)
    packages: list[tuple[str, float]] = field(default_factory=list)  # self time by package
    our_functions: list[tuple[str, float]] = field(default_factory=list)  # inclusive share
    path: str = ""


@dataclass
class Profile:
    seconds: float
    concurrency: int
    services: list[ServiceProfile] = field(default_factory=list)
    note: str = ""


def relative(path: str) -> str:
    """py-spy shortens paths to the module's path under sys.path; make absolute ones alike."""
    for base in (ROOT, SITE, STDLIB):
        if path.startswith(str(base) + "/"):
            return path[len(str(base)) + 1 :]
    return path


def package_of(path: str) -> str:
    path = relative(path)
    if path.startswith(OUR_DIRS):
        return "ours: " + str(Path(path).parent)
    top = path.split("/", 1)[0].removesuffix(".py")
    if (SITE / top).exists() or (SITE / f"{top}.py").exists():
        return top
    if (STDLIB / top).exists() or (STDLIB / f"{top}.py").exists():
        return "python stdlib"
    return "other"


def summarise(name: str, raw: str, path: Path) -> ServiceProfile:
    result = ServiceProfile(name=name, path=str(path.relative_to(ROOT)))
    self_time: Counter[str] = Counter()
    ours_inclusive: Counter[str] = Counter()
    ours_samples = 0
    for line in raw.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [m for m in (FRAME.match(f) for f in stack.split(";")) if m]
        if not frames:
            continue
        result.samples += count
        leaf = package_of(frames[-1]["path"])
        self_time[leaf] += count
        if leaf.startswith("ours: "):
            ours_samples += count
        mine = {
            f"{m['function']} ({relative(m['path'])})"
            for m in frames
            if relative(m["path"]).startswith(OUR_DIRS) and relative(m["path"]) not in WRAPPERS
        }
        for function in mine:
            ours_inclusive[function] += count
    if result.samples:
        result.ours = ours_samples / result.samples
        result.packages = [(p, c / result.samples) for p, c in self_time.most_common(8)]
        result.our_functions = [(f, c / result.samples) for f, c in ours_inclusive.most_common(6)]
    return result


def py_spy() -> str | None:
    local = Path(sys.executable).with_name("py-spy")
    return str(local) if local.exists() else shutil.which("py-spy")


def record(server: Server, url: str, concurrency: int, seconds: float = 20.0) -> Profile:
    """Run `concurrency` patients for `seconds` while py-spy samples each of our servers."""
    profile = Profile(seconds=seconds, concurrency=concurrency)
    binary = py_spy()
    if binary is None:
        profile.note = "py-spy is not installed (`.venv/bin/pip install py-spy`): no profile"
        return profile
    targets = {}
    for pid in procs.tree_of(server.pid):
        name = ours.classify(procs.cmdline(pid))
        if name in ("Rasa server", "action server") and name not in targets:
            targets[name] = pid
    spies = []
    for name, pid in targets.items():
        out = BENCH_DIR / f"profile-{name.split()[0].lower()}.txt"
        command = [binary, "record", "--pid", str(pid), "--duration", str(int(seconds)),
                   "--rate", "50", "--format", "raw",
                   "--output", str(out)]  # fmt: skip
        log = (BENCH_DIR / "log" / "py-spy.log").open("ab")
        spies.append((name, out, subprocess.Popen(command, stdout=log, stderr=log)))
        log.close()
    asyncio.run(loadgen.run_load(url, loadgen.OURS, concurrency, seconds, label="profile"))
    for name, out, spy in spies:
        try:
            spy.wait(timeout=seconds + 60)
        except subprocess.TimeoutExpired:
            spy.kill()
            spy.wait()
        if spy.returncode != 0 or not out.exists():
            profile.note = f"py-spy failed for the {name}; see var/bench/log/py-spy.log"
            continue
        profile.services.append(summarise(name, out.read_text(errors="replace"), out))
    return profile
