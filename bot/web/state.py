"""Typed keys for what the app keeps between requests."""

from __future__ import annotations

import sqlalchemy as sa
from aiohttp import web

from bot.staff.workhours import WorkHours
from bot.web.limiter import LoginLimiter, Network

ENGINE: web.AppKey[sa.engine.Engine] = web.AppKey("engine", sa.engine.Engine)
LIMITER = web.AppKey("login_limiter", LoginLimiter)
API_TOKEN = web.AppKey("api_token", str)
# Peers whose X-Forwarded-For is believed (TRUSTED_PROXIES).
TRUSTED_PROXIES: web.AppKey[tuple[Network, ...]] = web.AppKey("trusted_proxies")
WORK_HOURS = web.AppKey("work_hours", WorkHours)
