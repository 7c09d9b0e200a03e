"""Typed keys for what the app keeps between requests."""

from __future__ import annotations

import sqlalchemy as sa
from aiohttp import web

from bot.web.security import LoginLimiter

ENGINE: web.AppKey[sa.engine.Engine] = web.AppKey("engine", sa.engine.Engine)
LIMITER = web.AppKey("login_limiter", LoginLimiter)
API_TOKEN = web.AppKey("api_token", str)
