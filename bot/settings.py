"""Settings from the environment, with the defaults documented in the README.

`Settings.from_env()` reads the environment once, at a process's entry (`python -m bot`,
the web process, the action server's and Rasa's components); the result is passed down.
`Settings()` alone is the documented defaults, whatever the environment says.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def _text(env: Mapping[str, str], name: str, default: str = "") -> str:
    return env.get(name, "").strip() or default


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    value = env.get(name, "")
    return int(value) if value.strip() else default


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    value = env.get(name, "")
    return float(value) if value.strip() else default


def _key(env: Mapping[str, str], name: str) -> bytes | None:
    """A 32-byte key, urlsafe-base64 encoded (e.g. Fernet.generate_key()); unset: None."""
    raw = env.get(name, "").strip()
    return base64.urlsafe_b64decode(raw) if raw else None


@dataclass(frozen=True)
class Settings:
    """Where the processes listen and keep their files, and what the web process serves."""

    host: str = "127.0.0.1"  # BIND_HOST
    rasa_port: int = 5005  # RASA_PORT
    action_port: int = 5055  # ACTION_PORT
    web_port: int = 8080  # WEB_PORT
    var_dir: Path = ROOT / "var"  # VAR_DIR
    model_dir: Path = ROOT / "models"  # MODEL_DIR
    startup_timeout: float = 240.0  # STARTUP_TIMEOUT
    # CHAT_SERVER_URL ("" = the Rasa server; see chat_server_url)
    chat_server: str = ""
    # DATABASE_URL ("" = SQLite var/handoffs.db; see bot.handoff.default_url)
    database_url: str = ""
    # The web process (bot.web.app.create_app).
    staff_api_token: str | None = None  # STAFF_API_TOKEN (None: the API answers 401)
    staff_session_key: bytes | None = None  # STAFF_SESSION_KEY (None: a random key)
    secure_cookies: bool = True  # False with STAFF_INSECURE_COOKIES=1 (plain http only)
    trusted_proxies: str = ""  # TRUSTED_PROXIES
    login_limit_redis_url: str = ""  # LOGIN_LIMIT_REDIS_URL
    outbox_interval: float = 5.0  # OUTBOX_INTERVAL (seconds)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """The settings the environment (or the mapping given) describes; unset or blank
        variables take the defaults above; `overrides` (field=value) win over both."""
        env = os.environ if environ is None else environ
        default = cls()
        found = cls(
            host=env.get("BIND_HOST") or default.host,
            rasa_port=_int(env, "RASA_PORT", default.rasa_port),
            action_port=_int(env, "ACTION_PORT", default.action_port),
            web_port=_int(env, "WEB_PORT", default.web_port),
            var_dir=Path(env.get("VAR_DIR") or default.var_dir),
            model_dir=Path(env.get("MODEL_DIR") or default.model_dir),
            startup_timeout=_float(env, "STARTUP_TIMEOUT", default.startup_timeout),
            chat_server=_text(env, "CHAT_SERVER_URL"),
            database_url=_text(env, "DATABASE_URL"),
            staff_api_token=env.get("STAFF_API_TOKEN") or None,
            staff_session_key=_key(env, "STAFF_SESSION_KEY"),
            secure_cookies=env.get("STAFF_INSECURE_COOKIES", "") != "1",
            trusted_proxies=env.get("TRUSTED_PROXIES", ""),
            login_limit_redis_url=_text(env, "LOGIN_LIMIT_REDIS_URL"),
            outbox_interval=_float(env, "OUTBOX_INTERVAL", default.outbox_interval),
        )
        return replace(found, **overrides) if overrides else found

    @property
    def tracker_db(self) -> Path:
        return self.var_dir / "rasa_tracker.db"

    @property
    def log_dir(self) -> Path:
        return self.var_dir / "log"

    @property
    def rasa_url(self) -> str:
        return f"http://{self.host}:{self.rasa_port}"

    @property
    def web_url(self) -> str:
        return f"http://{self.host}:{self.web_port}"

    @property
    def chat_server_url(self) -> str:
        """Where the public page's chat widget connects (socket.io): CHAT_SERVER_URL, or the
        Rasa server; "/" means the page's own origin (a proxy forwarding /socket.io/)."""
        return self.chat_server or self.rasa_url

    @property
    def action_url(self) -> str:
        return f"http://{self.host}:{self.action_port}"


# The trial this deployment serves: a folder of data (bot/content.py lists its files).
TRIALS_DIR = ROOT / "trials"
DEFAULT_TRIAL = "nct06857240"


def _trial_folder(value: str) -> Path:
    """A trial id (a folder of trials/) or a path to a folder (relative paths from the
    checkout, as tests use them)."""
    if "/" not in value and "\\" not in value:
        return TRIALS_DIR / value
    folder = Path(value)
    return folder if folder.is_absolute() else ROOT / folder


def trial_dir() -> Path:
    """The default trial's folder: the first of ``TRIALS``, else the one ``TRIAL`` setting."""
    return trial_dirs()[0]


def trial_dirs() -> tuple[Path, ...]:
    """The folders of the trials this deployment serves: ``TRIALS`` (ids or paths, separated
    by commas; the first is the default, served at /), else just ``TRIAL``."""
    return _trial_dirs(os.environ.get("TRIALS", ""), os.environ.get("TRIAL", ""))


@cache
def _trial_dirs(trials: str, trial: str) -> tuple[Path, ...]:
    # Read on every content lookup: parsed once per value (the same Path objects each time).
    listed = [v.strip() for v in trials.split(",") if v.strip()]
    values = listed or [trial.strip() or DEFAULT_TRIAL]
    return tuple(dict.fromkeys(_trial_folder(value) for value in values))
