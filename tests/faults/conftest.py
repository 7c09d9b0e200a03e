"""Fixtures for fault tests: live stacks on spare ports, and a TCP proxy to stop PostgreSQL."""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet

from bot.ops.stack import Stack
from tests.conftest import (
    POSTGRES_URL,
    Conversation,
    scratch_schema,
    spare_port,
    spare_settings,
    texts,
)

ELIGIBLE_BUTTONS = ["52", "Yes", "Yes", "Yes", "Yes", "Yes", "Yes", "Yes", "Yes", "No"]
NAME, EMAIL = "Jane Faultcase", "jane.faultcase@example.com"


def make_stack(var_dir: Path, **env: str) -> Stack:
    settings = spare_settings(var_dir)
    extra = {
        "HANDOFF_KEY": Fernet.generate_key().decode(),
        "STAFF_API_TOKEN": "faults-" + uuid.uuid4().hex,
        "STAFF_INSECURE_COOKIES": "1",
        "NOTIFY_EMAIL_TO": "",
        "NOTIFY_WEBHOOK_URL": "",
        "RASA_API_TOKEN": "",
        "SPOOL_RETRY_INTERVAL": "0.5",
        "DATABASE_URL": f"sqlite:///{var_dir / 'handoffs.db'}",
    }
    extra.update(env)
    return Stack(settings, extra_env=extra)


@pytest.fixture(scope="session")
def sqlite_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Rasa + action server + web app with the default SQLite handoff store."""
    stack = make_stack(tmp_path_factory.mktemp("faults-var"))
    with stack:
        yield stack


def wait_for(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g}s waiting for {what}")
        time.sleep(0.2)


def to_best_time(chat: Conversation) -> None:
    """A likely-eligible prescreen up to the last question (best time to call)."""
    assert "2 minutes" in texts(chat("can I join the study?"))
    assert "How old are you?" in texts(chat("Yes, let's start"))
    for answer in ELIGIBLE_BUTTONS:
        chat(answer)
    assert "contact you" in texts(chat("Yes, share my answers"))
    chat(NAME)
    assert "best time" in texts(chat(EMAIL))


class TcpProxy:
    """Forwards a local port to PostgreSQL; stop() is an outage (listener and links closed)."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.port = spare_port()
        self._listener: socket.socket | None = None
        self._links: list[socket.socket] = []
        self._lock = threading.Lock()

    def start(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def stop(self) -> None:
        if self._listener is not None:
            try:
                self._listener.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self._listener.close()
            self._listener = None
        with self._lock:
            links, self._links = self._links, []
        for link in links:
            try:
                link.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            link.close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            with self._lock:
                self._links += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for side in (source, sink):
                try:
                    side.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


@pytest.fixture
def postgres_schema() -> Iterator[str]:
    """A throwaway schema in the real PostgreSQL, dropped afterwards."""
    with scratch_schema("faults") as schema:
        yield schema


@pytest.fixture
def pg_proxy() -> Iterator[TcpProxy]:
    url = sa.engine.make_url(POSTGRES_URL)
    proxy = TcpProxy((url.host or "127.0.0.1", url.port or 5432))
    proxy.start()
    yield proxy
    proxy.stop()
