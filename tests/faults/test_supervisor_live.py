"""A crash is not an outage: the real `python -m bot run` (the default profile), SIGKILL of each
of its three processes in turn mid-prescreen. The supervisor starts each one again while the
others keep serving, the patient gets the apology while the action server is down, the
prescreen goes on from the same question, and it ends with exactly one handoff; the stack
stays up until SIGTERM, which stops it with one line."""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
import threading
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from bot.ops.stack import http_ok
from bot.safety.replies import no_reply
from tests.conftest import Conversation, spare_port, texts
from tests.faults.conftest import ELIGIBLE_BUTTONS, EMAIL, NAME, wait_for

pytestmark = pytest.mark.live

ROOT = Path(__file__).resolve().parents[2]
APOLOGY = no_reply()
# What tells each child of `python -m bot run` apart in its command line.
MARKS = {"web app": "bot.web.server", "action server": "actions", "Rasa server": "--model"}


@dataclass
class Running:
    process: subprocess.Popen[str]
    rasa_url: str
    action_url: str
    web_url: str
    api_token: str
    lines: list[str] = field(default_factory=list)
    reader: threading.Thread | None = None

    def children(self) -> dict[str, int]:
        """Service name -> pid of the direct children of `python -m bot run`."""
        found: dict[str, int] = {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
                cmdline = (entry / "cmdline").read_bytes().decode(errors="replace").split("\0")
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            if ppid != self.process.pid:
                continue
            for name, mark in MARKS.items():
                if mark in cmdline and name not in found:
                    found[name] = int(entry.name)
                    break
        return found

    def said(self, text: str) -> bool:
        return any(text in line for line in self.lines)

    def crash(self, name: str) -> int:
        """SIGKILL one service (as a crash would); returns the pid it had."""
        pid = self.children()[name]
        os.kill(pid, signal.SIGKILL)
        return pid


@pytest.fixture
def bot_run(tmp_path: Path) -> Iterator[Running]:
    ports = {"RASA_PORT": spare_port(), "ACTION_PORT": spare_port(), "WEB_PORT": spare_port()}
    token = "supervisor-" + uuid.uuid4().hex
    env = dict(
        os.environ,
        **{k: str(v) for k, v in ports.items()},
        VAR_DIR=str(tmp_path / "var"),
        DATABASE_URL=f"sqlite:///{tmp_path / 'var' / 'handoffs.db'}",
        HANDOFF_KEY=Fernet.generate_key().decode(),
        STAFF_API_TOKEN=token,
        STAFF_SESSION_KEY=base64.urlsafe_b64encode(os.urandom(32)).decode(),
        STAFF_INSECURE_COOKIES="1",
        NOTIFY_EMAIL_TO="",
        NOTIFY_WEBHOOK_URL="",
        RASA_API_TOKEN="",
        BIND_HOST="127.0.0.1",
        PYTHONPATH=str(ROOT),
        RASA_TELEMETRY_ENABLED="false",
    )
    env.pop("ASSISTANT_PROFILE", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "run"],
        cwd=ROOT, env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = "http://127.0.0.1"
    running = Running(
        process,
        f"{base}:{ports['RASA_PORT']}",
        f"{base}:{ports['ACTION_PORT']}",
        f"{base}:{ports['WEB_PORT']}",
        token,
    )

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            running.lines.append(line.rstrip("\n"))

    reader = running.reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        wait_for(
            lambda: running.said("The assistant is ready.") or process.poll() is not None,
            300,
            "python -m bot run to be ready",
        )
        assert process.poll() is None, "\n".join(running.lines)
        yield running
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        reader.join(timeout=10)


def handoffs(running: Running) -> list[dict[str, object]]:
    request = urllib.request.Request(
        f"{running.web_url}/api/handoffs",
        headers={"Authorization": f"Bearer {running.api_token}"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        items: list[dict[str, object]] = json.loads(response.read())["items"]
    return items


def test_each_process_killed_mid_prescreen_and_the_prescreen_finishes(bot_run: Running) -> None:
    run = bot_run
    health = {
        "web app": f"{run.web_url}/healthz",
        "action server": f"{run.action_url}/health",
        "Rasa server": f"{run.rasa_url}/",
    }
    assert set(run.children()) == set(MARKS), run.children()
    chat = Conversation(run.rasa_url)
    control = Conversation(run.rasa_url)  # the same answers, at moments when nothing is down

    def both(answer: str) -> str:
        """Send to both; the crash-hit conversation must be exactly where the control is."""
        got, expected = texts(chat(answer)), texts(control(answer))
        assert got == expected, (answer, got, expected)
        return got

    assert "2 minutes" in both("can I join the study?")
    assert "How old are you?" in both("Yes, let's start")
    assert "dermatomyositis?" in both("52")

    # 1. The action server: the patient gets the apology, the others keep serving.
    old = run.crash("action server")
    assert [m.get("text") for m in chat("yes")] == [APOLOGY]
    assert http_ok(health["web app"]) and http_ok(health["Rasa server"])
    wait_for(lambda: run.said("The action server is back."), 120, "the action server back")
    assert run.children()["action server"] != old and http_ok(health["action server"])
    assert "The action server stopped (exit code -9)" in "\n".join(run.lines)
    assert "biopsy" in both("yes")  # the same question (dermatomyositis?) was asked again
    both(ELIGIBLE_BUTTONS[2])

    # 2. The Rasa server: the web app and the action server keep serving meanwhile.
    old = run.crash("Rasa server")
    wait_for(lambda: run.said("The Rasa server stopped (exit code -9)"), 30, "the crash noticed")
    assert http_ok(health["web app"]) and http_ok(health["action server"])
    wait_for(lambda: run.said("The Rasa server is back."), 300, "the Rasa server back")
    assert run.children()["Rasa server"] != old
    # The conversation was stored: the next answer goes to the question asked before.
    for answer in ELIGIBLE_BUTTONS[3:6]:
        both(answer)

    # 3. The web app: the prescreen does not need it; it comes back for the staff.
    old = run.crash("web app")
    for answer in ELIGIBLE_BUTTONS[6:]:
        both(answer)
    assert "contact you" in texts(chat("Yes, share my answers"))
    wait_for(lambda: run.said("The web app is back."), 120, "the web app back")
    assert run.children()["web app"] != old and http_ok(health["web app"])
    chat(NAME)
    assert "best time" in texts(chat(EMAIL))
    done = texts(chat("weekday mornings"))

    mine = [h for h in handoffs(run) if h["conversation_id"] == chat.sender]
    assert len(mine) == 1, mine
    assert mine[0]["outcome"] == "likely_eligible"
    assert str(mine[0]["reference"]) in done, done
    assert len(handoffs(run)) == 1  # nothing else was stored on the way

    # The stack stayed up the whole time; SIGTERM stops it, with one line.
    assert run.process.poll() is None
    assert all(http_ok(url) for url in health.values())
    run.process.send_signal(signal.SIGTERM)
    assert run.process.wait(timeout=60) == 0
    assert run.reader is not None
    run.reader.join(timeout=10)  # it has read every line once stdout is closed
    assert run.lines[-1] == "Stopped (SIGTERM): every service is shut down.", run.lines[-5:]
    assert not any("Traceback" in line for line in run.lines)
    with pytest.raises((urllib.error.URLError, ConnectionError)):
        urllib.request.urlopen(health["web app"], timeout=5)
