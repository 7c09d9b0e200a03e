"""Security plumbing: response headers, staff login check (with revocable sessions), CSRF,
API token. The login limiter is in bot.web.limiter."""

from __future__ import annotations

import asyncio
import hmac
import secrets
from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp_session import Session, get_session

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
PUBLIC_STAFF_PATHS = ("/staff/login",)
STATIC_PREFIX = "/staff/static/"
CSRF_FIELD = "csrf_token"
SESSION_USER = "user"
SESSION_VERSION = "version"  # the user's staff_users.session_version when the session began
SESSION_CSRF = "csrf"
HSTS_KEY = web.AppKey("hsts", bool)
ROLE = "staff_role"  # request key: the role of whoever is calling
# request key: the nct_ids the caller may see (None: every trial); bot.staff.users.scope for a
# signed-in user, None for the API's deployment-wide tokens. Missing: no trial at all.
SCOPE = "staff_scope"


async def add_security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """on_response_prepare hook: runs for every response, errors and static files included."""
    # aiohttp would name itself and its version ("Server: Python/3.10 aiohttp/3.9.5").
    response.headers.popall("Server", None)
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if not request.path.startswith(STATIC_PREFIX):
        # Pages and API carry personal data: keep them out of every cache.
        response.headers["Cache-Control"] = "no-store"
    if request.app.get(HSTS_KEY):
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")


def csrf_token(session: Session) -> str:
    token = session.get(SESSION_CSRF)
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        session[SESSION_CSRF] = token
    return token


@web.middleware
async def staff_guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Under /staff/: anonymous users go to the login page; every POST needs the CSRF token.

    A session counts only while its user exists, is not disabled and still has the session
    version the session began with (logout, a password change and disable-user bump it).
    """
    path = request.path
    if not path.startswith("/staff") or path.startswith(STATIC_PREFIX):
        return await handler(request)
    session = await get_session(request)
    user = session.get(SESSION_USER)
    role = await session_role(request, session) if user else None
    if user and role is None:
        session.clear()  # ended elsewhere: this cookie is anonymous from now on
        user = None
    if path not in PUBLIC_STAFF_PATHS and not user:
        raise web.HTTPSeeOther("/staff/login")
    request[ROLE] = role or ""
    request[SCOPE] = await user_scope(request, str(user), role) if user and role else frozenset()
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        expected = session.get(SESSION_CSRF)
        form = await request.post()
        given = form.get(CSRF_FIELD)
        if (
            not isinstance(expected, str)
            or not expected
            or not isinstance(given, str)
            or not hmac.compare_digest(given.encode(), expected.encode())
        ):
            raise web.HTTPForbidden(text="Forbidden: missing or wrong CSRF token.")
    return await handler(request)


async def session_role(request: web.Request, session: Session) -> str | None:
    """The signed-in user's role while the session counts, else None."""
    from bot.staff import users as staff
    from bot.web.state import ENGINE

    user, version = session.get(SESSION_USER), session.get(SESSION_VERSION)
    if not isinstance(user, str) or not isinstance(version, int):
        return None
    current = await asyncio.to_thread(staff.session_state, request.app[ENGINE], user)
    if current is None or current[0] != version:
        return None
    return current[1]


async def user_scope(request: web.Request, user: str, role: str) -> frozenset[str] | None:
    from bot.staff import users as staff
    from bot.web.state import ENGINE

    return await asyncio.to_thread(staff.scope, request.app[ENGINE], user, role)


def scope(request: web.Request) -> frozenset[str] | None:
    """The trials the caller may see (bot.web.queries.Scope); fails closed: no trial."""
    found = request.get(SCOPE, frozenset())
    return found if found is None else frozenset(found)


async def session_current(request: web.Request, session: Session) -> bool:
    return await session_role(request, session) is not None


def role(request: web.Request) -> str:
    """admin | coordinator | viewer for a signed-in page, the token's role on the API."""
    return str(request.get(ROLE) or "")


def sees_contact(request: web.Request) -> bool:
    return role(request) in ("admin", "coordinator")


def require(request: web.Request, *roles: str) -> None:
    if role(request) not in roles:
        raise web.HTTPForbidden(text="Forbidden: your role cannot do this.")


def bearer_ok(request: web.Request, api_token: str | None) -> bool:
    if not api_token:
        return False
    header = request.headers.get("Authorization", "")
    scheme, _, given = header.partition(" ")
    if scheme.lower() != "bearer" or not given:
        return False
    return hmac.compare_digest(given.strip().encode(), api_token.encode())
