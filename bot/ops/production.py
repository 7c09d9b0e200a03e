"""The production profile on one machine: replicas of Rasa and the action server behind nginx.

    ASSISTANT_PROFILE=production python -m bot run     (or `make run-prod`)

Same code as `make run`, other settings: conversations in PostgreSQL (TRACKER_STORE_URL), the
lock store in Redis (REDIS_URL), handoffs in PostgreSQL (DATABASE_URL), RASA_REPLICAS Rasa
servers and ACTION_REPLICAS action servers, and nginx (round-robin, no sticky sessions) in
front of them and of the web app on LB_PORT. Any replica can take any message of any
conversation: the tracker is read from PostgreSQL and Redis lets one replica at a time work on
one conversation. See docs/kubernetes.md for the same layout on Kubernetes.

Used by the production tests and by `make bench` through `ProductionStack`.

Over 300 lines on purpose: the profile's settings (ProductionConfig), the nginx configuration
it writes and the ProductionStack that starts the replicas behind it are one deployment
description, read together when it changes.
"""

from __future__ import annotations

import dataclasses
import os
import pwd
import shutil
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

import sqlalchemy as sa

from bot.ops.settings import ROOT, Settings
from bot.ops.stack import (
    Service,
    ServiceGroup,
    Stack,
    StartupError,
    http_ok,
    latest_model,
    port_free,
    serve,
)
from bot.store import private

DEPLOY = ROOT / "deploy"
ENDPOINTS = DEPLOY / "endpoints.production.yml"
NGINX_TEMPLATE = DEPLOY / "nginx.conf.template"
LOCAL_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
LOCAL_REDIS = "redis://127.0.0.1:6379/1"
FAIL_TIMEOUT = "10s"


LOOPBACK = "127.0.0.1"


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    value = env.get(name, "").strip()
    try:
        return int(value) if value else default
    except ValueError:
        raise ValueError(f"{name}: {value!r} is not a whole number (default {default})") from None


def _with_loopback(proxies: str) -> str:
    """TRUSTED_PROXIES plus nginx's own loopback address."""
    items = [p.strip() for p in proxies.split(",") if p.strip()]
    return ",".join(dict.fromkeys([*items, LOOPBACK]))


def is_production() -> bool:
    """True when the environment selects the production profile (ASSISTANT_PROFILE)."""
    return Settings.from_env().production


@dataclass(frozen=True)
class ProductionConfig:
    """Where the shared stores are (from_env: from the environment); local servers by default."""

    tracker_store_url: str = LOCAL_POSTGRES
    database_url: str = LOCAL_POSTGRES
    redis_url: str = LOCAL_REDIS
    # Rasa allows only letters and digits here.
    lock_key_prefix: str = "assistant"
    lb_port: int = 8000
    rasa_replicas: int = 2
    action_replicas: int = 2
    # PROXY_DEBUG_HEADERS=1: nginx adds X-Upstream (which replica answered) to every response.
    debug_headers: bool = False

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> ProductionConfig:
        """From the environment bot.ops.settings.Settings.from_env read (settings.stores)."""

        def get(name: str) -> str:
            return env.get(name, "").strip()

        return cls(
            tracker_store_url=get("TRACKER_STORE_URL") or get("DATABASE_URL") or LOCAL_POSTGRES,
            database_url=get("DATABASE_URL") or get("TRACKER_STORE_URL") or LOCAL_POSTGRES,
            redis_url=get("REDIS_URL") or LOCAL_REDIS,
            lock_key_prefix=get("LOCK_STORE_KEY_PREFIX") or "assistant",
            lb_port=_int(env, "LB_PORT", 8000),
            rasa_replicas=_int(env, "RASA_REPLICAS", 2),
            action_replicas=_int(env, "ACTION_REPLICAS", 2),
            debug_headers=get("PROXY_DEBUG_HEADERS") == "1",
        )

    def lock_store_env(self) -> dict[str, str]:
        """REDIS_URL taken apart for deploy/endpoints.production.yml (Rasa wants the parts)."""
        parts = urlsplit(self.redis_url)
        if parts.scheme not in ("redis", "rediss"):
            raise StartupError(f"REDIS_URL must look like redis://host:6379/1, not {parts.scheme}")
        if not self.lock_key_prefix.isalnum():
            raise StartupError("LOCK_STORE_KEY_PREFIX may have only letters and digits.")
        return {
            "LOCK_STORE_HOST": parts.hostname or "127.0.0.1",
            "LOCK_STORE_PORT": str(parts.port or 6379),
            "LOCK_STORE_DB": (parts.path.strip("/") or "1"),
            "LOCK_STORE_PASSWORD": unquote(parts.password or ""),
            "LOCK_STORE_USE_SSL": "true" if parts.scheme == "rediss" else "false",
            "LOCK_STORE_KEY_PREFIX": self.lock_key_prefix,
        }


