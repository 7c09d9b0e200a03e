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


def test_strictly_a_bad_value_is_an_error_naming_the_variable() -> None:
    """Review finding 7: the supervisor's check (Settings.validated) refuses, and says which."""
    with pytest.raises(ValueError, match="^RASA_PORT: 'five'"):
        Settings.from_env({"RASA_PORT": "five"}, strict=True)
    for name, value in (
        ("OUTBOX_INTERVAL", "5s"),
        ("LOGIN_LIMIT_WINDOW", "15m"),
        ("SMTP_PORT", "x"),
        ("LB_PORT", "eighty"),
        ("WORK_TIMEZONE", "Mars/Base"),
    ):
        with pytest.raises(ValueError, match=f"^{name}: "):
            Settings.validated({name: value})
    with pytest.raises(ValueError, match="^STAFF_SESSION_KEY: ") as raised:
        Settings.validated({"STAFF_SESSION_KEY": "secret!!x"})
    assert "secret" not in str(raised.value)  # a key's value is never shown
    assert Settings.validated({"OUTBOX_INTERVAL": "2"}).outbox_interval == 2.0


def test_deep_readers_get_the_default_and_one_warning_naming_the_variable(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """One malformed web-only setting must not stop Rasa's or the action server's deep readers
    (the keys, the funnel, the encoder): the default is used and the variable named once."""
    env = {"OUTBOX_INTERVAL": "5s", "STAFF_SESSION_KEY": "secret!!x", "HANDOFF_KEY": "k1", "X": "1"}
    with caplog.at_level("WARNING", logger="bot.ops.settings"):
        s = Settings.from_env(env)
        again = Settings.from_env(env)
    assert s is again and s.outbox_interval == 5.0 and s.staff_session_key is None
    assert s.handoff_key == "k1"  # the good values are kept
    warned = [r.getMessage() for r in caplog.records]
    assert len(warned) == 2, warned  # once per variable, not per call
    assert any("OUTBOX_INTERVAL" in w and "5s" in w for w in warned)
    assert any("STAFF_SESSION_KEY" in w for w in warned)
    assert not any("secret" in w for w in warned)


def test_crypto_and_the_funnel_work_with_a_malformed_web_setting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from cryptography.fernet import Fernet

    from bot.store import crypto

    monkeypatch.setenv("HANDOFF_KEY", Fernet.generate_key().decode())
    monkeypatch.setenv("OUTBOX_INTERVAL", "5s")
    monkeypatch.setenv("LOGIN_LIMIT_WINDOW", "15m")
    assert crypto.decrypt(crypto.encrypt("x")) == "x"
    assert Settings.from_env().funnel_flush_interval == 0.5  # what bot.staff.funnel reads


def test_the_supervisor_refuses_a_malformed_setting_naming_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import bot.__main__ as cli
    from bot.ops import envfile, stack

    monkeypatch.setattr(envfile, "ensure", lambda *a: [])
    monkeypatch.delenv("ASSISTANT_PROFILE", raising=False)
    monkeypatch.setenv("OUTBOX_INTERVAL", "5s")

    def never(*args: object) -> None:
        raise AssertionError("nothing starts")

    monkeypatch.setattr(stack.Stack, "start", never)
    assert cli.run() == 1
    err = capsys.readouterr().err
    assert err.startswith("error: OUTBOX_INTERVAL: '5s' is not a number") and ".env" in err


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
