"""`python -m bot run` fails with one clear line, not a traceback, when it cannot start."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import spare_port

ROOT = Path(__file__).resolve().parents[1]


def _run(env_extra: dict[str, str]) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, **env_extra)
    return subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip


def test_port_taken(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = _run(
            {
                "RASA_PORT": str(port),
                "ACTION_PORT": str(spare_port()),
                "WEB_PORT": str(spare_port()),
                "VAR_DIR": str(tmp_path),
            }
        )
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert lines == [lines[0]] and f"Port {port}" in lines[0] and "RASA_PORT" in lines[0]
    assert "Traceback" not in done.stdout + done.stderr


def test_missing_model(tmp_path: Path) -> None:
    done = _run(
        {
            "MODEL_DIR": str(tmp_path / "none"),
            "VAR_DIR": str(tmp_path),
            "RASA_PORT": str(spare_port()),
            "ACTION_PORT": str(spare_port()),
            "WEB_PORT": str(spare_port()),
        }
    )
    assert done.returncode == 1
    assert done.stderr.strip().startswith("error: No trained model")
    assert len(done.stderr.strip().splitlines()) == 1


def test_the_web_app_stops_within_seconds_of_sigterm(tmp_path: Path) -> None:
    """Its background loops (outbox, digest, spool) must not hold the exit: it used to take a
    minute (aiohttp waited on their pause tasks), so every stack stop hit its 20 s kill."""
    from cryptography.fernet import Fernet

    port = spare_port()
    env = dict(
        os.environ,
        WEB_PORT=str(port),
        VAR_DIR=str(tmp_path),
        HANDOFF_KEY=Fernet.generate_key().decode(),
        STAFF_API_TOKEN="stop-test-" + "x" * 20,
        DATABASE_URL=f"sqlite:///{tmp_path / 'handoffs.db'}",
    )
    web = subprocess.Popen(
        [sys.executable, "-m", "bot.web.server"], cwd=ROOT, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            assert web.poll() is None, "the web app exited before it served"
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                assert time.monotonic() < deadline, "the web app did not start in 60 s"
                time.sleep(0.2)
        web.send_signal(signal.SIGTERM)
        started = time.monotonic()
        web.wait(timeout=30)
        assert time.monotonic() - started < 5
    finally:
        if web.poll() is None:
            web.kill()
            web.wait()
