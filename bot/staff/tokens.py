"""Bearer tokens of the staff API, one per integration (e.g. "redcap-sync"): only a SHA-256
of each token is stored, and the audit trail names the integration ("api:redcap-sync").
`python -m bot token add NAME [--role viewer]` prints a new token once; `token revoke NAME`;
`token list`. Blocking (SQLAlchemy Core); call from async code via asyncio.to_thread."""

from __future__ import annotations

import hashlib
import re
import secrets
import sys
from dataclasses import dataclass
from datetime import datetime, timezone

import sqlalchemy as sa

from bot.staff import audit
from bot.store.schema import api_tokens

NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,59}$")
ROLES = ("coordinator", "viewer")
TOKEN_ADDED = "token_added"
TOKEN_REVOKED = "token_revoked"
LEGACY_ACTOR = "api:STAFF_API_TOKEN"  # the single token from the environment


class TokenError(ValueError):
    pass


@dataclass(frozen=True)
class Caller:
    """Who is calling the API: the integration's audit name and its role."""

    actor: str
    role: str


def _sha(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def add(
    engine: sa.engine.Engine, name: str, *, role: str = "coordinator", actor: str = "command line"
) -> str:
    """A new token for the integration; returns it (shown once, never stored)."""
    name = name.strip().lower()
    if not NAME.match(name):
        raise TokenError("name: 1-60 characters of a-z, 0-9, '.', '_', '-'")
    if role not in ROLES:
        raise TokenError(f"role: one of {', '.join(ROLES)}")
    token = "rux_" + secrets.token_urlsafe(32)
    try:
        with engine.begin() as connection:
            connection.execute(
                api_tokens.insert().values(
                    name=name,
                    token_sha256=_sha(token),
                    role=role,
                    created_at=datetime.now(timezone.utc),
                )
            )
            audit.record(connection, actor, TOKEN_ADDED, f"token={name} role={role}")
    except sa.exc.IntegrityError:
        raise TokenError("name: already taken (revoke it first)") from None
    return token


def revoke(engine: sa.engine.Engine, name: str, *, actor: str = "command line") -> None:
    name = name.strip().lower()
    with engine.begin() as connection:
        done = connection.execute(api_tokens.delete().where(api_tokens.c.name == name))
        if done.rowcount != 1:
            raise TokenError(f"no token named {name!r}")
        audit.record(connection, actor, TOKEN_REVOKED, f"token={name}")


def listed(engine: sa.engine.Engine) -> list[dict[str, object]]:
    query = sa.select(api_tokens.c.name, api_tokens.c.role, api_tokens.c.created_at).order_by(
        api_tokens.c.name
    )
    with engine.connect() as connection:
        return [dict(row) for row in connection.execute(query).mappings()]


def caller(engine: sa.engine.Engine, token: str) -> Caller | None:
    """The integration a token belongs to, or None."""
    if not token:
        return None
    with engine.connect() as connection:
        row = connection.execute(
            sa.select(api_tokens.c.name, api_tokens.c.role).where(
                api_tokens.c.token_sha256 == _sha(token), api_tokens.c.revoked_at.is_(None)
            )
        ).first()
    return Caller(f"api:{row.name}", str(row.role)) if row else None


def main(command: str, name: str | None, role: str | None) -> int:
    from bot.store.handoff import HandoffStore

    store = HandoffStore(channels=[])
    try:
        if command == "add":
            assert name is not None
            token = add(store.engine, name, role=role or "coordinator")
            print(f"Token for {name} (shown once; keep it in the integration's secrets):")
            print(token)
        elif command == "revoke":
            assert name is not None
            revoke(store.engine, name)
            print(f"Revoked the token of {name}.")
        else:
            for row in listed(store.engine):
                print(f"{row['name']}\t{row['role']}\t{row['created_at']}")
    except TokenError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    finally:
        store.engine.dispose()
    return 0