def check_stores(config: ProductionConfig) -> None:
    """Fail early, in one line, when PostgreSQL or Redis cannot be reached."""
    import redis  # type: ignore[import-untyped]

    for url in {config.tracker_store_url, config.database_url}:
        engine = sa.create_engine(url, future=True)
        try:
            with engine.connect() as connection:
                connection.execute(sa.text("select 1"))
        except sa.exc.SQLAlchemyError as error:
            where = sa.engine.make_url(url).render_as_string(hide_password=True)
            reason = type(getattr(error, "orig", error)).__name__
            raise StartupError(
                f"PostgreSQL at {where} cannot be reached ({reason}): "
                "start it, or set TRACKER_STORE_URL / DATABASE_URL."
            ) from error
        finally:
            engine.dispose()
    env = config.lock_store_env()
    client = redis.Redis(
        host=env["LOCK_STORE_HOST"],
        port=int(env["LOCK_STORE_PORT"]),
        db=int(env["LOCK_STORE_DB"]),
        password=env["LOCK_STORE_PASSWORD"] or None,
        ssl=env["LOCK_STORE_USE_SSL"] == "true",
        socket_timeout=3,
    )
    try:
        client.ping()
    except redis.RedisError as error:
        raise StartupError(
            f"Redis at {env['LOCK_STORE_HOST']}:{env['LOCK_STORE_PORT']} cannot be reached "
            f"({type(error).__name__}): start it, or set REDIS_URL."
        ) from error
    finally:
        client.close()


def render_nginx_conf(
    prefix: Path,
    log_dir: Path,
    listen: str,
    actions_listen: str,
    rasa_servers: Sequence[str],
    action_servers: Sequence[str],
    web_server: str,
    debug_headers: bool = False,
) -> str:
    def servers(addresses: Sequence[str]) -> str:
        return "\n".join(
            f"        server {a} max_fails=1 fail_timeout={FAIL_TIMEOUT};" for a in addresses
        )

    values = {
        "prefix": str(prefix),
        # nginx's workers run as this service's user, the owner of the private VAR_DIR.
        "user": pwd.getpwuid(os.getuid()).pw_name,
        "log_dir": str(log_dir),
        "listen": listen,
        "actions_listen": actions_listen,
        "rasa_servers": servers(rasa_servers),
        "action_servers": servers(action_servers),
        "web_server": web_server,
        "fail_timeout": FAIL_TIMEOUT,
        "debug_headers": "        add_header X-Upstream $upstream_addr always;"
        if debug_headers
        else "        # (X-Upstream off)",
    }
    text = NGINX_TEMPLATE.read_text()
    for name, value in values.items():
        text = text.replace("{{" + name + "}}", value)
    if "{{" in text:
        raise ValueError(f"unfilled placeholder in {NGINX_TEMPLATE}")
    return text


