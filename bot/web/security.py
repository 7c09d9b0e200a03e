"""Security plumbing: response headers, staff login check, CSRF, login rate limit, API token."""

from __future__ import annotations

import hmac
import secrets
import time
from collections import deque
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
SESSION_CSRF = "csrf"
HSTS_KEY = web.AppKey("hsts", bool)


async def add_security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """on_response_prepare hook: runs for every response, errors and static files included."""
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
    """Under /staff/: anonymous users go to the login page; every POST needs the CSRF token."""
    path = request.path
    if not path.startswith("/staff") or path.startswith(STATIC_PREFIX):
        return await handler(request)
    session = await get_session(request)
    if path not in PUBLIC_STAFF_PATHS and not session.get(SESSION_USER):
        raise web.HTTPSeeOther("/staff/login")
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


def bearer_ok(request: web.Request, api_token: str | None) -> bool:
    if not api_token:
        return False
    header = request.headers.get("Authorization", "")
    scheme, _, given = header.partition(" ")
    if scheme.lower() != "bearer" or not given:
        return False
    return hmac.compare_digest(given.strip().encode(), api_token.encode())


class LoginLimiter:
    """Failed logins per (username, IP) and per IP in a sliding window, kept in memory.

    An attempt counts as failed from the moment it starts and is withdrawn on success, so
    concurrent guesses cannot slip past the limit while argon2 runs.
    """

    def __init__(
        self,
        *,
        per_user: int = 5,
        per_ip: int = 30,
        window: float = 15 * 60,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 100_000,
    ) -> None:
        self.per_user = per_user
        self.per_ip = per_ip
        self.window = window
        self.clock = clock
        self.max_keys = max_keys
        self._hits: dict[tuple[str, str], deque[float]] = {}

    def _recent(self, key: tuple[str, str]) -> deque[float]:
        hits = self._hits.get(key)
        if hits is None:
            return deque()
        cutoff = self.clock() - self.window
        while hits and hits[0] <= cutoff:
            hits.popleft()
        if not hits:
            del self._hits[key]
        return hits

    def blocked(self, username: str, ip: str) -> bool:
        return (
            len(self._recent(("user", f"{username}\x00{ip}"))) >= self.per_user
            or len(self._recent(("ip", ip))) >= self.per_ip
        )

    def start(self, username: str, ip: str) -> float:
        if len(self._hits) >= self.max_keys:
            self._prune()
        stamp = self.clock()
        for key in (("user", f"{username}\x00{ip}"), ("ip", ip)):
            self._hits.setdefault(key, deque()).append(stamp)
        return stamp

    def succeeded(self, username: str, ip: str, stamp: float) -> None:
        """A successful login clears that user's failures from this IP."""
        self._hits.pop(("user", f"{username}\x00{ip}"), None)
        hits = self._hits.get(("ip", ip))
        if hits is not None and stamp in hits:
            hits.remove(stamp)

    def _prune(self) -> None:
        for key in list(self._hits):
            self._recent(key)
        while len(self._hits) >= self.max_keys:  # still full: drop the oldest keys
            self._hits.pop(next(iter(self._hits)))
