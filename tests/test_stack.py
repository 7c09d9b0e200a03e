"""`python -m bot run` fails with one clear line, not a traceback, when it cannot start."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
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
