"""Settings.from_env: the documented defaults (README's table), the types parsed, overrides."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from bot.ops.settings import ROOT, Settings


def test_an_empty_environment_gives_the_documented_defaults() -> None:
    s = Settings.from_env({})
    assert s == Settings()  # Settings() alone is the defaults, whatever the environment says
    assert (s.host, s.rasa_port, s.action_port, s.web_port) == ("127.0.0.1", 5005, 5055, 8080)
    assert s.var_dir == ROOT / "var" and s.model_dir == ROOT / "models"
    assert s.startup_timeout == 240.0
    assert s.chat_server_url == "http://127.0.0.1:5005"  # the Rasa server
    assert s.database_url == "" and s.tracker_store_url == ""
    assert s.staff_api_token is None and s.staff_session_key is None
    assert s.secure_cookies and s.trusted_proxies == "" and s.login_limit_redis_url == ""
    assert (s.outbox_interval, s.outbox_max_attempts, s.spool_retry_interval) == (5.0, 8, 5.0)
    assert (s.login_limit_per_ip, s.login_limit_window, s.login_slow_after) == (30, 900.0, 3)
    assert (s.login_delay_base, s.login_delay_max) == (1.0, 30.0)
    assert (s.restart_max_crashes, s.restart_window) == (5, 300)
    assert (s.restart_backoff_base, s.restart_backoff_max) == (1, 30)
    assert s.funnel_flush_interval == 0.5 and not s.production
    assert s.channels == []
    assert s.notices.smtp_port == 25 and s.hours.zone == "America/New_York"
    assert s.stores.tracker_store_url == "postgresql://postgres@127.0.0.1:5432/test"


def test_values_are_parsed_to_their_types() -> None:
    key = base64.urlsafe_b64encode(bytes(range(32))).decode()
    s = Settings.from_env(
        {
            "BIND_HOST": "0.0.0.0",
            "RASA_PORT": "6005",
            "WEB_PORT": " 9090 ",
            "VAR_DIR": "/tmp/somewhere",
            "STARTUP_TIMEOUT": "12.5",
            "CHAT_SERVER_URL": " / ",
            "DATABASE_URL": "postgresql://a@db/x",
            "STAFF_API_TOKEN": "t" * 20,
            "STAFF_SESSION_KEY": key,
            "STAFF_INSECURE_COOKIES": "1",
            "OUTBOX_INTERVAL": "0.5",
            "OUTBOX_MAX_ATTEMPTS": "3",
            "LOGIN_LIMIT_PER_IP": "7",
            "RESTART_MAX_CRASHES": "2",
            "ASSISTANT_PROFILE": "Production",
            "NOTIFY_EMAIL_TO": "a@example.org",
            "NOTIFY_WEBHOOK_URL": "https://hooks.example/x",
            "REDIS_URL": "redis://r:6379/2",
            "WORK_TIMEZONE": "Europe/Rome",
        }
    )
    assert (s.host, s.rasa_port, s.web_port) == ("0.0.0.0", 6005, 9090)
    assert s.var_dir == Path("/tmp/somewhere") and s.log_dir == Path("/tmp/somewhere/log")
    assert s.startup_timeout == 12.5 and s.chat_server_url == "/"
    assert s.database_url == "postgresql://a@db/x"
    assert s.staff_api_token == "t" * 20 and s.staff_session_key == bytes(range(32))
    assert not s.secure_cookies
    assert (s.outbox_interval, s.outbox_max_attempts, s.login_limit_per_ip) == (0.5, 3, 7)
    assert s.restart_max_crashes == 2 and s.production
    assert s.channels == ["email", "webhook"]
    assert s.stores.redis_url == "redis://r:6379/2" and s.hours.zone == "Europe/Rome"
    assert "a@example.org" not in repr(s)  # the environment it came from is never shown


def test_overrides_win_and_settings_are_frozen() -> None:
    s = Settings.from_env({"WEB_PORT": "9090"}, web_port=1234, var_dir=Path("/v"))
    assert s.web_port == 1234 and s.tracker_db == Path("/v/rasa_tracker.db")
    with pytest.raises(AttributeError):
        s.web_port = 1  # type: ignore[misc]


def test_a_bad_number_is_an_error_not_a_default() -> None:
    with pytest.raises(ValueError):
        Settings.from_env({"RASA_PORT": "five"})


def test_parsed_once_per_environment_and_read_again_when_it_changes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HANDOFF_KEY", "first")
    first = Settings.from_env()
    assert Settings.from_env() is first  # crypto asks on every seal: no parse each time
    monkeypatch.setenv("HANDOFF_KEY", "second")
    assert Settings.from_env().handoff_key == "second"
    with pytest.raises(TypeError):
        first.environ["HANDOFF_KEY"] = "x"  # type: ignore[index]
