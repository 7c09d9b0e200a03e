"""Encryption at rest (Fernet), with the keys from HANDOFF_KEY or a local key file.

HANDOFF_KEY holds one key, or several separated by commas or spaces (newest first): the first
encrypts, every one decrypts (cryptography's MultiFernet). Rotating a key: put a new key in
front, restart, run `python -m bot rotate-key` (re-encrypts every stored record with the first
key), then drop the old key (docs/operations.md). Everything a patient typed is encrypted with
these keys: handoff answers, questions, contact details, transcripts, staff notes, the spool and
the conversation events in Rasa's tracker store (bot.rasa.tracker_store).

The keys come from the process environment only (Settings.from_env() at each call: HANDOFF_KEY,
else VAR_DIR/handoff.key of the environment's VAR_DIR; bot.store.search's SEARCH_KEY likewise),
never from a Settings object passed to create_app or HandoffStore: every process seals and
unseals deep inside code that is not handed one. `same_keys(settings)` refuses a Settings whose
keys differ from the environment's, so "one Settings passed down" cannot silently encrypt with
another key (review finding 12); create_app and HandoffStore(settings=...) call it.
"""

from __future__ import annotations

import logging
import re
from functools import cache
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from bot.ops.settings import Settings
from bot.store import private

__all__ = [
    "InvalidToken",
    "decrypt",
    "encrypt",
    "fernet",
    "is_token",
    "keys",
    "rotate",
    "same_keys",
]
log = logging.getLogger(__name__)

# Every Fernet token starts with version byte 0x80, base64url-encoded as "gAAAAA".
_TOKEN_PREFIX = "gAAAAA"


def _key_file(settings: Settings) -> Path:
    return settings.var_dir / "handoff.key"


@cache
def _file_key(path: Path) -> str:
    # Development default: a key made once and kept beside the data, readable by us only.
    if not path.exists():
        private.directory(path.parent)
        private.write_bytes(path, Fernet.generate_key())
    return path.read_text().strip()


def keys() -> tuple[str, ...]:
    """The keys in force now, newest (the one that encrypts) first."""
    # Read at each call (bot.ops.settings): every process seals and unseals deep inside (Rasa's
    # tracker store, the action server, the web app, the CLI), and a rotation changes the key.
    settings = Settings.from_env()
    if settings.handoff_key:
        return tuple(key for key in re.split(r"[\s,]+", settings.handoff_key) if key)
    return (_file_key(_key_file(settings)),)


def same_keys(settings: Settings) -> None:
    """Raise ValueError when `settings` name a HANDOFF_KEY or SEARCH_KEY other than the process
    environment's (the keys actually used); warn when, with no HANDOFF_KEY, its VAR_DIR differs
    (the key file used is the environment's VAR_DIR/handoff.key). Never shows a key."""
    env = Settings.from_env()
    for field, name in (("handoff_key", "HANDOFF_KEY"), ("search_key", "SEARCH_KEY")):
        given = getattr(settings, field)
        if given and given != getattr(env, field):
            raise ValueError(
                f"{name}: the settings given differ from the process environment's; the "
                "store's keys come from the environment only (bot/store/crypto.py)"
            )
    if not env.handoff_key and Path(settings.var_dir) != Path(env.var_dir):
        log.warning(
            "no HANDOFF_KEY: records are sealed with the environment's VAR_DIR key file "
            "(%s), not the given var_dir's",
            _key_file(env),
        )


@cache
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key.encode()) for key in keys])


def fernet() -> MultiFernet:
    """The cipher for the keys in force now: HANDOFF_KEY, else var/handoff.key."""
    return _fernet(keys())


def encrypt(text: str) -> str:
    return fernet().encrypt(text.encode()).decode()


def decrypt(token: str) -> str:
    return fernet().decrypt(token.encode()).decode()


def is_token(value: str | None) -> bool:
    """Whether a stored value is a Fernet token (not legacy plain text from before 0003)."""
    return bool(value) and str(value).startswith(_TOKEN_PREFIX)


def rotate(token: str) -> str:
    """The same plaintext encrypted with the newest key (any key in force may have made it)."""
    return fernet().rotate(token.encode()).decode()
