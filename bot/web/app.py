"""The staff web app: `create_app(...)` builds it; `python -m bot.web.app` serves it locally."""

from __future__ import annotations

import asyncio
import base64
import os
import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp_jinja2
import jinja2
import sqlalchemy as sa
from aiohttp import web
from aiohttp_session import session_middleware
from aiohttp_session.cookie_storage import EncryptedCookieStorage

from bot.ops.settings import Settings
from bot.staff import funnel
from bot.staff.workhours import WorkHours
from bot.store import search
from bot.store.handoff import default_url, migrate
from bot.web import api, fhir, public, views
from bot.web import funnel as funnel_pages
from bot.web.limiter import LoginLimiter, parse_proxies
from bot.web.security import HSTS_KEY, add_security_headers, staff_guard
from bot.web.state import API_TOKEN, ENGINE, LIMITER, TRUSTED_PROXIES, WORK_HOURS

HERE = Path(__file__).resolve().parent
SESSION_MAX_AGE = 8 * 3600
COOKIE_NAME = "staff_session"


async def healthz(request: web.Request) -> web.StreamResponse:
    return web.Response(text="ok")


def create_app(
    engine_url: str | None = None,
    *,
    api_token: str | None,
    session_key: bytes | None,
    secure_cookies: bool = True,
    chat_server_url: str | None = None,
    trusted_proxies: str | None = None,
    limiter: LoginLimiter | None = None,
    work_hours: WorkHours | None = None,
) -> web.Application:
    """The public trial page (/), the staff inbox (/staff/), JSON API (/api/) and /healthz.

    engine_url: SQLAlchemy URL (default: bot.store.handoff.default_url(), i.e. DATABASE_URL or
    var/handoffs.db); the schema is migrated on startup. api_token: bearer token for /api/
    (None disables the API: every call gets 401). session_key: 32 bytes encrypting the session
    cookie (None: a random key, so sessions end when the process restarts). secure_cookies:
    False only for plain-http local use and tests. chat_server_url: where the public page's
    chat widget connects (default: Settings().chat_server_url, i.e. CHAT_SERVER_URL or Rasa).
    trusted_proxies: addresses/networks whose X-Forwarded-For is believed (default: the
    TRUSTED_PROXIES environment variable; none). limiter: the login limiter (default: one
    counting in memory, settings from LOGIN_* variables; see bot.web.limiter). work_hours:
    the team's hours and follow-up target (default: WORK_* variables, bot.staff.workhours).
    """
    if session_key is None:
        session_key = secrets.token_bytes(32)
    if len(session_key) != 32:
        raise ValueError("session_key must be 32 bytes")
    if api_token is not None and len(api_token) < 16:
        raise ValueError("api_token must be at least 16 characters")
    storage = EncryptedCookieStorage(
        session_key,
        cookie_name=COOKIE_NAME,
        max_age=SESSION_MAX_AGE,
        path="/staff",
        secure=secure_cookies,
        httponly=True,
        samesite="Strict",
    )
    app = web.Application(
        middlewares=[session_middleware(storage), staff_guard, api.api_guard],
        client_max_size=64 * 1024,
    )
    engine = sa.create_engine(engine_url or default_url(), future=True, pool_pre_ping=True)
    app[ENGINE] = engine
    app[LIMITER] = limiter or LoginLimiter()
    app[TRUSTED_PROXIES] = parse_proxies(
        os.environ.get("TRUSTED_PROXIES", "") if trusted_proxies is None else trusted_proxies
    )
    app[API_TOKEN] = api_token or ""
    app[WORK_HOURS] = work_hours or WorkHours.from_env()
    app[HSTS_KEY] = secure_cookies
    aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,  # everything, whatever the template's name
        undefined=jinja2.StrictUndefined,
        default_helpers=False,
    )
    # aiohttp 3.9's signal annotations do not match aiosignal 1.4's generics.
    app.on_response_prepare.append(add_security_headers)  # type: ignore[arg-type]
    app.router.add_get("/healthz", healthz)
    app.router.add_routes(views.routes)
    app.router.add_routes(api.routes)
    app.router.add_routes(funnel_pages.routes)
    app.router.add_routes(fhir.routes)
    app.router.add_static("/staff/static/", HERE / "static", show_index=False)
    counter = funnel.recorder(engine.url)
    public.setup(
        app, Settings().chat_server_url if chat_server_url is None else chat_server_url, counter
    )

    async def database(app: web.Application) -> AsyncIterator[None]:
        await asyncio.to_thread(migrate, engine)
        await asyncio.to_thread(search.index_missing, engine)  # records made before 0005
        yield
        await app[LIMITER].close()
        await asyncio.to_thread(counter.close)  # page views still in memory
        await asyncio.to_thread(engine.dispose)

    app.cleanup_ctx.append(database)
    return app


def _env_session_key() -> bytes | None:
    """STAFF_SESSION_KEY: 32 bytes, urlsafe-base64 encoded (e.g. Fernet.generate_key())."""
    raw = os.environ.get("STAFF_SESSION_KEY", "").strip()
    return base64.urlsafe_b64decode(raw) if raw else None


def main() -> None:
    """Local serving: BIND_HOST, STAFF_PORT (8080), STAFF_API_TOKEN, STAFF_SESSION_KEY,
    STAFF_INSECURE_COOKIES=1 for plain http on localhost only."""
    app = create_app(
        api_token=os.environ.get("STAFF_API_TOKEN") or None,
        session_key=_env_session_key(),
        secure_cookies=os.environ.get("STAFF_INSECURE_COOKIES", "") != "1",
    )
    web.run_app(
        app,
        host=os.environ.get("BIND_HOST", "127.0.0.1"),
        port=int(os.environ.get("STAFF_PORT", "8080")),
    )


if __name__ == "__main__":
    main()
