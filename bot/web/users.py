"""Staff pages: the user admin page (add, disable, enable, role, password)."""

from __future__ import annotations

import asyncio
from functools import partial

from aiohttp import web

from bot.staff import audit, tokens
from bot.staff import users as staff
from bot.web import present, queries
from bot.web.pages import current_user, render
from bot.web.security import require
from bot.web.state import ENGINE, WORK_HOURS

routes = web.RouteTableDef()


@routes.get("/staff/users")
async def user_list(request: web.Request) -> web.StreamResponse:
    return await _users_page(request)


async def _users_page(
    request: web.Request,
    error: str | None = None,
    done: str | None = None,
    new_token: str | None = None,
) -> web.Response:
    require(request, "admin")
    engine = request.app[ENGINE]
    users = await asyncio.to_thread(staff.users, engine)
    assigned = await asyncio.to_thread(staff.assigned_trials, engine)
    for user in users:
        user["trials"] = staff.trials_label(str(user["role"]), assigned.get(str(user["username"])))
    api_tokens = await asyncio.to_thread(tokens.listed, engine)
    events = await asyncio.to_thread(audit.staff_events, engine, 30)
    hours = request.app[WORK_HOURS]
    for event in events:
        moment = event["created_at"]
        event["local"] = present.local_time(queries.utc(moment), hours)
    return await render(
        request,
        "users.html",
        {
            "users": users,
            "tokens": api_tokens,
            "token_roles": tokens.ROLES,
            "new_token": new_token,
            "roles": staff.ROLES,
            "events": events,
            "error": error,
            "done": done or DONE.get(request.query.get("done", "")),
            "min_password": staff.MIN_PASSWORD_LENGTH,
        },
        status=400 if error else 200,
    )


DONE = {
    "added": "Saved: the user is added.",
    "disabled": "Saved: the user is disabled and every session of theirs has ended.",
    "enabled": "Saved: the user may sign in again.",
    "password": "Saved: the password is reset and every session of theirs has ended.",
    "role": "Saved: the role is changed and every session of theirs has ended.",
    "token_revoked": "Saved: the token is revoked; calls with it now get 401.",
}


@routes.post("/staff/users")
async def user_change(request: web.Request) -> web.StreamResponse:
    require(request, "admin")
    form = await request.post()
    engine = request.app[ENGINE]
    actor = await current_user(request)
    action = str(form.get("action") or "")
    name = str(form.get("username") or "")[:200]
    password = str(form.get("password") or "")
    new_role = str(form.get("role") or "")
    try:
        if action == "add":
            await asyncio.to_thread(
                partial(staff.add_user, engine, name, password, actor=actor, role=new_role)
            )
            done = "added"
        elif action == "disable":
            if staff.normalise(name) == actor:
                raise staff.StaffError("you cannot disable yourself")
            await asyncio.to_thread(partial(staff.disable_user, engine, name, actor=actor))
            done = "disabled"
        elif action == "enable":
            await asyncio.to_thread(partial(staff.enable_user, engine, name, actor=actor))
            done = "enabled"
        elif action == "password":
            await asyncio.to_thread(
                partial(staff.set_password, engine, name, password, actor=actor)
            )
            done = "password"
        elif action == "token_add":
            token = await asyncio.to_thread(
                partial(tokens.add, engine, name, role=new_role or "coordinator", actor=actor)
            )
            # Shown once, in this response only (never in a URL, never stored).
            return await _users_page(
                request,
                done=f"Saved: the token of {staff.normalise(name)} is made. Copy it now; "
                "it is not shown again.",
                new_token=token,
            )
        elif action == "token_revoke":
            await asyncio.to_thread(partial(tokens.revoke, engine, name, actor=actor))
            done = "token_revoked"
        elif action == "role":
            if staff.normalise(name) == actor and new_role != "admin":
                raise staff.StaffError("you cannot take away your own admin role")
            await asyncio.to_thread(partial(staff.set_role, engine, name, new_role, actor=actor))
            done = "role"
        else:
            raise staff.StaffError("unknown action")
    except (staff.StaffError, tokens.TokenError) as error:
        return await _users_page(request, error=str(error))
    raise web.HTTPSeeOther(f"/staff/users?done={done}")
