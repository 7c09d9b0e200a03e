"""The public side of the web app: the trial's page (`/`) with the chat widget, and its assets;
each other trial a deployment serves (TRIALS) at `/t/<trial-id>/`.

The widget in the page talks to the Rasa server's socket.io channel, which is another origin
(CHAT_SERVER_URL). Only this page's Content-Security-Policy allows connecting there; the staff
pages keep the strict policy of bot.web.security.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp_jinja2
from aiohttp import web
from markupsafe import Markup

from bot import content
from bot.staff import funnel
from bot.web.security import CSP

HERE = Path(__file__).resolve().parent
ASSETS = HERE / "public"
ASSETS_PREFIX = "/static/"
CHAT_URL = web.AppKey("chat_server_url", str)
FUNNEL = web.AppKey("funnel", funnel.Recorder)
HOST_PORT = re.compile(r"[A-Za-z0-9.-]+(:\d{1,5})?|\[[0-9A-Fa-f:.]+\](:\d{1,5})?")
routes = web.RouteTableDef()


def chat_origins(chat_server_url: str) -> list[str]:
    """The origins the page may connect to: the socket.io server over http(s) and ws(s).

    "/" (or "") means the chat server is reached on the page's own origin, e.g. through a
    reverse proxy that forwards /socket.io/.
    """
    if chat_server_url in ("", "/"):
        return []
    parts = urlsplit(chat_server_url)
    if parts.scheme not in ("http", "https") or not HOST_PORT.fullmatch(parts.netloc):
        raise ValueError(f"CHAT_SERVER_URL must be an http(s) URL or '/': {chat_server_url!r}")
    socket_scheme = "wss" if parts.scheme == "https" else "ws"
    return [f"{parts.scheme}://{parts.netloc}", f"{socket_scheme}://{parts.netloc}"]


def public_csp(chat_server_url: str) -> str:
    """The staff CSP plus connect-src for exactly the chat server (nothing else is loosened)."""
    connect = " ".join(["'self'", *chat_origins(chat_server_url)])
    return CSP.replace("default-src 'self';", f"default-src 'self'; connect-src {connect};")


@routes.get("/")
async def home(request: web.Request) -> web.StreamResponse:
    return _page(request, content.default_id())


@routes.get("/t/{trial}/")
async def trial_page(request: web.Request) -> web.StreamResponse:
    """Another trial of this deployment (TRIALS); the default trial's page is /."""
    trial_id = request.match_info["trial"]
    if trial_id not in content.served():
        raise web.HTTPNotFound()
    if trial_id == content.default_id():
        raise web.HTTPFound("/")
    return _page(request, trial_id)


@routes.get("/t/{trial}")
async def trial_page_slash(request: web.Request) -> web.StreamResponse:
    trial_id = request.match_info["trial"]
    if trial_id not in content.served():
        raise web.HTTPNotFound()
    raise web.HTTPFound(f"/t/{trial_id}/")


def _page(request: web.Request, trial_id: str) -> web.StreamResponse:
    chat_url = request.app[CHAT_URL]
    with content.serving(trial_id):
        response = aiohttp_jinja2.render_template(
            "public/index.html",
            request,
            {
                "chat_server_url": chat_url or "/",
                "assets": ASSETS_PREFIX,
                "trial": content.trial(),
                "trial_id": trial_id,
                "default_trial": trial_id == content.default_id(),
                # Written by the trial's coordinator and reviewed with the folder, not input.
                "page_html": Markup(content.page_html()),  # noqa: S704
            },
        )
        if request.method == "GET":
            request.app[FUNNEL].record("page_view")  # counted for this trial
    response.headers["Content-Security-Policy"] = public_csp(chat_url)
    return response


def setup(app: web.Application, chat_server_url: str, counter: funnel.Recorder) -> None:
    """Add the page and its static assets (widget, styles, vendored socket.io client); page
    views are counted by ``counter`` (bot.staff.funnel)."""
    chat_origins(chat_server_url)  # fail at start-up, not on the first visit
    app[CHAT_URL] = chat_server_url
    app[FUNNEL] = counter
    app.router.add_routes(routes)
    app.router.add_static(ASSETS_PREFIX, ASSETS, show_index=False, follow_symlinks=False)
