"""Start, watch and stop the assistant's processes (Rasa server, action server, web app).

Over 300 lines on purpose: Service, ServiceGroup, Supervisor and Stack are one small process
manager (start, health checks, restart with backoff, stop in order) that bot.ops.production's
ProductionStack extends; apart, each half would reach into the other's internals.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

from bot.ops.settings import ROOT, Settings
from bot.store import private


class StartupError(RuntimeError):
    """A reason the stack cannot start, worded as one clear line for the person running it."""


def checked_settings() -> Settings:
    """The environment strictly parsed, once, before the supervisor starts anything: a
    malformed value stops it here with the variable's name (the children, which parse
    tolerantly, would only warn and use the default)."""
    try:
        return Settings.validated()
    except ValueError as error:
        raise StartupError(f"{error}: fix it in the environment or .env") from None


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
    """True if GET url answers 200 within 2 s.

    A port in the ephemeral range that nothing listens on yet can be "reached" by a TCP
    self-connect (the kernel picks that very port as the source): the poll then reads its own
    request and, worse, holds the port the server is about to bind. Such a connection counts
    as not ready and is closed at once.
    """
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=2)
    try:
        connection.connect()
        sock = connection.sock
        if sock is not None and sock.getsockname() == sock.getpeername():
            return False
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        connection.request("GET", target)
        return bool(connection.getresponse().status == 200)
    except (http.client.HTTPException, ConnectionError, TimeoutError, OSError):
        return False
    finally:
        connection.close()


@dataclass
class Service:
    name: str
    command: list[str]
    health_url: str
    log_path: Path
    process: subprocess.Popen[bytes] | None = None


class ServiceGroup:
    """Processes started together, each in its own process group, watched and stopped together.

    Subclasses fill `services` (in start order) and start them with `_spawn`.
    """

    services: list[Service]

    def start(self) -> None:
        raise NotImplementedError

    def wait_ready(self) -> None:
        raise NotImplementedError

    def environment(self) -> dict[str, str]:
        raise NotImplementedError

    def __enter__(self) -> ServiceGroup:
        """`with Stack(...) as stack:` starts everything, waits until ready, stops at the end."""
        self.start()
        try:
            self.wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _spawn(self, service: Service, env: dict[str, str]) -> None:
        with service.log_path.open("ab") as log:
            service.process = subprocess.Popen(
                service.command,
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def service(self, name: str) -> Service:
        return next(s for s in self.services if s.name == name)

    def _check_alive(self, service: Service) -> None:
        if service.process is not None and service.process.poll() is not None:
            raise StartupError(
                f"The {service.name} stopped (exit code {service.process.returncode}); "
                f"see {service.log_path}"
            )

    def check_alive(self) -> None:
        for service in self.services:
            self._check_alive(service)

    def kill(self, name: str) -> None:
        """SIGKILL one service's whole process group at once, as a crash would."""
        process = self.service(name).process
        if process is not None and process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    def stop(self, timeout: float = 20.0) -> None:
        """SIGTERM every group (last started first), wait, then SIGKILL what is left."""
        for service in reversed(self.services):
            if service.process is not None and service.process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(service.process.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for service in self.services:
            if service.process is None:
                continue
            try:
                service.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(service.process.pid, signal.SIGKILL)
                service.process.wait()
            # Children left in the group (e.g. nginx workers) go too.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(service.process.pid, signal.SIGKILL)


class Supervisor:
    """Restarts a crashed service of a ServiceGroup with backoff while the others keep serving.

    The first restart is at once, the next ones after RESTART_BACKOFF_BASE x 2^(n-2) seconds
    (1, 2, 4, ... at most RESTART_BACKOFF_MAX, 30). More than RESTART_MAX_CRASHES (5) crashes
    of one service within RESTART_WINDOW seconds (300) is not a crash but a fault: `tick()`
    raises StartupError (one line), and serve() stops everything.
    """

    def __init__(
        self,
        group: ServiceGroup,
        *,
        restartable: Callable[[Service], bool] = lambda service: True,
        max_crashes: int | None = None,
        window: float | None = None,
        backoff_base: float | None = None,
        backoff_max: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.group = group
        self.restartable = restartable
        s: Settings = getattr(group, "settings", None) or Settings.from_env()
        self.max_crashes = int(max_crashes if max_crashes is not None else s.restart_max_crashes)
        self.window = window if window is not None else s.restart_window
        self.backoff_base = backoff_base if backoff_base is not None else s.restart_backoff_base
        self.backoff_max = backoff_max if backoff_max is not None else s.restart_backoff_max
        self.clock = clock
        self.crashes: dict[str, deque[float]] = {}
        self.due: dict[str, float] = {}  # service name -> when to start it again
        self.coming_back: set[str] = set()  # started again, not yet answering its health check

    def delay(self, crashes: int) -> float:
        """Seconds before the restart that follows the n-th crash in the window."""
        if crashes <= 1:
            return 0.0
        return float(min(self.backoff_max, self.backoff_base * 2 ** (crashes - 2)))

    def tick(self) -> list[str]:
        """Look at every service once; returns what happened, one line each, to print."""
        said: list[str] = []
        now = self.clock()
        for service in self.group.services:
            process = service.process
            name = service.name
            if process is None or process.poll() is None:
                if name in self.coming_back and http_ok(service.health_url):
                    self.coming_back.discard(name)
                    said.append(f"The {name} is back.")
                continue
            if not self.restartable(service):
                self.group._check_alive(service)  # raises StartupError
            if name not in self.due:
                self.coming_back.discard(name)
                history = self.crashes.setdefault(name, deque())
                history.append(now)
                while history and history[0] < now - self.window:
                    history.popleft()
                if len(history) > self.max_crashes:
                    raise StartupError(
                        f"The {name} crashed {len(history)} times within "
                        f"{self.window:.0f}s (last exit code {process.returncode}); "
                        f"stopped everything. See {service.log_path}"
                    )
                wait = self.delay(len(history))
                self.due[name] = now + wait
                said.append(
                    f"The {name} stopped (exit code {process.returncode}); "
                    f"starting it again in {wait:.0f}s. See {service.log_path}"
                )
            if now >= self.due[name]:
                del self.due[name]
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(process.pid, signal.SIGKILL)  # what the crash left in its group
                self.group._spawn(service, self.group.environment())
                self.coming_back.add(name)
        return said


@dataclass
class Stack(ServiceGroup):
    """The Rasa server, the action server and the web app, started and stopped together."""

    settings: Settings = field(default_factory=Settings.from_env)
    services: list[Service] = field(default_factory=list)
    # Added to the environment of every service (tests use it for DATABASE_URL and such).
    extra_env: dict[str, str] = field(default_factory=dict)

    def rasa_api_args(self) -> list[str]:
        """Rasa's HTTP API (trackers, models): only with RASA_API_TOKEN, else not at all."""
        token = self.environment().get("RASA_API_TOKEN", "").strip()
        return ["--enable-api", "--auth-token", token] if token else []

    def _rasa_bin(self) -> str:
        return str(Path(sys.executable).with_name("rasa"))

    def plan(self) -> list[Service]:
        s = self.settings
        model = latest_model(s.model_dir)
        return [
            Service(
                "web app",
                [sys.executable, "-m", "bot.web.server"],
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
                 "--endpoints", "endpoints.yml", "--cors", "*", *self.rasa_api_args()],
                f"{s.rasa_url}/",
                s.log_dir / "rasa.log",
            ),
        ]  # fmt: skip

    def environment(self) -> dict[str, str]:
        # The services are our children: they inherit this environment (with the settings
        # below) and each reads it once at its own entry (Settings.from_env()).
        env = dict(os.environ)
        env.update(
            ACTION_ENDPOINT_URL=f"{self.settings.action_url}/webhook",
            TRACKER_DB=str(self.settings.tracker_db),
            VAR_DIR=str(self.settings.var_dir),
            BIND_HOST=self.settings.host,
            # The action server (rasa_sdk) listens on SANIC_HOST, 0.0.0.0 unless set: without
            # this, anyone on the network could call actions (and write handoffs) directly.
            SANIC_HOST=self.settings.host,
            WEB_PORT=str(self.settings.web_port),
            RASA_TELEMETRY_ENABLED="false",
            PYTHONPATH=str(ROOT) + os.pathsep + env.get("PYTHONPATH", ""),
        )
        env.setdefault("INBOX_URL", self.settings.web_url)
        # The public page's chat widget connects to this stack's Rasa server.
        env["CHAT_SERVER_URL"] = self.settings.chat_server_url
        env.update(self.extra_env)
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
        private.restrict()  # var/ 0700, files 0600 (logs, stores, spool), for children too
        private.var_tree(s.var_dir)
        private.directory(s.log_dir)
        self.services = self.plan()
        env = self.environment()
        for service in self.services:
            self._spawn(service, env)

    def restart(self, name: str) -> None:
        """Start one service again (after kill) and wait until it answers its health check."""
        service = self.service(name)
        self._spawn(service, self.environment())
        deadline = time.monotonic() + self.settings.startup_timeout
        while not http_ok(service.health_url):
            self._check_alive(service)
            if time.monotonic() > deadline:
                raise StartupError(f"{name} not ready after restart; see {service.log_path}")
            time.sleep(0.3)

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


def serve(
    stack: ServiceGroup,
    starting: str,
    banner: Callable[[], str],
    tick: Callable[[], None],
) -> int:
    """Start `stack`, print `banner()` when ready, call `tick()` twice a second until Ctrl-C or
    SIGTERM, then stop everything. A startup problem, or a tick() that gives up (StartupError),
    is printed as one line (exit code 1); Ctrl-C or SIGTERM as one line too (exit code 0)."""
    stopping: str | None = None

    def _stop(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = "Ctrl-C" if signum == signal.SIGINT else signal.Signals(signum).name

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    try:
        print(starting, flush=True)
        stack.start()
        stack.wait_ready()
        print(banner(), flush=True)
        while stopping is None:
            tick()
            time.sleep(0.5)
    except StartupError as error:
        print(f"error: {error}", file=sys.stderr, flush=True)
        return 1
    finally:  # whatever happened, nothing is left running
        stack.stop()
    print(f"\nStopped ({stopping}): every service is shut down.", flush=True)
    return 0
