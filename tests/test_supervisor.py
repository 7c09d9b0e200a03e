"""bot.ops.stack.Supervisor on real small processes: a crashed service is started again (with
backoff) while the others keep running; repeated crashes in a short window stop everything with
one line. (The real `python -m bot run` with Rasa: tests/faults/test_supervisor_live.py.)"""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.ops.stack import Service, ServiceGroup, Supervisor, http_ok, serve
from tests.conftest import spare_port


class Group(ServiceGroup):
    def __init__(self, services: list[Service]) -> None:
        self.services = services

    def environment(self) -> dict[str, str]:
        return dict(os.environ)

    def start(self) -> None:
        for service in self.services:
            self._spawn(service, self.environment())

    def wait_ready(self) -> None:
        servers = [s for s in self.services if "http.server" in s.command]
        deadline = time.monotonic() + 30
        while not all(http_ok(s.health_url) for s in servers):
            for service in servers:
                self._check_alive(service)
            assert time.monotonic() < deadline, "not ready"
            time.sleep(0.1)


def web_service(name: str, log_dir: Path) -> Service:
    port = spare_port()
    return Service(
        name,
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
        f"http://127.0.0.1:{port}/",
        log_dir / f"{name}.log",
    )


def crasher(log_dir: Path) -> Service:
    return Service(
        "crasher",
        [sys.executable, "-c", "import sys; sys.exit(3)"],
        "http://127.0.0.1:9/",
        log_dir / "crasher.log",
    )


@pytest.fixture
def group(tmp_path: Path) -> Iterator[Group]:
    made = Group([web_service("one", tmp_path), web_service("two", tmp_path)])
    made.start()
    made.wait_ready()
    yield made
    made.stop()


def tick_until(supervisor: Supervisor, wanted: str, timeout: float) -> list[str]:
    said: list[str] = []
    deadline = time.monotonic() + timeout
    while not any(wanted in line for line in said):
        assert time.monotonic() < deadline, f"no {wanted!r} in {said}"
        said += supervisor.tick()
        time.sleep(0.05)
    return said


def test_a_killed_service_comes_back_and_the_other_keeps_running(group: Group) -> None:
    supervisor = Supervisor(group, max_crashes=5, window=60, backoff_base=0.2)
    one, two = group.services
    assert one.process is not None and two.process is not None
    first_pid, other_pid = one.process.pid, two.process.pid
    assert supervisor.tick() == []
    os.kill(first_pid, signal.SIGKILL)
    said = tick_until(supervisor, "The one is back.", 30)
    assert said[0].startswith("The one stopped (exit code -9); starting it again in 0s.")
    assert one.process.pid != first_pid and http_ok(one.health_url)
    assert two.process.pid == other_pid and http_ok(two.health_url)  # never touched

    # A second crash soon after waits for the backoff (0.2 s) before the restart.
    os.kill(one.process.pid, signal.SIGKILL)
    start = time.monotonic()
    said = tick_until(supervisor, "The one is back.", 30)
    assert "starting it again in 0s" in said[0]  # rounded: 0.2 s
    assert time.monotonic() - start >= 0.2


def test_backoff_doubles_up_to_the_cap() -> None:
    supervisor = Supervisor(Group([]), backoff_base=1, backoff_max=30)
    assert [supervisor.delay(n) for n in range(1, 9)] == [0, 1, 2, 4, 8, 16, 30, 30]


def test_repeated_crashes_stop_the_stack_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stays = web_service("stays", tmp_path)
    crashing = crasher(tmp_path)
    group = Group([stays, crashing])
    supervisor = Supervisor(group, max_crashes=3, window=60, backoff_base=0.05)
    handlers = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    started = time.monotonic()
    try:

        def tick() -> None:
            for line in supervisor.tick():
                print(line)
            assert time.monotonic() - started < 60, "never gave up"

        code = serve(group, "starting", lambda: "ready", tick)
    finally:
        signal.signal(signal.SIGINT, handlers[0])
        signal.signal(signal.SIGTERM, handlers[1])
    out, err = capsys.readouterr()
    assert code == 1
    assert err.strip().splitlines() == [
        f"error: The crasher crashed 4 times within 60s (last exit code 3); stopped everything. "
        f"See {crashing.log_path}"
    ]
    assert out.count("The crasher stopped (exit code 3)") == 3
    assert stays.process is not None and stays.process.poll() is not None  # stopped too
