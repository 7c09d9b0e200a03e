"""Encrypt contact details at rest (Fernet), with the key from HANDOFF_KEY or a local key file."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

from cryptography.fernet import Fernet

from bot.settings import Settings


def _key_file() -> Path:
    return Settings().var_dir / "handoff.key"


@cache
def _file_key(path: Path) -> str:
    # Development default: a key made once and kept beside the data, readable by us only.
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(Fernet.generate_key())
        path.chmod(0o600)
    return path.read_text().strip()


@cache
def _fernet(key: str) -> Fernet:
    return Fernet(key.encode())


def fernet() -> Fernet:
    """The cipher for the key in force now: HANDOFF_KEY, else var/handoff.key."""
    key = os.environ.get("HANDOFF_KEY", "").strip() or _file_key(_key_file())
    return _fernet(key)


def encrypt(text: str) -> str:
    return fernet().encrypt(text.encode()).decode()


def decrypt(token: str) -> str:
    return fernet().decrypt(token.encode()).decode()
