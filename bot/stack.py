"""Start, watch and stop the assistant's processes (Rasa server, action server, web app)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from bot.settings import ROOT, Settings


class StartupError(RuntimeError):
    """A reason the stack cannot start, worded as one clear line for the person running it."""


def latest_model(model_dir: Path) -> Path:
    models = sorted(model_dir.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime)
    if not models:
        raise StartupError(f"No trained model in {model_dir}/. Run `make train` (or `make run`).")
    return models[-1]


def port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return False


@dataclass
class Service:
    name: str
    command: list[str]
    health_url: str
    log_path: Path
    process: subprocess.Popen[bytes] | None = None


@dataclass
class Stack:
    """The Rasa server, the action server and the web app, started and stopped together."""

    settings: Settings = field(default_factory=Settings)
    services: list[Service] = field(default_factory=list)

    def _rasa_bin(self) -> str:
        return str(Path(sys.executable).with_name("rasa"))

    def plan(self) -> list[Service]:
        s = self.settings
        model = latest_model(s.model_dir)
        return [
            Service(
                "web app",
                [sys.executable, "-m", "bot.webserver"],
                f"{s.web_url}/healthz",
                s.log_dir / "web.log",
            ),
            Service(
                "action server",
                [self._rasa_bin(), "run", "actions", "--actions", "actions",
                 "--port", str(s.action_port)],
                f"{s.action_url}/health",
                s.log_dir / "actions.log",
            ),
            Service(
                "Rasa server",
                [self._rasa_bin(), "run", "--model", str(model), "--interface", s.host,
                 "--port", str(s.rasa_port), "--credentials", "credentials.yml",
                 "--endpoints", "endpoints.yml", "--cors", "*"],
                f"{s.rasa_url}/",
                s.log_dir / "rasa.log",
            ),
        ]  # fmt: skip

    def environment(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            ACTION_ENDPOINT_URL=f"{self.settings.action_url}/webhook",
            TRACKER_DB=str(self.settings.tracker_db),
            VAR_DIR=str(self.settings.var_dir),
            BIND_HOST=self.settings.host,
            WEB_PORT=str(self.settings.web_port),
            RASA_TELEMETRY_ENABLED="false",
            PYTHONPATH=str(ROOT) + os.pathsep + env.get("PYTHONPATH", ""),
        )
        env.setdefault("INBOX_URL", self.settings.web_url)
        return env

    def start(self) -> None:
        s = self.settings
        ports = (
            (s.rasa_port, "RASA_PORT"),
            (s.action_port, "ACTION_PORT"),
            (s.web_port, "WEB_PORT"),
        )
        for port, what in ports:
            if not port_free(s.host, port):
                raise StartupError(
                    f"Port {port} on {s.host} is already in use: stop what uses it, "
                    f"or set {what} to another port."
                )
        s.log_dir.mkdir(parents=True, exist_ok=True)
        self.services = self.plan()
        env = self.environment()
        for service in self.services:
            log = service.log_path.open("ab")
            service.process = subprocess.Popen(
                service.command,
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            log.close()

    def wait_ready(self, on_wait: object = None) -> None:
        deadline = time.monotonic() + self.settings.startup_timeout
        pending = list(self.services)
        while pending:
            for service in list(pending):
                self._check_alive(service)
                if http_ok(service.health_url):
                    pending.remove(service)
            if not pending:
                return
            if time.monotonic() > deadline:
                names = ", ".join(s.name for s in pending)
                raise StartupError(
                    f"{names} not ready after {self.settings.startup_timeout:.0f}s; "
                    f"see {self.settings.log_dir}/"
                )
            time.sleep(0.5)

    def _check_alive(self, service: Service) -> None:
        if service.process is not None and service.process.poll() is not None:
            raise StartupError(
                f"The {service.name} stopped (exit code {service.process.returncode}); "
                f"see {service.log_path}"
            )

    def check_alive(self) -> None:
        for service in self.services:
            self._check_alive(service)

    def stop(self, timeout: float = 20.0) -> None:
        for service in self.services:
            if service.process is not None and service.process.poll() is None:
                os.killpg(service.process.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for service in self.services:
            if service.process is None:
                continue
            try:
                service.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(service.process.pid, signal.SIGKILL)
                service.process.wait()
