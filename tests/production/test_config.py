"""The production profile's settings and generated nginx config, without starting anything."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from bot.ops.production import (
    ProductionConfig,
    ProductionStack,
    is_production,
    nginx_binary,
    render_nginx_conf,
)
from bot.ops.settings import Settings
from bot.ops.stack import StartupError

pytestmark = pytest.mark.production


def test_profile_is_selected_by_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ASSISTANT_PROFILE", raising=False)
    assert not is_production()
    monkeypatch.setenv("ASSISTANT_PROFILE", "production")
    assert is_production()


def test_redis_url_becomes_rasa_lock_store_settings() -> None:
    env = ProductionConfig(
        redis_url="rediss://:p%40ss@cache.internal:6380/3", lock_key_prefix="site2"
    ).lock_store_env()
    assert env == {
        "LOCK_STORE_HOST": "cache.internal",
        "LOCK_STORE_PORT": "6380",
        "LOCK_STORE_DB": "3",
        "LOCK_STORE_PASSWORD": "p@ss",
        "LOCK_STORE_USE_SSL": "true",
        "LOCK_STORE_KEY_PREFIX": "site2",
    }
    plain = ProductionConfig(redis_url="redis://127.0.0.1").lock_store_env()
    assert plain["LOCK_STORE_DB"] == "1" and plain["LOCK_STORE_USE_SSL"] == "false"
    with pytest.raises(StartupError):
        ProductionConfig(redis_url="http://x").lock_store_env()
    with pytest.raises(StartupError):
        ProductionConfig(lock_key_prefix="my-site").lock_store_env()


def test_stores_default_to_each_other_then_to_the_local_servers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("TRACKER_STORE_URL", "DATABASE_URL", "REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    local = Settings.from_env().stores
    assert (
        local.tracker_store_url == local.database_url == "postgresql://postgres@127.0.0.1:5432/test"
    )
    monkeypatch.setenv("DATABASE_URL", "postgresql://a@db/x")
    assert Settings.from_env().stores.tracker_store_url == "postgresql://a@db/x"


def test_taken_port_is_one_clear_line(tmp_path: Path) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        stack = ProductionStack(
            Settings.from_env(var_dir=tmp_path), lb_port=port, actions_lb_port=port + 1
        )
        with pytest.raises(StartupError, match=f"Port {port} .* LB_PORT"):
            stack.start()


def test_rendered_nginx_config_is_valid_round_robin(tmp_path: Path) -> None:
    conf = render_nginx_conf(
        prefix=tmp_path,
        log_dir=tmp_path,
        listen="127.0.0.1:8000",
        actions_listen="127.0.0.1:8001",
        rasa_servers=["127.0.0.1:5005", "127.0.0.1:5006"],
        action_servers=["127.0.0.1:5055", "127.0.0.1:5056"],
        web_server="127.0.0.1:8080",
    )
    assert "{{" not in conf
    directives = "\n".join(line.split("#")[0] for line in conf.splitlines())
    assert "ip_hash" not in directives and "sticky" not in directives
    assert "hash " not in directives and "least_conn" not in directives
    assert directives.count("max_fails=1") == 4
    path = tmp_path / "nginx.conf"
    path.write_text(conf)
    checked = subprocess.run(
        [nginx_binary(), "-t", "-p", str(tmp_path), "-c", str(path), "-e", str(tmp_path / "e.log")],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert checked.returncode == 0, checked.stderr


def test_only_nginx_public_port_listens_on_bind_host(tmp_path: Path) -> None:
    """With BIND_HOST=0.0.0.0 the replicas, the web app and the internal action port stay on
    loopback: a reachable action server would accept forged trackers."""
    stack = ProductionStack(
        Settings.from_env(host="0.0.0.0", var_dir=tmp_path),
        lb_port=18000,
        config=ProductionConfig(),
    )
    conf = stack.write_nginx_conf().read_text()
    assert "listen 0.0.0.0:18000;" in conf
    assert f"listen 127.0.0.1:{stack.actions_lb_port};" in conf
    assert stack.settings.host == "127.0.0.1"
    assert stack.environment()["SANIC_HOST"] == "127.0.0.1"
    assert all(a.startswith("127.0.0.1:") for a in stack.rasa_addresses + stack.action_addresses)
    assert stack.url == "http://127.0.0.1:18000"
