"""Settings from the environment, with the defaults documented in the README."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    return int(value) if value.strip() else default


@dataclass(frozen=True)
class Settings:
    """Where the processes listen and keep their files."""

    host: str = field(default_factory=lambda: os.environ.get("BIND_HOST", "127.0.0.1"))
    rasa_port: int = field(default_factory=lambda: _int("RASA_PORT", 5005))
    action_port: int = field(default_factory=lambda: _int("ACTION_PORT", 5055))
    web_port: int = field(default_factory=lambda: _int("WEB_PORT", 8080))
    var_dir: Path = field(default_factory=lambda: Path(os.environ.get("VAR_DIR", ROOT / "var")))
    model_dir: Path = field(
        default_factory=lambda: Path(os.environ.get("MODEL_DIR", ROOT / "models"))
    )
    startup_timeout: float = field(
        default_factory=lambda: float(os.environ.get("STARTUP_TIMEOUT", "240"))
    )

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
        return os.environ.get("CHAT_SERVER_URL", "").strip() or self.rasa_url

    @property
    def action_url(self) -> str:
        return f"http://{self.host}:{self.action_port}"


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
