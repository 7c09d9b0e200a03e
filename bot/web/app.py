"""The web process: one factory, `create_app(settings)`, builds the app and the one database
engine that the public page, the staff inbox, the API, the funnel counters, the outbox worker,
the digest and the spool drain all share; `python -m bot.web.server` serves it."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp_jinja2
import jinja2
from aiohttp import web
from aiohttp_session import session_middleware
from aiohttp_session.cookie_storage import EncryptedCookieStorage

from bot.ops.settings import Settings
from bot.staff import funnel
from bot.staff.digest import digest_context
from bot.staff.workhours import WorkHours
from bot.store import crypto, search
from bot.store.handoff import HandoffStore, default_url, migrate, open_engine
from bot.store.outbox import OutboxWorker, worker_context
from bot.store.spool import Spool, drain_context
from bot.web import api, export, fhir, login, public, queue, record, users
from bot.web import funnel as funnel_pages
from bot.web.limiter import LoginLimiter, MemoryCounters, RedisCounters, parse_proxies
from bot.web.security import HSTS_KEY, add_security_headers, staff_guard
from bot.web.state import (
    API_TOKEN,
    ENGINE,
    INBOX_URL,
    LIMITER,
    OUTBOX_WORKER,
    TRUSTED_PROXIES,
    WORK_HOURS,
)

HERE = Path(__file__).resolve().parent
SESSION_MAX_AGE = 8 * 3600
COOKIE_NAME = "staff_session"


async def healthz(request: web.Request) -> web.StreamResponse:
    return web.Response(text="ok")


def login_limiter(settings: Settings) -> LoginLimiter:
    """Counters in Redis (shared by every web replica) with LOGIN_LIMIT_REDIS_URL, or in the
    production profile (its REDIS_URL); else in this process's memory."""
    s = settings
    counters: MemoryCounters | RedisCounters
    if s.login_limit_redis_url:
        counters = RedisCounters(s.login_limit_redis_url, "assistant:login:")
    elif not s.production:
        counters = MemoryCounters()
    else:
        counters = RedisCounters(s.stores.redis_url, f"{s.stores.lock_key_prefix}:login:")
    return LoginLimiter(
        counters,
        per_ip=s.login_limit_per_ip,
        window=s.login_limit_window,
        slow_after=s.login_slow_after,
        delay_base=s.login_delay_base,
        delay_max=s.login_delay_max,
    )


def create_app(
    settings: Settings,
    *,
    limiter: LoginLimiter | None = None,
    work_hours: WorkHours | None = None,
    workers: bool = True,
) -> web.Application:
    """The public trial page (/), the staff inbox (/staff/), JSON API (/api/) and /healthz,
    over one SQLAlchemy engine (app[ENGINE]) for settings.database_url (default: SQLite
    var/handoffs.db); the schema is migrated on startup.

    From settings: staff_api_token (None disables the API: every call gets 401),
    staff_session_key (32 bytes encrypting the session cookie; None: a random key, so sessions
    end when the process restarts), secure_cookies (False only for plain-http local use and
    tests), chat_server_url (where the public page's chat widget connects), trusted_proxies
    (addresses/networks whose X-Forwarded-For is believed), outbox_interval. limiter: the
    login limiter (default: login_limiter(settings)). work_hours: the team's hours and
    follow-up target (default: WORK_* variables, bot.staff.workhours). workers: also run, on the
    same engine, the outbox worker, the daily digest and the spool drain (the web process
    does; tests of the pages alone leave them out).

    Not from settings: the store's encryption and search keys (HANDOFF_KEY, SEARCH_KEY, else
    the key file under the environment's VAR_DIR) come from the process environment only
    (bot/store/crypto.py, bot/store/search.py); settings naming other keys are refused
    (ValueError, crypto.same_keys).
    """
    crypto.same_keys(settings)
    session_key = settings.staff_session_key
    if session_key is None:
        session_key = secrets.token_bytes(32)
    if len(session_key) != 32:
        raise ValueError("session_key must be 32 bytes")
    api_token = settings.staff_api_token
    if api_token is not None and len(api_token) < 16:
        raise ValueError("api_token must be at least 16 characters")
    storage = EncryptedCookieStorage(
        session_key,
        cookie_name=COOKIE_NAME,
        max_age=SESSION_MAX_AGE,
        path="/staff",
        secure=settings.secure_cookies,
        httponly=True,
        samesite="Strict",
    )
    app = web.Application(
        middlewares=[session_middleware(storage), staff_guard, api.api_guard],
        client_max_size=64 * 1024,
    )
    engine = open_engine(default_url(settings))
    app[ENGINE] = engine
    app[LIMITER] = limiter or login_limiter(settings)
    app[TRUSTED_PROXIES] = parse_proxies(settings.trusted_proxies)
    app[API_TOKEN] = api_token or ""
    hours = work_hours or settings.hours
    app[WORK_HOURS] = hours
    app[HSTS_KEY] = settings.secure_cookies
    app[INBOX_URL] = settings.inbox_url
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
    app.router.add_routes(login.routes)
    app.router.add_routes(queue.routes)
    app.router.add_routes(record.routes)
    app.router.add_routes(export.routes)
    app.router.add_routes(users.routes)
    app.router.add_routes(api.routes)
    app.router.add_routes(funnel_pages.routes)
    app.router.add_routes(fhir.routes)
    app.router.add_static("/staff/static/", HERE / "static", show_index=False)
    counter = funnel.recorder(engine.url)
    counter.share(engine)
    public.setup(app, settings.chat_server_url, counter)

    async def database(app: web.Application) -> AsyncIterator[None]:
        await asyncio.to_thread(migrate, engine)
        await asyncio.to_thread(search.index_missing, engine)  # records made before 0005
        yield
        await app[LIMITER].close()
        await asyncio.to_thread(counter.close)  # page views still in memory
        await asyncio.to_thread(engine.dispose)

    app.cleanup_ctx.append(database)
    if workers:
        # Opened before anything serves: creates or upgrades the schema (on the same engine).
        store = HandoffStore(engine=engine, settings=settings)
        worker = OutboxWorker(engine, settings.notices, max_attempts=settings.outbox_max_attempts)
        app[OUTBOX_WORKER] = worker
        app.cleanup_ctx.append(worker_context(worker, interval=settings.outbox_interval))
        # Once a working day: the digest of records waiting past the follow-up target.
        app.cleanup_ctx.append(digest_context(engine, store.channels, hours))
        # Handoffs the action server spooled while the store was down (shared VAR_DIR).
        spool = Spool(settings.var_dir / "spool")
        app.cleanup_ctx.append(drain_context(spool, store, settings.spool_retry_interval))
    return app
