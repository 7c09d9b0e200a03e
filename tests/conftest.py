"""Shared fixtures: a live bot (real Rasa server + action server) on spare ports."""

from __future__ import annotations

import asyncio
import contextlib
import http.cookiejar
import itertools
import json
import os
import re
import socket
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from cryptography.fernet import Fernet

from bot import content
from bot.ops import settings
from bot.ops.settings import Settings
from bot.ops.stack import Stack

Chat = Callable[..., list[dict[str, Any]]]


API_TOKEN = "test-" + uuid.uuid4().hex
# The live bot runs with Rasa's HTTP API enabled behind this token, as `make run` does when
# RASA_API_TOKEN is set (tests/security/test_rasa_api.py proves it refuses everyone else).
RASA_API_TOKEN = "rasa-" + uuid.uuid4().hex
POSTGRES_URL = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")


@contextlib.contextmanager
def scratch_schema(prefix: str = "test") -> Iterator[str]:
    """A throwaway schema in the real PostgreSQL server, dropped at the end."""
    schema = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(POSTGRES_URL, future=True)
    with admin.begin() as connection:
        connection.execute(sa.text(f"create schema {schema}"))
    try:
        yield schema
    finally:
        with admin.begin() as connection:
            connection.execute(sa.text(f"drop schema {schema} cascade"))
        admin.dispose()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh schema in the real PostgreSQL server for one test, dropped afterwards."""
    with scratch_schema() as schema:
        yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"


class Mailbox:
    """A real SMTP server (aiosmtpd) on a free local port that keeps what it receives."""

    def __init__(self) -> None:
        self.messages: list[str] = []
        self.controller = Controller(self, hostname="127.0.0.1", port=free_port())

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        self.messages.append(envelope.content.decode("utf8", errors="replace"))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# `make test` runs two pytest workers (pytest-xdist, a whole file to one worker): each has its
# own live stack, mailbox and temporary folders, and its own ports, WORKER * PORT_STRIDE above
# the configured ones.
WORKER = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
PORT_STRIDE = 500


def worker_port(name: str, default: int) -> int:
    """A configured port (TEST_RASA_PORT, ...) for this worker."""
    configured = int(os.environ.get(name, "") or default)
    return configured + WORKER * PORT_STRIDE if configured else 0


_reserved_ports = itertools.count(worker_port("TEST_PORT_BASE", 0))


def spare_port() -> int:
    """A port for a server a test starts itself: the next one from TEST_PORT_BASE when that is
    set (a block of ports reserved for this run), else any free one."""
    if not os.environ.get("TEST_PORT_BASE"):
        return free_port()
    while True:  # skip a port that something (e.g. an outgoing connection) holds right now
        port = next(_reserved_ports)
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port


@pytest.fixture(scope="session")
def mailbox() -> Iterator[Mailbox]:
    box = Mailbox()
    box.controller.start()
    yield box
    box.controller.stop()


@pytest.fixture(scope="session")
def live_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings.from_env(
        rasa_port=worker_port("TEST_RASA_PORT", 25005),
        action_port=worker_port("TEST_ACTION_PORT", 25055),
        web_port=worker_port("TEST_WEB_PORT", 25080),
        var_dir=tmp_path_factory.mktemp("var"),
    )


def live_environment(mailbox: Mailbox, **extra: str) -> pytest.MonkeyPatch:
    """The settings a live stack of the tests starts with (undo() puts the old ones back):
    the tests' tokens, a new key, notifications to the test mailbox, the SQLite store."""
    patch = pytest.MonkeyPatch()
    patch.setenv("STAFF_API_TOKEN", API_TOKEN)
    patch.setenv("RASA_API_TOKEN", RASA_API_TOKEN)
    patch.setenv("HANDOFF_KEY", Fernet.generate_key().decode())
    patch.setenv("STAFF_INSECURE_COOKIES", "1")
    patch.setenv("NOTIFY_EMAIL_TO", "coordinator@example.org")
    patch.setenv("SMTP_HOST", "127.0.0.1")
    patch.setenv("SMTP_PORT", str(mailbox.controller.port))
    patch.setenv("OUTBOX_INTERVAL", "0.5")
    patch.delenv("DATABASE_URL", raising=False)
    for name, value in extra.items():
        patch.setenv(name, value)
    return patch


def poll(check: Callable[[], Any], seconds: float = 20.0) -> Any:
    """The first truthy result of check(), tried every 0.2 s until the deadline."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError(f"timed out after {seconds:g}s")


def spare_settings(var_dir: Path) -> Settings:
    """Settings for a stack of a test's own: spare ports (from TEST_PORT_BASE when set)."""
    return Settings.from_env(
        host="127.0.0.1",
        rasa_port=spare_port(),
        action_port=spare_port(),
        web_port=spare_port(),
        var_dir=var_dir,
    )


