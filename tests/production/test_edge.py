"""The production profile's edge: the login limiter behind the real nginx keys on the real
client (X-Forwarded-For believed only from a trusted proxy) and counts in Redis; no version
banners; X-Upstream only with the debug setting."""

from __future__ import annotations

import http.client
import re
import subprocess
import time
import urllib.parse
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
import sqlalchemy as sa

from bot.ops.production import ProductionConfig, ProductionStack, nginx_binary, render_nginx_conf
from bot.ops.stack import http_ok
from bot.staff import audit
from bot.staff import users as staff
from bot.store.schema import audit as audit_table
from tests.conftest import spare_port

pytestmark = pytest.mark.production

USER, PASSWORD = "prodcoord", "a long production passphrase"
CLIENT_A, CLIENT_B = "203.0.113.7", "198.51.100.9"  # behind a trusted proxy (here: loopback)
PER_IP = 30  # the default LOGIN_LIMIT_PER_IP


class Browser:
    """A staff browser talking HTTP to nginx from a chosen local source address."""

    def __init__(self, url: str, source: str = "127.0.0.1", forwarded_for: str | None = None):
        parts = urllib.parse.urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", int(parts.port or 80)
        self.source, self.forwarded_for = source, forwarded_for
        self.cookie = ""

    def request(
        self, method: str, path: str, form: dict[str, str] | None = None
    ) -> tuple[int, dict[str, str], str]:
        connection = http.client.HTTPConnection(
            self.host, self.port, timeout=60, source_address=(self.source, 0)
        )
        headers = {"Cookie": self.cookie} if self.cookie else {}
        if self.forwarded_for:
            headers["X-Forwarded-For"] = self.forwarded_for
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode("utf-8", "replace")
            found = re.match(r"(staff_session=[^;]*)", response.getheader("Set-Cookie") or "")
            if found:
                self.cookie = found.group(1)
            return response.status, dict(response.getheaders()), text
        finally:
            connection.close()

    def login(self, user: str, password: str) -> int:
        self.cookie = ""
        _, _, page = self.request("GET", "/staff/login")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert token, page[:300]
        status, _, _ = self.request(
            "POST",
            "/staff/login",
            {"username": user, "password": password, "csrf_token": token.group(1)},
        )
        return status


@pytest.fixture(scope="module")
def coordinator(prod: ProductionStack, prod_config: ProductionConfig) -> Iterator[str]:
    engine = sa.create_engine(prod_config.database_url, future=True)
    try:
        if not staff.exists(engine, USER):
            staff.add_user(engine, USER, PASSWORD)
        yield USER
    finally:
        engine.dispose()


def guess() -> str:
    return f"guess-{uuid.uuid4().hex[:8]}"  # a new name each time: only the address limit


def test_limiter_behind_nginx_two_clients_one_locked_one_not(
    prod: ProductionStack, prod_config: ProductionConfig, coordinator: str
) -> None:
    a = Browser(prod.url, forwarded_for=CLIENT_A)
    for _ in range(PER_IP):
        assert a.login(guess(), "wrong password here") == 401
    assert a.login(guess(), "wrong password here") == 429
    assert a.login(coordinator, PASSWORD) == 429  # locked, even with the right password
    b = Browser(prod.url, forwarded_for=CLIENT_B)
    assert b.login(coordinator, PASSWORD) == 303  # the other client is not
    assert b.request("GET", "/staff/handoffs")[0] == 200

    # A client that is no trusted proxy (127.0.0.2) cannot pick its address with the header:
    # claiming to be B does not lock B, claiming to be A does not make it locked.
    spoofer = Browser(prod.url, source="127.0.0.2", forwarded_for=CLIENT_A)
    assert spoofer.login(guess(), "wrong password here") == 401
    assert spoofer.login(coordinator, PASSWORD) == 303

    # The counters are in the production profile's Redis, where every web replica sees them.
    env = prod_config.lock_store_env()
    client = redis.Redis(host=env["LOCK_STORE_HOST"], port=int(env["LOCK_STORE_PORT"]),
                         db=int(env["LOCK_STORE_DB"]))  # fmt: skip
    try:
        key = f"{prod_config.lock_key_prefix}:login:ip:{CLIENT_A}"
        assert client.zcard(key) >= PER_IP
        assert client.zcard(f"{prod_config.lock_key_prefix}:login:ip:127.0.0.2") == 1
    finally:
        client.close()
    engine = sa.create_engine(prod_config.database_url, future=True)
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(audit_table.c.action, audit_table.c.note).where(
                audit_table.c.handoff_id.is_(None)
            )
        ).all()
    engine.dispose()
    assert (audit.LOGIN_LOCKED, f"ip={CLIENT_A} failures={PER_IP}") in rows
    assert sum(1 for action, note in rows if note == f"ip={CLIENT_A}") == PER_IP
    assert (audit.LOGIN_FAILED, "ip=127.0.0.2") in rows


def test_no_version_banners_and_x_upstream_only_with_the_debug_setting(
    prod: ProductionStack, tmp_path: Path
) -> None:
    paths = ("/healthz", "/", "/staff/login", "/no-such-page", "/webhooks/rest/")
    for path in paths:
        status, headers, _ = Browser(prod.url).request("GET", path)
        assert headers.get("Server") == "nginx", (path, headers)  # no version, no aiohttp
        assert "X-Upstream" in headers, path  # the tests' stack has PROXY_DEBUG_HEADERS on
    # The same nginx configuration without the debug setting, in front of the same servers.
    port, actions_port = spare_port(), spare_port()
    conf = tmp_path / "nginx.conf"
    conf.write_text(
        render_nginx_conf(
            prefix=tmp_path, log_dir=tmp_path,
            listen=f"127.0.0.1:{port}", actions_listen=f"127.0.0.1:{actions_port}",
            rasa_servers=prod.rasa_addresses, action_servers=prod.action_addresses,
            web_server=f"{prod.settings.host}:{prod.settings.web_port}",
        )
    )  # fmt: skip
    nginx = subprocess.Popen(
        [nginx_binary(), "-p", str(tmp_path), "-c", str(conf), "-e", str(tmp_path / "e.log"),
         "-g", "daemon off;"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while not http_ok(f"http://127.0.0.1:{port}/healthz"):
            assert nginx.poll() is None and time.monotonic() < deadline, "nginx did not start"
            time.sleep(0.2)
        for path in paths:
            status, headers, _ = Browser(f"http://127.0.0.1:{port}").request("GET", path)
            assert headers.get("Server") == "nginx", (path, headers)
            assert "X-Upstream" not in headers, (path, headers)
            assert not any(prod.settings.host + ":" in v for v in headers.values()), headers
    finally:
        nginx.terminate()
        nginx.wait(timeout=30)
