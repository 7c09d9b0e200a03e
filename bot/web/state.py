"""Typed keys for what the app keeps between requests."""

from __future__ import annotations

import sqlalchemy as sa
from aiohttp import web

from bot.staff.workhours import WorkHours
from bot.store.outbox import OutboxWorker
from bot.web.limiter import LoginLimiter, Network

ENGINE: web.AppKey[sa.engine.Engine] = web.AppKey("engine", sa.engine.Engine)
LIMITER = web.AppKey("login_limiter", LoginLimiter)
API_TOKEN = web.AppKey("api_token", str)
# Peers whose X-Forwarded-For is believed (TRUSTED_PROXIES).
TRUSTED_PROXIES: web.AppKey[tuple[Network, ...]] = web.AppKey("trusted_proxies")
WORK_HOURS = web.AppKey("work_hours", WorkHours)
# INBOX_URL: the web app's address in links (FHIR fullUrls); "" = the request's own.
INBOX_URL = web.AppKey("inbox_url", str)
# The outbox worker of the web process (create_app(workers=True)), on the app's engine.
OUTBOX_WORKER = web.AppKey("outbox_worker", OutboxWorker)
