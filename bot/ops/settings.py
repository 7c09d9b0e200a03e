"""Settings from the environment, with the defaults documented in the README.

`Settings.from_env()` reads the environment once, at a process's entry (`python -m bot`,
the web process, the action server's and Rasa's components); the result is passed down.
`Settings()` alone is the documented defaults, whatever the environment says.

A malformed value (OUTBOX_INTERVAL=5s) must not stop Rasa or the action server from
answering (no chat means no 911/988 answer): `from_env()`, which the deep readers call
(bot.store.crypto, the tracker store, the funnel, the encoder, the safety model), falls back
to that variable's default and logs one warning naming the variable (never a key's value).
`Settings.validated()` is strict: `python -m bot run` checks the whole environment once,
before it starts anything, and refuses with the variable's name (bot.ops.stack.checked_settings).

Over 300 lines on purpose: every setting, its default and its parser in one place, so the
README's settings table and this module can be checked against each other.
"""

from __future__ import annotations

import base64
import binascii
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cache, cached_property, lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.ops.production import ProductionConfig
    from bot.staff.notify import NotifySettings
    from bot.staff.workhours import WorkHours

ROOT = Path(__file__).resolve().parents[2]
log = logging.getLogger(__name__)

# Where a tolerant parse puts what it could not read ("NAME: why"); None: strict (raise).
Problems = list[str] | None


def _bad(problems: Problems, message: str) -> None:
    if problems is None:
        raise ValueError(message)
    problems.append(message)


def _text(env: Mapping[str, str], name: str, default: str = "") -> str:
    return env.get(name, "").strip() or default


def _int(env: Mapping[str, str], name: str, default: int, problems: Problems = None) -> int:
    value = env.get(name, "")
    try:
        return int(value) if value.strip() else default
    except ValueError:
        _bad(problems, f"{name}: {value.strip()!r} is not a whole number (default {default})")
        return default


def _float(env: Mapping[str, str], name: str, default: float, problems: Problems = None) -> float:
    value = env.get(name, "")
    try:
        return float(value) if value.strip() else default
    except ValueError:
        _bad(problems, f"{name}: {value.strip()!r} is not a number (default {default})")
        return default