@contextlib.contextmanager
def running_stack(settings: Settings, patch: pytest.MonkeyPatch) -> Iterator[Stack]:
    """Rasa, the action server and the web app with the environment `patch` set, ready; on
    the way out they stop and the environment is put back."""
    stack = Stack(settings)
    stack.start()
    try:
        stack.wait_ready()
        yield stack
    finally:
        stack.stop()
        patch.undo()


class WidgetSession:
    """A chat over the socket.io channel, as the website's widget opens one (websocket
    transport, a session_request answered with {session_id, token})."""

    def __init__(self, client: Any, session: dict[str, str], replies: Any) -> None:
        self.client, self.session, self.replies = client, session, replies

    async def say(self, text: str, quiet: float = 1.0, **fields: Any) -> list[dict[str, Any]]:
        """Send one message; the bot's messages of that turn (the first within 60 s, then
        those that follow within `quiet` seconds of each other)."""
        await self.client.emit("user_uttered", {"message": text, **self.session, **fields})
        got = [await asyncio.wait_for(self.replies.get(), 60)]
        while quiet > 0:
            try:
                got.append(await asyncio.wait_for(self.replies.get(), quiet))
            except asyncio.TimeoutError:
                break
        return got


@contextlib.asynccontextmanager
async def widget_session(url: str) -> AsyncIterator[WidgetSession]:
    """A connected socket.io chat with its session, disconnected on the way out."""
    import socketio

    client = socketio.AsyncClient(reconnection=False)
    replies: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    confirmations: asyncio.Queue[dict[str, str]] = asyncio.Queue()
    client.on("bot_uttered", replies.put_nowait)
    client.on("session_confirm", confirmations.put_nowait)
    await client.connect(url, transports=["websocket"], socketio_path="/socket.io")
    try:
        await client.emit("session_request", {})
        session = await asyncio.wait_for(confirmations.get(), 30)
        yield WidgetSession(client, session, replies)
    finally:
        await client.disconnect()


def staff_login(
    web_url: str, var_dir: Path, name: str = "coordinator", trials: tuple[str, ...] = ()
) -> urllib.request.OpenerDirector:
    """A coordinator account in the stack's SQLite store, logged in: an opener with its cookie.
    trials: the nct_ids they work on (staff_trials); none: a one-trial deployment's staff."""
    from bot.staff import users as staff  # the staff store needs the app's modules; import late
    from bot.store.schema import staff_trials, staff_users

    engine = sa.create_engine(f"sqlite:///{var_dir / 'handoffs.db'}", future=True)
    staff.add_user(engine, name, "correct horse battery")
    with engine.begin() as connection:  # as `staff set-trials` writes them
        user_id = connection.execute(
            sa.select(staff_users.c.id).where(staff_users.c.username == name)
        ).scalar_one()
        for nct in trials:
            connection.execute(staff_trials.insert().values(user_id=user_id, nct_id=nct))
    engine.dispose()
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )
    login = opener.open(f"{web_url}/staff/login", timeout=10).read().decode()
    token = re.search(r'name="csrf_token" value="([^"]+)"', login)
    assert token
    form = {"csrf_token": token.group(1), "username": name}
    form["password"] = "correct horse battery"
    opener.open(
        f"{web_url}/staff/login", data=urllib.parse.urlencode(form).encode(), timeout=10
    ).read()
    return opener


@pytest.fixture(scope="session")
def live_bot(live_settings: Settings, mailbox: Mailbox) -> Iterator[str]:
    """Base URL of a running Rasa server, with its action server and web app, for the session.

    Handoffs go to a SQLite file in a temporary folder; notifications to the test mailbox.
    """
    with running_stack(live_settings, live_environment(mailbox)):
        LIVE_KEYS.update(
            {k: os.environ[k] for k in ("HANDOFF_KEY", "CHAT_SESSION_KEY") if k in os.environ}
        )
        yield live_settings.rasa_url


# The keys the session's live stack was started with (a test reads them here, not from the
# environment at its own time, which another file's fixtures may have put back meanwhile).
LIVE_KEYS: dict[str, str] = {}


@pytest.fixture(scope="session")
def live_chat_key(live_bot: str) -> bytes:
    """The key the live Rasa server signs chat session ids with (bot/rasa/session_token.py)."""
    from bot.rasa.session_token import key_from_env

    return key_from_env(Settings.from_env(LIVE_KEYS))


