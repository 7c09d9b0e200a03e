"""Staff users of the web inbox: add a user (argon2id hash), check a password, change it,
disable a user, and the per-user session version that lets all of a user's sessions end at once.

A session cookie carries the user's session_version from login time; logout, a password
change and disable-user bump the version, so every cookie issued before stops working.

Blocking (SQLAlchemy 1.4 Core); call from async code via asyncio.to_thread. Passwords and
hashes are never logged.

A little over 300 lines: every user operation bumps the same session version (_bump) and
shares the password and role checks; the command line at the end (main) is a thin caller.
"""

from __future__ import annotations

import getpass
import re
import sys
from datetime import datetime, timezone
from functools import cache
from typing import TextIO

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from bot.staff import audit
from bot.store.schema import staff_trials, staff_users

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{0,79}$")
ROLES = ("admin", "coordinator", "viewer")
# admin: everything, and the user admin pages; coordinator: works the queue (contact details,
# status, attempts, assignment, CSV); viewer: outcomes and answers only, never contact details.
ROLE_LABELS = {"admin": "Admin", "coordinator": "Coordinator", "viewer": "Viewer"}
ROLE_CHANGED = "role_changed"
TRIALS_CHANGED = "trials_changed"
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024
CLI_ACTOR = "command line"

_hasher = PasswordHasher()


class StaffError(ValueError):
    """A username or password that cannot be used."""


def normalise(username: str) -> str:
    return username.strip().lower()


