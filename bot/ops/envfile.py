"""Local secrets for `make run`: read the git-ignored .env, create missing secrets once."""

from __future__ import annotations

import base64
import os
import secrets
from pathlib import Path

from cryptography.fernet import Fernet

from bot.ops.settings import ROOT

ENV_FILE = ROOT / ".env"

# name -> how to make a new value
GENERATED = {
    "STAFF_API_TOKEN": lambda: secrets.token_urlsafe(32),
    "STAFF_SESSION_KEY": lambda: base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
    "HANDOFF_KEY": lambda: Fernet.generate_key().decode(),
    # Signs the chat widget's socket.io session tokens (bot/rasa/session_token.py).
    "CHAT_SESSION_KEY": lambda: base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
    # Keys the search index of names, e-mails and phones (bot/store/search.py).
    "SEARCH_KEY": lambda: secrets.token_urlsafe(32),
}


def read(path: Path = ENV_FILE) -> dict[str, str]:
    values: dict[str, str] = {}
    if not path.exists():
        return values
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            values[key.strip()] = value.strip()
    return values


def ensure(path: Path = ENV_FILE) -> list[str]:
    """Put .env values into os.environ (the environment wins); create missing secrets.

    Returns the names of the secrets created now.
    """
    values = read(path)
    created = []
    for name, make in GENERATED.items():
        if not os.environ.get(name) and not values.get(name):
            values[name] = make()
            created.append(name)
    if created:
        body = "".join(f"{k}={v}\n" for k, v in values.items())
        path.write_text("# Local secrets made by `make run`. Never commit this file.\n" + body)
        path.chmod(0o600)
    for key, value in values.items():
        os.environ.setdefault(key, value)
    return created
