"""The production profile started once for these tests: nginx, 2 Rasa and 2 action server
replicas, the web app, PostgreSQL (a throwaway schema) and Redis (a throwaway key prefix).

Skipped only when PostgreSQL or Redis cannot be reached (they run here and in CI).
"""

from __future__ import annotations

import dataclasses
import json
import socket
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet

from bot.ops.production import ProductionConfig, ProductionStack, check_stores
from bot.ops.settings import Settings
from bot.ops.stack import StartupError
from tests.conftest import worker_port
from tests.stores import scratch_stores

TIMEOUT = 60


def free_ports(count: int) -> list[int]:
    """Distinct free local ports (all held open until every one is chosen)."""
    with ExitStack() as stack:
        ports = []
        for _ in range(count):
            sock = stack.enter_context(socket.socket())
            sock.bind(("127.0.0.1", 0))
            ports.append(int(sock.getsockname()[1]))
    return ports


@dataclass
class Reply:
    messages: list[dict[str, Any]]
    upstream: str  # nginx's X-Upstream: the replica(s) that took the request

    @property
    def text(self) -> str:
        return " ".join(m.get("text", "") for m in self.messages)


def send(base_url: str, sender: str, text: str) -> Reply:
    request = urllib.request.Request(
        f"{base_url}/webhooks/rest/webhook",
        data=json.dumps({"sender": sender, "message": text}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
        assert response.status == 200
        return Reply(json.loads(response.read()), response.headers.get("X-Upstream", ""))


@pytest.fixture(scope="session")
def prod_config() -> Iterator[ProductionConfig]:
    try:
        check_stores(Settings.from_env().stores)
    except StartupError as error:
        pytest.skip(f"production profile needs PostgreSQL and Redis: {error}")
    with scratch_stores(Settings.from_env().stores) as config:
        # These tests watch the round-robin through nginx's X-Upstream (a debug setting).
        yield dataclasses.replace(config, debug_headers=True)


# Package scope (one stack for tests/production/): the fixture sets HANDOFF_KEY in this process
# for the stack's lifetime; a session fixture would leave it set for every later test (e.g. the
# live bot's handoff readers).
@pytest.fixture(scope="package")
def prod(
    prod_config: ProductionConfig, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ProductionStack]:
    """The running production profile; `prod.url` is nginx.

    Ports: free ones, or TEST_PROD_BASE_PORT .. +6 where several test runs share a machine.
    """
    base = worker_port("TEST_PROD_BASE_PORT", 0)
    ports = list(range(base, base + 7)) if base else free_ports(7)
    rasa_a, rasa_b, act_a, act_b, web, lb, actions_lb = ports
    settings = Settings.from_env(
        rasa_port=rasa_a, action_port=act_a, web_port=web, var_dir=tmp_path_factory.mktemp("prod")
    )
    patch = pytest.MonkeyPatch()
    patch.setenv("HANDOFF_KEY", Fernet.generate_key().decode())
    patch.setenv("STAFF_INSECURE_COOKIES", "1")
    patch.delenv("NOTIFY_EMAIL_TO", raising=False)
    patch.delenv("NOTIFY_WEBHOOK_URL", raising=False)
    stack = ProductionStack(
        settings,
        lb_port=lb,
        config=prod_config,
        rasa_ports=[rasa_a, rasa_b],
        action_ports=[act_a, act_b],
        actions_lb_port=actions_lb,
    )
    try:
        stack.start()
        stack.wait_ready()
        yield stack
    finally:
        stack.stop()
        patch.undo()


@pytest.fixture
def engine(prod_config: ProductionConfig) -> Iterator[sa.engine.Engine]:
    """The production PostgreSQL schema (conversations and handoffs), for checking."""
    made = sa.create_engine(prod_config.database_url, future=True)
    yield made
    made.dispose()


def access_log(stack: ProductionStack) -> list[str]:
    path: Path = stack.settings.log_dir / "nginx-access.log"
    return path.read_text().splitlines() if path.exists() else []
