"""Staff users of the web inbox: add a user (argon2id hash) and check a password.

Blocking (SQLAlchemy 1.4 Core); call from async code via asyncio.to_thread. Passwords and
hashes are never logged.
"""

from __future__ import annotations

import getpass
import re
import sys
from datetime import datetime, timezone
from functools import cache

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from bot.schema import staff_users

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{0,79}$")
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024

_hasher = PasswordHasher()


class StaffError(ValueError):
    """A username or password that cannot be used."""


def normalise(username: str) -> str:
    return username.strip().lower()


@cache
def _dummy_hash() -> str:
    """Verified against when the user does not exist, so both paths cost one argon2 run."""
    return _hasher.hash("not a real password, only here to spend the same time")


def add_user(engine: sa.engine.Engine, username: str, password: str) -> None:
    """Create a staff user; raises StaffError for a bad name, weak password or duplicate."""
    name = normalise(username)
    if not USERNAME.match(name):
        raise StaffError("username: 1-80 characters of a-z, 0-9, '.', '_', '@', '-'")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise StaffError(f"password: at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise StaffError(f"password: at most {MAX_PASSWORD_LENGTH} characters")
    row = {
        "username": name,
        "password_hash": _hasher.hash(password),
        "created_at": datetime.now(timezone.utc),
    }
    try:
        with engine.begin() as connection:
            connection.execute(staff_users.insert().values(**row))
    except sa.exc.IntegrityError:
        raise StaffError("username: already taken") from None


def verify(engine: sa.engine.Engine, username: str, password: str) -> bool:
    """True if the password is right; one argon2 verification whether or not the user exists."""
    name = normalise(username)
    if len(password) > MAX_PASSWORD_LENGTH or len(name) > 80:
        _verify_quietly(_dummy_hash(), password[:MAX_PASSWORD_LENGTH])
        return False
    with engine.connect() as connection:
        row = connection.execute(
            sa.select(staff_users.c.id, staff_users.c.password_hash).where(
                staff_users.c.username == name
            )
        ).first()
    if row is None:
        _verify_quietly(_dummy_hash(), password)
        return False
    stored = str(row.password_hash)
    if not _verify_quietly(stored, password):
        return False
    if _hasher.check_needs_rehash(stored):  # parameters were raised since it was made
        with engine.begin() as connection:
            connection.execute(
                staff_users.update()
                .where(staff_users.c.id == row.id)
                .values(password_hash=_hasher.hash(password))
            )
    return True


def _verify_quietly(stored: str, password: str) -> bool:
    try:
        return _hasher.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def main_add_user(username: str) -> int:
    """`python -m bot staff add-user NAME`: asks for the password twice; returns an exit code."""
    from bot.handoff import HandoffStore  # migrates the schema on first use

    password = getpass.getpass("Password: ")
    if password != getpass.getpass("Password again: "):
        print("error: the passwords differ", file=sys.stderr)
        return 1
    store = HandoffStore(channels=[])
    try:
        add_user(store.engine, username, password)
    except StaffError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    finally:
        store.engine.dispose()
    print(f"Added staff user {normalise(username)}.")
    return 0
