"""Staff web app (inbox of handoffs) and JSON API; see bot.web.app.create_app (the one factory)
and bot.web.server (the one entry point)."""