def nginx_binary() -> str:
    found = shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if Path(p).exists()), None
    )
    if not found:
        raise StartupError(
            "nginx is not installed: run scripts/install-system-packages "
            "(or apt-get install nginx)."
        )
    return found


class ProductionStack(ServiceGroup):
    """nginx + N Rasa replicas + M action server replicas + the web app, started together.

    Ports: Rasa replica i listens on settings.rasa_port + i, action replica i on
    settings.action_port + i, the web app on settings.web_port, nginx on lb_port (public) and
    actions_lb_port (internal, lb_port + 1 unless given). `url` is nginx's base URL.
    """

    def __init__(
        self,
        settings: Settings | None = None,
        rasa_replicas: int | None = None,
        action_replicas: int | None = None,
        lb_port: int | None = None,
        *,
        config: ProductionConfig | None = None,
        rasa_ports: Sequence[int] | None = None,
        action_ports: Sequence[int] | None = None,
        actions_lb_port: int | None = None,
    ) -> None:
        given = settings or Settings.from_env()
        # Only nginx's public port listens on BIND_HOST. Replicas, action servers, the web app
        # and nginx's internal action port stay on loopback: an action server reachable from
        # outside would accept forged trackers (and write handoffs).
        self.public_host = given.host
        self.given = given  # as given: the environment they came from, the public host
        self.settings = dataclasses.replace(given, host=LOOPBACK)
        self.config = config or given.stores
        s, c = self.settings, self.config
        n_rasa = rasa_replicas if rasa_replicas is not None else c.rasa_replicas
        n_actions = action_replicas if action_replicas is not None else c.action_replicas
        if n_rasa < 1 or n_actions < 1:
            raise ValueError("need at least one Rasa and one action server replica")
        self.rasa_ports = list(rasa_ports or [s.rasa_port + i for i in range(n_rasa)])
        self.action_ports = list(action_ports or [s.action_port + i for i in range(n_actions)])
        self.lb_port = lb_port if lb_port is not None else c.lb_port
        self.actions_lb_port = actions_lb_port if actions_lb_port is not None else self.lb_port + 1
        self.nginx_prefix = s.var_dir / "nginx"
        self.services: list[Service] = []
        self._restarts: dict[str, float] = {}

    @property
    def url(self) -> str:
        """nginx's public base URL: /webhooks/rest/webhook, /socket.io/, /staff/, /api/."""
        host = LOOPBACK if self.public_host in ("0.0.0.0", "::", "") else self.public_host
        return f"http://{host}:{self.lb_port}"

    @property
    def rasa_addresses(self) -> list[str]:
        return [f"{self.settings.host}:{p}" for p in self.rasa_ports]

    @property
    def action_addresses(self) -> list[str]:
        return [f"{self.settings.host}:{p}" for p in self.action_ports]

    def environment(self) -> dict[str, str]:
        env = Stack(self.settings).environment()
        env.update(self.config.lock_store_env())
        env.update(
            ASSISTANT_PROFILE="production",
            ACTION_ENDPOINT_URL=f"http://{self.settings.host}:{self.actions_lb_port}/webhook",
            TRACKER_STORE_URL=self.config.tracker_store_url,
            DATABASE_URL=self.config.database_url,
            # The web app's login limiter counts in the same Redis (bot.web.limiter).
            REDIS_URL=self.config.redis_url,
            # nginx (on loopback) is the web app's proxy: its X-Forwarded-For is believed.
            TRUSTED_PROXIES=_with_loopback(self.given.trusted_proxies),
            # One Sanic worker per replica: replicas, not workers, are the unit of scale.
            SANIC_WORKERS="1",
            INBOX_URL=self.given.environ.get("INBOX_URL", self.url),
            # The public page's widget connects to its own origin: nginx forwards /socket.io/.
            CHAT_SERVER_URL=self.given.chat_server or "/",
        )
        return env

    def pin_model(self) -> Path:
        """Copy the newest model into var/ once: every replica, and every restart of one,
        loads the same model, even if a new one is trained into models/ meanwhile."""
        source = latest_model(self.settings.model_dir)
        pinned_dir = self.settings.var_dir / "models"
        pinned_dir.mkdir(parents=True, exist_ok=True)
        for old in pinned_dir.glob("*.tar.gz"):
            old.unlink()
        target = pinned_dir / source.name
        partial = target.with_suffix(".partial")
        shutil.copyfile(source, partial)
        partial.rename(target)
        return target

    def plan(self) -> list[Service]:
        s = self.settings
        model = self.pin_model()
        rasa_bin = str(Path(sys.executable).with_name("rasa"))
        services = [
            Service(
                "web app",
                [sys.executable, "-m", "bot.web.server"],
                f"{s.web_url}/healthz",
                s.log_dir / "web.log",
            )
        ]
        for i, port in enumerate(self.action_ports, start=1):
            services.append(
                Service(
                    f"action server {i}",
                    [rasa_bin, "run", "actions", "--actions", "actions", "--port", str(port)],
                    f"http://{s.host}:{port}/health",
                    s.log_dir / f"actions-{i}.log",
                )
            )
        for i, port in enumerate(self.rasa_ports, start=1):
            services.append(
                Service(
                    f"Rasa server {i}",
                    [rasa_bin, "run", "--model", str(model), "--interface", s.host,
                     "--port", str(port), "--credentials", "credentials.yml",
                     "--endpoints", str(ENDPOINTS), "--cors", "*"],
                    f"http://{s.host}:{port}/",
                    s.log_dir / f"rasa-{i}.log",
                )
            )  # fmt: skip
        conf = self.nginx_prefix / "nginx.conf"
        services.append(
            Service(
                "nginx",
                [nginx_binary(), "-p", str(self.nginx_prefix), "-c", str(conf),
                 "-e", str(s.log_dir / "nginx-error.log"), "-g", "daemon off;"],
                f"{self.url}/healthz",
                s.log_dir / "nginx.log",
            )
        )  # fmt: skip
        return services

    def write_nginx_conf(self) -> Path:
        host = self.settings.host
        self.nginx_prefix.mkdir(parents=True, exist_ok=True)
        conf = self.nginx_prefix / "nginx.conf"
        conf.write_text(
            render_nginx_conf(
                prefix=self.nginx_prefix,
                log_dir=self.settings.log_dir,
                listen=f"{self.public_host}:{self.lb_port}",
                actions_listen=f"{host}:{self.actions_lb_port}",
                rasa_servers=self.rasa_addresses,
                action_servers=self.action_addresses,
                web_server=f"{host}:{self.settings.web_port}",
                debug_headers=self.config.debug_headers,
            )
        )
        return conf

    def _check_ports(self) -> None:
        s = self.settings
        wanted = [
            (self.lb_port, "LB_PORT"),
            (self.actions_lb_port, "LB_PORT (+1, actions)"),
            (s.web_port, "WEB_PORT"),
            *[(p, "RASA_PORT (+ replica)") for p in self.rasa_ports],
            *[(p, "ACTION_PORT (+ replica)") for p in self.action_ports],
        ]
        ports = [p for p, _ in wanted]
        if len(set(ports)) != len(ports):
            raise StartupError(f"Two services would share a port: {sorted(ports)}")
        for port, what in wanted:
            if not port_free(self.public_host if port == self.lb_port else s.host, port):
                raise StartupError(
                    f"Port {port} on {s.host} is already in use: stop what uses it, "
                    f"or set {what} to another port."
                )

    def start(self) -> None:
        self._check_ports()
        check_stores(self.config)
        private.restrict()  # var/ 0700, files 0600 (logs, nginx's files, spool)
        private.var_tree(self.settings.var_dir)
        private.directory(self.settings.log_dir)
        self.services = self.plan()
        self.write_nginx_conf()
        env = self.environment()
        for service in self.services:
            self._spawn(service, env)

    def wait_ready(self, timeout: float | None = None) -> None:
        """Wait until every process answers its own health check, then until nginx reaches
        Rasa. nginx is asked only once the replicas are up: a failed attempt through it would
        take a replica out of the rotation for FAIL_TIMEOUT (passive health check)."""
        limit = timeout if timeout is not None else self.settings.startup_timeout
        deadline = time.monotonic() + limit
        nginx = self.service("nginx")
        phases = [
            [(s, s.health_url) for s in self.services if s is not nginx],
            [(nginx, nginx.health_url), (nginx, f"{self.url}/webhooks/rest/")],
        ]
        for checks in phases:
            while checks:
                for service, url in list(checks):
                    self._check_alive(service)
                    self._check_alive(nginx)
                    if http_ok(url):
                        checks.remove((service, url))
                if not checks:
                    break
                if time.monotonic() > deadline:
                    names = ", ".join(sorted({s.name for s, _ in checks}))
                    raise StartupError(
                        f"{names} not ready after {limit:.0f}s; see {self.settings.log_dir}/"
                    )
                time.sleep(0.5)

    def restart_exited(self, min_interval: float = 10.0) -> list[str]:
        """Start again any replica that has exited (what Kubernetes would do); returns names.

        nginx and the web app are not replicated: if one of them exits, StartupError.
        """
        restarted = []
        for service in self.services:
            if service.process is None or service.process.poll() is None:
                continue
            if not service.name.startswith(("Rasa server", "action server")):
                self._check_alive(service)
            last = self._restarts.get(service.name, 0.0)
            if time.monotonic() - last < min_interval:
                continue
            self._restarts[service.name] = time.monotonic()
            self._spawn(service, self.environment())
            restarted.append(service.name)
        return restarted


