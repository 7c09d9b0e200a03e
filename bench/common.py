"""Paths, ports and environment shared by the bench modules."""

from __future__ import annotations

import os
import sys
from functools import cache
from pathlib import Path

from bench.servers import BenchError
from bot.ops.settings import ROOT
from bot.ops.stack import port_free

BENCH_DIR = ROOT / "var" / "bench"
RESULTS = ROOT / "bench" / "RESULTS.md"
PLOT = ROOT / "bench" / "latency.png"
HOST = "127.0.0.1"


def free_ports(offset: int, count: int = 1) -> int:
    """The first port p >= base + offset with p .. p + count - 1 free, in the bench's range.

    The range is BENCH_PORT_BASE (default 34000) to base + 999. It lies among the ports the
    system gives to outgoing connections, so a planned port is sometimes taken for a moment.
    """
    base = int(os.environ.get("BENCH_PORT_BASE", "34000"))
    for first in range(base + offset, base + 1000 - count):
        if all(port_free(HOST, p) for p in range(first, first + count)):
            return first
    raise BenchError(f"no {count} free port(s) from {base + offset} to {base + 999}")


@cache
def port(offset: int) -> int:
    """A free port near base + offset, the same one for the whole run."""
    return free_ports(offset)


def rasa_bin() -> str:
    return str(Path(sys.executable).with_name("rasa"))


def base_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        RASA_TELEMETRY_ENABLED="false",
        TF_CPP_MIN_LOG_LEVEL="2",
        PYTHONWARNINGS="ignore",
        SQLALCHEMY_SILENCE_UBER_WARNING="1",
        PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
    )
    return env
