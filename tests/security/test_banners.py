"""No version banners: no service of the default profile (web app, Rasa server, action server)
names its software in a Server header, over HTTP or on the socket.io websocket upgrade.
(nginx of the production profile, and X-Upstream only with the debug setting:
tests/production/test_edge.py.)"""

from __future__ import annotations

import base64
import http.client
import os

import pytest

from bot.ops.settings import Settings

pytestmark = pytest.mark.live


def headers_of(
    port: int, method: str, path: str, body: str | None = None, extra: dict[str, str] | None = None
) -> tuple[int, dict[str, str]]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=extra or {})
        response = connection.getresponse()
        if response.status != 101:
            response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}
    finally:
        connection.close()


def test_no_server_banner_anywhere(live_bot: str, live_settings: Settings) -> None:
    s = live_settings
    upgrade = {
        "Connection": "Upgrade",
        "Upgrade": "websocket",
        "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": base64.b64encode(os.urandom(16)).decode(),
    }
    checks = [
        (s.web_port, "GET", "/", None, None),
        (s.web_port, "GET", "/healthz", None, None),
        (s.web_port, "GET", "/staff/login", None, None),
        (s.web_port, "GET", "/no-such-page", None, None),
        (s.web_port, "GET", "/api/handoffs", None, None),
        (s.web_port, "GET", "/static/chat.js", None, None),
        (s.rasa_port, "GET", "/", None, None),
        (s.rasa_port, "GET", "/no-such-page", None, None),
        (s.rasa_port, "POST", "/webhooks/rest/webhook", '{"sender":"banner","message":"hi"}',
         {"Content-Type": "application/json"}),
        (s.rasa_port, "GET", "/socket.io/?EIO=4&transport=polling", None, None),
        (s.rasa_port, "GET", "/socket.io/?EIO=4&transport=websocket", None, upgrade),
        (s.action_port, "GET", "/health", None, None),
        (s.action_port, "GET", "/no-such-page", None, None),
    ]  # fmt: skip
    statuses = set()
    for port, method, path, body, extra in checks:
        status, headers = headers_of(port, method, path, body, extra)
        statuses.add(status)
        where = f"{method} :{port}{path} -> {status}"
        assert "server" not in headers, (where, headers.get("server"))
        assert "x-upstream" not in headers, where
        assert not any("aiohttp" in v or "sanic" in v.lower() for v in headers.values()), where
    assert {101, 200, 404} <= statuses, statuses  # the upgrade and the errors were seen
