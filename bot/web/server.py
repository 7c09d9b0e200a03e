"""The web process's entry point (`python -m bot.web.server`, started by bot.ops.stack and the
production profile): the settings read once, then bot.web.app.create_app's one app."""

from __future__ import annotations

from aiohttp import web

from bot.ops.settings import Settings
from bot.web.app import create_app


def main() -> None:
    settings = Settings.from_env()
    web.run_app(create_app(settings), host=settings.host, port=settings.web_port, print=None)


if __name__ == "__main__":
    main()