def _key(env: Mapping[str, str], name: str, problems: Problems = None) -> bytes | None:
    """A 32-byte key, urlsafe-base64 encoded (e.g. Fernet.generate_key()); unset: None."""
    raw = env.get(name, "").strip()
    try:
        return base64.urlsafe_b64decode(raw) if raw else None
    except (binascii.Error, ValueError):
        # Never the value: it is a secret.
        _bad(problems, f"{name}: not a urlsafe-base64 key (default: none)")
        return None


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
    # DATABASE_URL ("" = SQLite var/handoffs.db; see bot.store.handoff.default_url)
    database_url: str = ""
    # The web process (bot.web.app.create_app).
    staff_api_token: str | None = None  # STAFF_API_TOKEN (None: the API answers 401)
    staff_session_key: bytes | None = None  # STAFF_SESSION_KEY (None: a random key)
    secure_cookies: bool = True  # False with STAFF_INSECURE_COOKIES=1 (plain http only)
    trusted_proxies: str = ""  # TRUSTED_PROXIES
    login_limit_redis_url: str = ""  # LOGIN_LIMIT_REDIS_URL
    outbox_interval: float = 5.0  # OUTBOX_INTERVAL (seconds)
    outbox_max_attempts: int = 8  # OUTBOX_MAX_ATTEMPTS
    inbox_url: str = ""  # INBOX_URL (the inbox's address in links; "" = the request's own)
    # LOGIN_LIMIT_PER_IP, LOGIN_LIMIT_WINDOW, LOGIN_SLOW_AFTER, LOGIN_DELAY_BASE, _MAX
    login_limit_per_ip: int = 30
    login_limit_window: float = 15 * 60.0
    login_slow_after: int = 3
    login_delay_base: float = 1.0
    login_delay_max: float = 30.0
    spool_retry_interval: float = 5.0  # SPOOL_RETRY_INTERVAL (seconds)
    # Keys (bot.store.crypto, bot.store.search, bot.rasa.session_token): "" = the documented
    # fallbacks.
    handoff_key: str = ""  # HANDOFF_KEY (several, comma-separated, newest first)
    search_key: str = ""  # SEARCH_KEY
    chat_session_key: str = ""  # CHAT_SESSION_KEY
    tracker_store_url: str = ""  # TRACKER_STORE_URL ("" = SQLite var/rasa_tracker.db)
    funnel_flush_interval: float = 0.5  # FUNNEL_FLUSH_INTERVAL (seconds)
    # WORK_TIMEZONE ("" = the study's; bot.staff.workhours, bot.staff.funnel)
    work_timezone: str = ""
    # `python -m bot run`'s supervisor: RESTART_MAX_CRASHES in RESTART_WINDOW seconds, and
    # the backoff between restarts (RESTART_BACKOFF_BASE x 2^n, at most RESTART_BACKOFF_MAX).
    restart_max_crashes: float = 5
    restart_window: float = 300
    restart_backoff_base: float = 1
    restart_backoff_max: float = 30
    production: bool = False  # ASSISTANT_PROFILE=production
    # The sentence encoder's files and the safety classifier's cache (bot.nlu.encoder,
    # bot.safety.model: read when Rasa's process imports them).
    encoder_dir: Path = ROOT / ".venv" / "encoder" / "all-MiniLM-L6-v2"  # ENCODER_DIR
    encoder_cache_dir: Path = ROOT / "var" / "cache"  # ENCODER_CACHE_DIR
    # The environment from_env read (a copy; never shown: it holds secrets). The sub-settings
    # with parsers of their own beside the code that uses them (notices, hours, stores) are
    # parsed from it when first asked for; empty: their defaults.
    environ: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, *, strict: bool = False, **overrides: Any
    ) -> Settings:
        """The settings the environment (or the mapping given) describes; unset or blank
        variables take the defaults above; `overrides` (field=value) win over both.

        A malformed value takes its default too, with one warning naming the variable; with
        `strict`, it raises ValueError("NAME: ...") instead."""
        env = os.environ if environ is None else environ
        found = _parsed(frozenset(env.items()), strict)
        return replace(found, **overrides) if overrides else found

    @classmethod
    def validated(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Strictly parsed, the sub-settings (notices, hours, stores) too: a ValueError names
        the first malformed variable. For the supervisor, once, before it starts anything."""
        settings = cls.from_env(environ, strict=True)
        settings.notices, settings.hours, settings.stores  # noqa: B018 - parsed now
        return settings

    @classmethod
    def _parse(cls, env: dict[str, str], problems: Problems = None) -> Settings:
        default = cls()
        p = problems
        return cls(
            host=env.get("BIND_HOST") or default.host,
            rasa_port=_int(env, "RASA_PORT", default.rasa_port, p),
            action_port=_int(env, "ACTION_PORT", default.action_port, p),
            web_port=_int(env, "WEB_PORT", default.web_port, p),
            var_dir=Path(env.get("VAR_DIR") or default.var_dir),
            model_dir=Path(env.get("MODEL_DIR") or default.model_dir),
            startup_timeout=_float(env, "STARTUP_TIMEOUT", default.startup_timeout, p),
            chat_server=_text(env, "CHAT_SERVER_URL"),
            database_url=_text(env, "DATABASE_URL"),
            staff_api_token=env.get("STAFF_API_TOKEN") or None,
            staff_session_key=_key(env, "STAFF_SESSION_KEY", p),
            secure_cookies=env.get("STAFF_INSECURE_COOKIES", "") != "1",
            trusted_proxies=env.get("TRUSTED_PROXIES", ""),
            login_limit_redis_url=_text(env, "LOGIN_LIMIT_REDIS_URL"),
            outbox_interval=_float(env, "OUTBOX_INTERVAL", default.outbox_interval, p),
            outbox_max_attempts=_int(env, "OUTBOX_MAX_ATTEMPTS", default.outbox_max_attempts, p),
            inbox_url=_text(env, "INBOX_URL").rstrip("/"),
            login_limit_per_ip=int(
                _float(env, "LOGIN_LIMIT_PER_IP", default.login_limit_per_ip, p)
            ),
            login_limit_window=_float(env, "LOGIN_LIMIT_WINDOW", default.login_limit_window, p),
            login_slow_after=int(_float(env, "LOGIN_SLOW_AFTER", default.login_slow_after, p)),
            login_delay_base=_float(env, "LOGIN_DELAY_BASE", default.login_delay_base, p),
            login_delay_max=_float(env, "LOGIN_DELAY_MAX", default.login_delay_max, p),
            spool_retry_interval=_float(
                env, "SPOOL_RETRY_INTERVAL", default.spool_retry_interval, p
            ),
            handoff_key=_text(env, "HANDOFF_KEY"),
            search_key=_text(env, "SEARCH_KEY"),
            chat_session_key=_text(env, "CHAT_SESSION_KEY"),
            tracker_store_url=_text(env, "TRACKER_STORE_URL"),
            work_timezone=_text(env, "WORK_TIMEZONE"),
            funnel_flush_interval=_float(
                env, "FUNNEL_FLUSH_INTERVAL", default.funnel_flush_interval, p
            ),
            restart_max_crashes=_float(env, "RESTART_MAX_CRASHES", default.restart_max_crashes, p),
            restart_window=_float(env, "RESTART_WINDOW", default.restart_window, p),
            restart_backoff_base=_float(
                env, "RESTART_BACKOFF_BASE", default.restart_backoff_base, p
            ),
            restart_backoff_max=_float(env, "RESTART_BACKOFF_MAX", default.restart_backoff_max, p),
            production=_text(env, "ASSISTANT_PROFILE").lower() == "production",
            encoder_dir=Path(env.get("ENCODER_DIR") or default.encoder_dir),
            encoder_cache_dir=Path(env.get("ENCODER_CACHE_DIR") or default.encoder_cache_dir),
            environ=MappingProxyType(env),  # read-only: from_env shares one per environment
        )

    @cached_property
    def notices(self) -> NotifySettings:
        """SMTP_*, NOTIFY_*, INBOX_URL (bot.staff.notify)."""
        from bot.staff.notify import NotifySettings

        return NotifySettings.from_env(self.environ)

    @cached_property
    def hours(self) -> WorkHours:
        """WORK_* and DIGEST_TIME (bot.staff.workhours); a bad value raises WorkHoursError."""
        from bot.staff.workhours import WorkHours

        return WorkHours.from_env(self.environ)

    @cached_property
    def stores(self) -> ProductionConfig:
        """The production profile's stores: TRACKER_STORE_URL, REDIS_URL, LB_PORT ...
        (bot.ops.production.ProductionConfig)."""
        from bot.ops.production import ProductionConfig

        return ProductionConfig.from_env(self.environ)

    @property
    def channels(self) -> list[str]:
        """Notification channels configured; each new handoff gets one outbox row each."""
        return [
            channel
            for channel, on in (
                ("email", bool(self.notices.email_to)),
                ("webhook", bool(self.notices.webhook_url)),
            )
            if on
        ]

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


@lru_cache(maxsize=32)
def _parsed(items: frozenset[tuple[str, str]], strict: bool = False) -> Settings:
    """Settings.from_env's parse, once per distinct environment: the deep readers (bot.store.crypto
    on every seal and unseal, bot.store.search, the funnel) call from_env() often, and the
    environment rarely changes (tests change it; a process's stays as it started). So a
    malformed value is warned about once per process (per environment), not per call."""
    if strict:
        return Settings._parse(dict(items))
    problems: list[str] = []
    settings = Settings._parse(dict(items), problems)
    for problem in problems:
        log.warning("setting ignored, %s is used instead", problem)
    return settings


# The trial this deployment serves: a folder of data (bot/content/__init__.py lists its files).
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