def run() -> int:
    """`make run-prod`: start the production profile, print where it is, stop on Ctrl-C."""
    from bot.ops import envfile
    from bot.ops.stack import checked_settings

    envfile.ensure()
    try:
        settings = checked_settings()
    except StartupError as error:
        print(f"error: {error}", file=sys.stderr, flush=True)
        return 1
    stack = ProductionStack(settings)
    c = stack.config

    def banner() -> str:
        where = sa.engine.make_url(c.tracker_store_url).render_as_string(hide_password=True)
        redis = urlsplit(c.redis_url)
        redis_shown = redis._replace(netloc=redis.netloc.rpartition("@")[2]).geturl()
        return (
            "\nThe assistant (production profile) is ready.\n"
            f"  Chat (REST):  curl -s -XPOST {stack.url}/webhooks/rest/webhook "
            '-d \'{"sender":"me","message":"is there a placebo?"}\'\n'
            f"  Public page:  {stack.url}/  (the trial's page with the chat widget)\n"
            f"  Socket.io:    {stack.url}/socket.io/  (websocket transport)\n"
            f"  Staff inbox:  {stack.url}/staff/   Staff API: {stack.url}/api/handoffs\n"
            f"  Rasa:         {', '.join(stack.rasa_addresses)}\n"
            f"  Actions:      {', '.join(stack.action_addresses)} "
            f"(via nginx on port {stack.actions_lb_port})\n"
            f"  Stores:       PostgreSQL {where}, Redis {redis_shown}\n"
            f"  Logs:         {stack.settings.log_dir}/\n"
            "Press Ctrl-C to stop."
        )

    def tick() -> None:
        for name in stack.restart_exited():
            print(f"{name} exited; started it again.", flush=True)

    starting = (
        f"Starting the production profile: {len(stack.rasa_ports)} Rasa and "
        f"{len(stack.action_ports)} action server replicas behind nginx (about a minute)..."
    )
    return serve(stack, starting, banner, tick)


if __name__ == "__main__":
    sys.exit(run())
