"""Start a server command, time it to ready, and stop it with everything it started."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench import procs
from bot.ops.stack import http_ok


class BenchError(RuntimeError):
    """Something the bench needs did not work; the message says what and where to look."""


@dataclass
class Server:
    name: str
    command: list[str]
    cwd: Path
    env: dict[str, str]
    log_path: Path
    health_urls: list[str]
    process: subprocess.Popen[bytes] | None = None
    started: float = 0.0
    # Every process of this server seen while it ran, so none outlives the bench.
    # pid -> command line, so a pid the system has since reused is never touched.
    seen: dict[int, str] = field(default_factory=dict)

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.started = time.monotonic()
            self.process = subprocess.Popen(
                self.command,
                cwd=self.cwd,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def wait_ready(self, timeout: float) -> float:
        """Seconds from start until every health URL answers 200."""
        deadline = self.started + timeout
        pending = list(self.health_urls)
        while pending:
            self.remember()
            if self.process is not None and self.process.poll() is not None:
                raise BenchError(
                    f"{self.name} stopped (exit code {self.process.returncode}); "
                    f"see {self.log_path}"
                )
            pending = [url for url in pending if not http_ok(url)]
            if not pending:
                break
            if time.monotonic() > deadline:
                raise BenchError(f"{self.name} not ready after {timeout:.0f}s; see {self.log_path}")
            time.sleep(0.25)
        return time.monotonic() - self.started

    def remember(self) -> None:
        if self.process is not None and self.process.poll() is None:
            for pid in procs.tree_of(self.process.pid):
                self.seen.setdefault(pid, procs.cmdline(pid))

    def stop(self, timeout: float = 30.0) -> None:
        """SIGTERM (the process stops its own children), then SIGKILL whatever is left."""
        if self.process is None:
            return
        self.remember()
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        deadline = time.monotonic() + 10
        for pid, command in sorted(self.seen.items()):
            if pid == self.process.pid:
                continue
            while _alive(pid, command) and time.monotonic() < deadline:
                time.sleep(0.1)
            if _alive(pid, command):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass


def _alive(pid: int, command: str) -> bool:
    """True if `pid` still runs `command` (zombies count as gone)."""
    stat = procs._read(f"/proc/{pid}/stat")
    if not stat or procs.cmdline(pid) != command:
        return False
    return stat[stat.rfind(")") + 2 :].split()[0] != "Z"
