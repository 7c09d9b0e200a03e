"""The web process: staff inbox and API (bot.web) plus the notification outbox worker."""

from __future__ import annotations

import base64
import os

from aiohttp import web

from bot.ops.settings import Settings
from bot.staff.digest import digest_context
from bot.staff.workhours import WorkHours
from bot.store.handoff import HandoffStore
from bot.store.outbox import OutboxWorker, worker_context
from bot.store.spool import Spool, drain_context
from bot.web.app import create_app
from bot.web.limiter import LoginLimiter, MemoryCounters, RedisCounters


def login_limiter() -> LoginLimiter:
    """Counters in Redis (shared by every web replica) with LOGIN_LIMIT_REDIS_URL, or in the
    production profile (its REDIS_URL); else in this process's memory."""
    from bot.ops.production import ProductionConfig, is_production

    explicit = os.environ.get("LOGIN_LIMIT_REDIS_URL", "").strip()
    if explicit:
        return LoginLimiter(RedisCounters(explicit, "assistant:login:"))
    if not is_production():
        return LoginLimiter(MemoryCounters())
    config = ProductionConfig()
    return LoginLimiter(RedisCounters(config.redis_url, f"{config.lock_key_prefix}:login:"))


def build_app(settings: Settings | None = None) -> web.Application:
    settings = settings or Settings()
    store = HandoffStore()  # creates or upgrades the schema before anything serves
    raw_key = os.environ.get("STAFF_SESSION_KEY", "").strip()
    app = create_app(
        store.url,
        api_token=os.environ.get("STAFF_API_TOKEN") or None,
        session_key=base64.urlsafe_b64decode(raw_key) if raw_key else None,
        # Browsers send Secure cookies to http://localhost too; a real site runs behind TLS.
        secure_cookies=os.environ.get("STAFF_INSECURE_COOKIES", "") != "1",
        chat_server_url=settings.chat_server_url,
        limiter=login_limiter(),
    )
    interval = float(os.environ.get("OUTBOX_INTERVAL", "5"))
    app.cleanup_ctx.append(worker_context(OutboxWorker(store.engine), interval=interval))
    # Once a working day: the digest of records waiting past the follow-up target.
    app.cleanup_ctx.append(digest_context(store.engine, store.channels, WorkHours.from_env()))
    # Handoffs the action server spooled while the store was down (shared VAR_DIR).
    app.cleanup_ctx.append(drain_context(Spool(settings.var_dir / "spool"), store))
    return app


def main() -> None:
    settings = Settings()
    web.run_app(build_app(settings), host=settings.host, port=settings.web_port, print=None)


if __name__ == "__main__":
    main()