@cache
def _dummy_hash() -> str:
    """Verified against when the user does not exist, so both paths cost one argon2 run."""
    return _hasher.hash("not a real password, only here to spend the same time")


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise StaffError(f"password: at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise StaffError(f"password: at most {MAX_PASSWORD_LENGTH} characters")


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise StaffError(f"role: one of {', '.join(ROLES)}")


def add_user(
    engine: sa.engine.Engine,
    username: str,
    password: str,
    *,
    actor: str = CLI_ACTOR,
    role: str = "coordinator",
) -> None:
    """Create a staff user; raises StaffError for a bad name, weak password or duplicate."""
    name = normalise(username)
    if not USERNAME.match(name):
        raise StaffError("username: 1-80 characters of a-z, 0-9, '.', '_', '@', '-'")
    _check_role(role)
    _check_password(password)
    row = {
        "username": name,
        "password_hash": _hasher.hash(password),
        "created_at": datetime.now(timezone.utc),
        "session_version": 0,
        "role": role,
    }
    try:
        with engine.begin() as connection:
            connection.execute(staff_users.insert().values(**row))
            audit.record(connection, actor, audit.USER_ADDED, f"user={name} role={role}")
    except sa.exc.IntegrityError:
        raise StaffError("username: already taken") from None


def _bump(
    engine: sa.engine.Engine,
    username: str,
    action: str,
    actor: str,
    **values: object,
) -> None:
    """Bump the user's session version (ending every session) with other changes, audited."""
    name = normalise(username)
    with engine.begin() as connection:
        updated = connection.execute(
            staff_users.update()
            .where(staff_users.c.username == name)
            .values(session_version=staff_users.c.session_version + 1, **values)
        )
        if updated.rowcount != 1:
            raise StaffError(f"no staff user {name!r}")
        audit.record(connection, actor, action, f"user={name}")


def set_password(
    engine: sa.engine.Engine, username: str, password: str, *, actor: str = CLI_ACTOR
) -> None:
    """A new password; every session of the user ends (a disabled user stays disabled)."""
    _check_password(password)
    _bump(engine, username, audit.PASSWORD_CHANGED, actor, password_hash=_hasher.hash(password))


def disable_user(engine: sa.engine.Engine, username: str, *, actor: str = CLI_ACTOR) -> None:
    """The user can no longer log in and every session of theirs ends now."""
    _bump(engine, username, audit.USER_DISABLED, actor, disabled_at=datetime.now(timezone.utc))


def enable_user(engine: sa.engine.Engine, username: str, *, actor: str = CLI_ACTOR) -> None:
    """A disabled user may log in again (with the password they had)."""
    _bump(engine, username, audit.USER_ENABLED, actor, disabled_at=None)


def set_role(engine: sa.engine.Engine, username: str, role: str, *, actor: str = CLI_ACTOR) -> None:
    """A new role; every session of the user ends (they sign in again with the new rights)."""
    _check_role(role)
    name = normalise(username)
    with engine.begin() as connection:
        updated = connection.execute(
            staff_users.update()
            .where(staff_users.c.username == name)
            .values(session_version=staff_users.c.session_version + 1, role=role)
        )
        if updated.rowcount != 1:
            raise StaffError(f"no staff user {name!r}")
        audit.record(connection, actor, ROLE_CHANGED, f"user={name} role={role}")


def _served() -> dict[str, str]:
    from bot import content

    return content.nct_ids()  # trial id -> nct_id of every served trial


def resolve_trial(value: str) -> str:
    """A served trial's nct_id from its id or nct_id (any case); StaffError otherwise."""
    served = _served()
    value = value.strip()
    if value in served:
        return served[value]
    for nct in served.values():
        if nct.lower() == value.lower():
            return nct
    known = ", ".join(f"{nct} ({key})" for key, nct in served.items())
    raise StaffError(f"trial {value[:40]!r} is not served here; served: {known}")


def set_trials(
    engine: sa.engine.Engine, username: str, trials: list[str], *, actor: str = CLI_ACTOR
) -> list[str]:
    """The user works on these trials (ids or nct_ids of served trials) and no others; returns
    the nct_ids. An empty list removes every assignment (see scope for what that means)."""
    ncts = sorted({resolve_trial(value) for value in trials})
    name = normalise(username)
    with engine.begin() as connection:
        user_id = connection.execute(
            sa.select(staff_users.c.id).where(staff_users.c.username == name)
        ).scalar_one_or_none()
        if user_id is None:
            raise StaffError(f"no staff user {name!r}")
        connection.execute(staff_trials.delete().where(staff_trials.c.user_id == user_id))
        if ncts:
            connection.execute(
                staff_trials.insert(), [{"user_id": user_id, "nct_id": nct} for nct in ncts]
            )
        audit.record(connection, actor, TRIALS_CHANGED, f"user={name} trials={','.join(ncts)}")
    return ncts


def assigned_trials(engine: sa.engine.Engine) -> dict[str, list[str]]:
    """username -> the nct_ids assigned to them (users with none are left out)."""
    query = (
        sa.select(staff_users.c.username, staff_trials.c.nct_id)
        .select_from(staff_trials.join(staff_users, staff_users.c.id == staff_trials.c.user_id))
        .order_by(staff_users.c.username, staff_trials.c.nct_id)
    )
    found: dict[str, list[str]] = {}
    with engine.connect() as connection:
        for row in connection.execute(query):
            found.setdefault(str(row.username), []).append(str(row.nct_id))
    return found


def trials_label(role: str, assigned: list[str] | None) -> str:
    """What the admin users page shows of a user's trials (scope in words)."""
    if role == "admin":
        return "all trials (admin)"
    if assigned:
        return ", ".join(assigned)
    served = sorted(set(_served().values()))
    return f"{served[0]} (the only trial)" if len(served) == 1 else "none (set-trials)"


def scope(engine: sa.engine.Engine, username: str, role: str) -> frozenset[str] | None:
    """The nct_ids whose records the user may see; None: every trial (an admin).

    A coordinator or viewer sees the trials assigned to them (staff_trials); with none
    assigned, the one trial of a one-trial deployment, and no trial at all when the
    deployment serves several (migration 0009 explains the choice)."""
    if role == "admin":
        return None
    query = (
        sa.select(staff_trials.c.nct_id)
        .select_from(staff_trials.join(staff_users, staff_users.c.id == staff_trials.c.user_id))
        .where(staff_users.c.username == normalise(username))
    )
    with engine.connect() as connection:
        assigned = frozenset(str(nct) for nct in connection.execute(query).scalars())
    if assigned:
        return assigned
    served = set(_served().values())
    return frozenset(served) if len(served) == 1 else frozenset()


def users(engine: sa.engine.Engine) -> list[dict[str, object]]:
    """Every staff user (name, role, created, disabled), for the admin page."""
    query = sa.select(
        staff_users.c.username,
        staff_users.c.role,
        staff_users.c.created_at,
        staff_users.c.disabled_at,
    ).order_by(staff_users.c.username)
    with engine.connect() as connection:
        return [dict(row) for row in connection.execute(query).mappings()]


def assignable(engine: sa.engine.Engine) -> list[str]:
    """Users a record can be assigned to: active coordinators and admins."""
    query = (
        sa.select(staff_users.c.username)
        .where(staff_users.c.disabled_at.is_(None), staff_users.c.role != "viewer")
        .order_by(staff_users.c.username)
    )
    with engine.connect() as connection:
        return [str(name) for name in connection.execute(query).scalars()]


def can_be_assigned(engine: sa.engine.Engine, username: str) -> bool:
    return normalise(username) in assignable(engine)


def end_sessions(engine: sa.engine.Engine, username: str) -> None:
    """Logout: every session of the user ends (the cookie in another browser too)."""
    name = normalise(username)
    with engine.begin() as connection:
        connection.execute(
            staff_users.update()
            .where(staff_users.c.username == name)
            .values(session_version=staff_users.c.session_version + 1)
        )
        audit.record(connection, name, audit.LOGOUT)


def exists(engine: sa.engine.Engine, username: str) -> bool:
    with engine.connect() as connection:
        return (
            connection.execute(
                sa.select(staff_users.c.id).where(staff_users.c.username == normalise(username))
            ).first()
            is not None
        )


def session_version(engine: sa.engine.Engine, username: str) -> int | None:
    """The user's current session version, or None when no such user or disabled."""
    found = session_state(engine, username)
    return found[0] if found else None


def session_state(engine: sa.engine.Engine, username: str) -> tuple[int, str] | None:
    """(session version, role) of an active user; None when no such user or disabled."""
    with engine.connect() as connection:
        row = connection.execute(
            sa.select(
                staff_users.c.session_version, staff_users.c.disabled_at, staff_users.c.role
            ).where(staff_users.c.username == normalise(username))
        ).first()
    if row is None or row.disabled_at is not None:
        return None
    return int(row.session_version), str(row.role)


def authenticate(engine: sa.engine.Engine, username: str, password: str) -> int | None:
    """The session version to put in a new session if the password is right, else None.

    One argon2 verification whether or not the user exists (or is disabled).
    """
    name = normalise(username)
    if len(password) > MAX_PASSWORD_LENGTH or len(name) > 80:
        _verify_quietly(_dummy_hash(), password[:MAX_PASSWORD_LENGTH])
        return None
    with engine.connect() as connection:
        row = connection.execute(
            sa.select(
                staff_users.c.id,
                staff_users.c.password_hash,
                staff_users.c.session_version,
                staff_users.c.disabled_at,
            ).where(staff_users.c.username == name)
        ).first()
    if row is None:
        _verify_quietly(_dummy_hash(), password)
        return None
    stored = str(row.password_hash)
    if not _verify_quietly(stored, password) or row.disabled_at is not None:
        return None
    if _hasher.check_needs_rehash(stored):  # parameters were raised since it was made
        with engine.begin() as connection:
            connection.execute(
                staff_users.update()
                .where(staff_users.c.id == row.id)
                .values(password_hash=_hasher.hash(password))
            )
    return int(row.session_version)


def verify(engine: sa.engine.Engine, username: str, password: str) -> bool:
    """True if the password is right (and the user not disabled)."""
    return authenticate(engine, username, password) is not None


def _verify_quietly(stored: str, password: str) -> bool:
    try:
        return _hasher.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def read_password(from_stdin: bool, stdin: TextIO | None = None) -> str | None:
    """The password: one line of standard input (--password-stdin), or asked twice at the
    terminal. None (after a message) when the two typed differ or stdin is empty."""
    if from_stdin:
        line = (stdin or sys.stdin).readline()
        password = line[:-1] if line.endswith("\n") else line
        password = password[:-1] if password.endswith("\r") else password
        if not password:
            print("error: no password on standard input", file=sys.stderr)
            return None
        return password
    password = getpass.getpass("Password: ")
    if password != getpass.getpass("Password again: "):
        print("error: the passwords differ", file=sys.stderr)
        return None
    return password


def main(
    command: str,
    username: str,
    password_stdin: bool = False,
    role: str | None = None,
    trials: list[str] | None = None,
) -> int:
    """`python -m bot staff add-user|set-password|reset-password|disable-user|enable-user|
    set-role NAME`, `staff set-trials NAME NCT_ID...`: exit code."""
    from bot.store.handoff import HandoffStore  # migrates the schema on first use

    password = None
    if command == "reset-password":
        command = "set-password"
    if command in ("add-user", "set-password"):
        password = read_password(password_stdin)
        if password is None:
            return 1
    store = HandoffStore(channels=[])
    name = normalise(username)
    try:
        if command == "add-user":
            assert password is not None
            add_user(store.engine, username, password, role=role or "coordinator")
            done = f"Added staff user {name}. Role: {role or 'coordinator'}."
        elif command == "set-password":
            assert password is not None
            set_password(store.engine, username, password)
            done = f"Changed the password of {name}; every session of theirs has ended."
        elif command == "disable-user":
            disable_user(store.engine, username)
            done = f"Disabled {name}; every session of theirs has ended."
        elif command == "set-role":
            if not role:
                raise StaffError("set-role needs --role admin|coordinator|viewer")
            set_role(store.engine, username, role)
            done = f"{name} is now {role}; every session of theirs has ended."
        elif command == "set-trials":
            ncts = set_trials(store.engine, username, trials or [])
            done = f"{name} now works on {', '.join(ncts) or 'no trial'}."
        elif command == "enable-user":
            enable_user(store.engine, username)
            done = f"Enabled {name} again."
        else:
            raise StaffError(f"unknown command {command}")
    except StaffError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    finally:
        store.engine.dispose()
    print(done)
    return 0


def main_add_user(username: str, password_stdin: bool = False) -> int:
    """`python -m bot staff add-user NAME`: asks for the password twice; returns an exit code."""
    return main("add-user", username, password_stdin)
