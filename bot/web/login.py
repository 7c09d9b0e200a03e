"""Staff pages: sign in (with the login limiter) and sign out."""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web
from aiohttp_session import get_session, new_session

from bot.staff import audit
from bot.staff import users as staff
from bot.web.pages import audit_event, client_ip, render
from bot.web.security import SESSION_USER, SESSION_VERSION, csrf_token
from bot.web.state import ENGINE, LIMITER

log = logging.getLogger(__name__)
routes = web.RouteTableDef()


@routes.get("/staff")
@routes.get("/staff/")
async def staff_home(request: web.Request) -> web.StreamResponse:
    raise web.HTTPSeeOther("/staff/handoffs")


@routes.get("/staff/login")
async def login_form(request: web.Request) -> web.StreamResponse:
    session = await get_session(request)
    if session.get(SESSION_USER):
        raise web.HTTPSeeOther("/staff/handoffs")
    return await render(request, "login.html", {"error": None, "username": ""})


@routes.post("/staff/login")
async def login(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    username = staff.normalise(str(form.get("username") or ""))[:200]
    password = str(form.get("password") or "")
    limiter = request.app[LIMITER]
    engine = request.app[ENGINE]
    ip = client_ip(request)
    if await limiter.blocked(ip):
        log.info("login rate limited from %s", ip)
        return await render(
            request,
            "login.html",
            {"error": "Too many failed attempts. Try again in 15 minutes.", "username": ""},
            status=429,
        )
    attempt = await limiter.start(username, ip)
    if attempt.delay:  # this name had several failures: slow down, never lock out
        await asyncio.sleep(attempt.delay)
    version = await asyncio.to_thread(staff.authenticate, engine, username, password)
    if version is None:
        log.info("failed staff login from %s", ip)
        # Only a real user's name is kept: a name that is no user may be a mistyped password.
        known = await asyncio.to_thread(staff.exists, engine, username)
        actor = username if known else audit.UNKNOWN_USER
        await audit_event(request, actor, audit.LOGIN_FAILED, f"ip={ip}")
        if attempt.ip_failures == limiter.per_ip:
            await audit_event(
                request, actor, audit.LOGIN_LOCKED, f"ip={ip} failures={limiter.per_ip}"
            )
        if attempt.account_failures == limiter.slow_after + 1:
            await audit_event(request, actor, audit.LOGIN_SLOWED, f"ip={ip}")
        return await render(
            request,
            "login.html",
            {"error": "Wrong username or password.", "username": username},
            status=401,
        )
    await limiter.succeeded(attempt)
    session = await new_session(request)  # fresh session: nothing carried over from before
    session[SESSION_USER] = username
    session[SESSION_VERSION] = version
    csrf_token(session)
    raise web.HTTPSeeOther("/staff/handoffs")


@routes.post("/staff/logout")
async def logout(request: web.Request) -> web.StreamResponse:
    """Ends every session of this user (other browsers and copied cookies too)."""
    session = await get_session(request)
    user = session.get(SESSION_USER)
    if isinstance(user, str) and user:
        await asyncio.to_thread(staff.end_sessions, request.app[ENGINE], user)
    session.invalidate()
    raise web.HTTPSeeOther("/staff/login")
