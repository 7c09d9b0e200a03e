"""The public side of the web app: the trial's page (`/`) with the chat widget, and its assets.

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

from bot import content, funnel
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
    chat_url = request.app[CHAT_URL]
    response = aiohttp_jinja2.render_template(
        "public/index.html",
        request,
        {
            "chat_server_url": chat_url or "/",
            "assets": ASSETS_PREFIX,
            "trial": content.trial(),
            # Written by the trial's coordinator and reviewed with the folder, not user input.
            "page_html": Markup(content.page_html()),  # noqa: S704
        },
    )
    response.headers["Content-Security-Policy"] = public_csp(chat_url)
    if request.method == "GET":
        request.app[FUNNEL].record("page_view")
    return response


def setup(app: web.Application, chat_server_url: str, counter: funnel.Recorder) -> None:
    """Add the page and its static assets (widget, styles, vendored socket.io client); page
    views are counted by ``counter`` (bot.funnel)."""
    chat_origins(chat_server_url)  # fail at start-up, not on the first visit
    app[CHAT_URL] = chat_server_url
    app[FUNNEL] = counter
    app.router.add_routes(routes)
    app.router.add_static(ASSETS_PREFIX, ASSETS, show_index=False, follow_symlinks=False)