def post_message(base_url: str, sender: str, text: str) -> list[dict[str, Any]]:
    request = urllib.request.Request(
        f"{base_url}/webhooks/rest/webhook",
        data=json.dumps({"sender": sender, "message": text}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        assert response.status == 200
        reply: list[dict[str, Any]] = json.loads(response.read())
    return reply


class Conversation:
    """One new patient talking to the live bot; calling it sends a message."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.sender = f"test-{uuid.uuid4().hex[:12]}"
        self.turns = 0

    def __call__(self, text: str) -> list[dict[str, Any]]:
        self.turns += 1
        return post_message(self.base_url, self.sender, text)


@pytest.fixture
def chat(live_bot: str) -> Conversation:
    """Send messages as one new patient; returns the bot's messages for each call."""
    return Conversation(live_bot)


def texts(reply: list[dict[str, Any]]) -> str:
    return " ".join(m.get("text", "") for m in reply)


def button_titles(reply: list[dict[str, Any]]) -> list[str]:
    return [b["title"] for m in reply for b in m.get("buttons", [])]


# --- `make check`: the fast tests ---------------------------------------------------------------
# A test is marked from where it is and what it uses, so a new test lands on the right side
# by itself:
#   tests/browser -> browser, tests/production -> production; tests/web (the web app over HTTP
#   with its database), tests/faults, tests/security and tests/bad_input (hypothesis) -> slow;
#   the live bot (fixture live_bot) -> live; PostgreSQL (fixture postgres_url, or a
#   "postgres"/"postgresql" parameter) -> slow.
# `pytest --fast` (make check) runs the rest: FAST below. A test that still loads the sentence
# encoder (TensorFlow), trains the safety classifier or an NLU component, loads a trained Rasa
# model or starts a process is skipped there on the spot (as slow); `make test` runs everything.
FAST = "not live and not browser and not production and not slow"
FOLDER_MARKERS = {"browser": "browser", "production": "production"}
SLOW_FOLDERS = {"web", "faults", "security", "bad_input"}
TESTS = Path(__file__).resolve().parent


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--fast",
        action="store_true",
        help="only the fast tests (make check): no live bot, browser, production, database "
        "server, web app, trained model, sentence encoder or other process",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "slow: needs PostgreSQL, the web app, a trained model, the sentence encoder or another "
        "process, or is a property-based (hypothesis) suite; not in `make check`",
    )
    if config.getoption("--fast"):
        given = config.option.markexpr
        config.option.markexpr = f"({given}) and ({FAST})" if given else FAST


def _folder(path: Path) -> str | None:
    try:
        parts = path.resolve().relative_to(TESTS).parts
    except ValueError:
        return None
    return parts[0] if len(parts) > 1 else None


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """With --fast, folders whose every test is deselected are not even imported."""
    folder = _folder(collection_path)
    if config.getoption("--fast") and folder in {*FOLDER_MARKERS, *SLOW_FOLDERS}:
        return True
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        folder = _folder(Path(str(item.path)))
        if folder in FOLDER_MARKERS:
            item.add_marker(FOLDER_MARKERS[folder])
        if folder in SLOW_FOLDERS:
            item.add_marker("slow")
        fixtures = set(getattr(item, "fixturenames", ()))
        if "live_bot" in fixtures:
            item.add_marker("live")
        params = getattr(getattr(item, "callspec", None), "params", {})
        if "postgres_url" in fixtures or {"postgres", "postgresql"} & {
            p for p in params.values() if isinstance(p, str)
        }:
            item.add_marker("slow")
    if config.getoption("--fast"):
        _guard_slow_work()


def _skip_slow(what: str) -> Callable[..., Any]:
    def guard(*args: Any, **kwargs: Any) -> Any:
        pytest.skip(f"--fast: {what} (a slow test; `make test` runs it)")

    return guard


def _guard_slow_work() -> None:
    """Skip, in --fast runs, a test at the moment it starts slow work nothing marked."""
    import subprocess
    import sys

    from bot.nlu import encoder
    from bot.safety import model

    encoder.Encoder.__init__ = _skip_slow("loads the sentence encoder")  # type: ignore[method-assign]
    model.Classifier.__init__ = _skip_slow("trains the safety classifier")  # type: ignore[method-assign]
    subprocess.Popen.__init__ = _skip_slow("starts a process")  # type: ignore[method-assign]
    component = sys.modules.get("bot.nlu.component")  # imported by the tests that train it
    if component is not None:
        component.MedicalEntityExtractor.train = _skip_slow("trains an NLU component")
    agent = sys.modules.get("rasa.core.agent")
    if agent is not None:
        agent.Agent.load = _skip_slow("loads a trained Rasa model")


@pytest.fixture(autouse=True)
def _trial_settings_read_again() -> Iterator[None]:
    """bot.content reads TRIAL / TRIALS once per process; a test that changes them calls
    content.reset() (see tests/eligibility/test_second_trial.py) and is put back here."""
    yield
    if content.folder() != settings.trial_dir() or content.served() != {
        d.name: d for d in settings.trial_dirs()
    }:
        content.reset()
