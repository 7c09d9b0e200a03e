"""Encryption at rest (Fernet), with the keys from HANDOFF_KEY or a local key file.

HANDOFF_KEY holds one key, or several separated by commas or spaces (newest first): the first
encrypts, every one decrypts (cryptography's MultiFernet). Rotating a key: put a new key in
front, restart, run `python -m bot rotate-key` (re-encrypts every stored record with the first
key), then drop the old key (docs/operations.md). Everything a patient typed is encrypted with
these keys: handoff answers, questions, contact details, transcripts, staff notes, the spool and
the conversation events in Rasa's tracker store (bot.rasa.tracker_store).
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from bot.ops.settings import Settings
from bot.store import private

__all__ = ["InvalidToken", "decrypt", "encrypt", "fernet", "is_token", "keys", "rotate"]

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
