"""Scratch production stores for tests and benchmarks: a new PostgreSQL schema and Redis key
prefix per run, dropped afterwards (moved out of bot/ops/production.py: it is no runtime code)."""

from __future__ import annotations

import contextlib
import dataclasses
import uuid
from collections.abc import Iterator
from urllib.parse import quote

import sqlalchemy as sa

from bot.ops.production import ProductionConfig
from bot.ops.settings import Settings
from bot.store.handoff import migrations_config


@contextlib.contextmanager
def scratch_stores(base: ProductionConfig | None = None) -> Iterator[ProductionConfig]:
    """A config on a new PostgreSQL schema and a new Redis key prefix, dropped afterwards.

    For tests and benchmarks, so they never touch a real site's conversations or handoffs.
    """
    base = base or Settings.from_env().stores
    schema = f"prod_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(base.tracker_store_url, future=True)
    with admin.begin() as connection:
        connection.execute(sa.text(f"create schema {schema}"))
    sep = "&" if "?" in base.tracker_store_url else "?"
    url = f"{base.tracker_store_url}{sep}options={quote(f'-csearch_path={schema}')}"
    try:
        yield dataclasses.replace(
            base,
            tracker_store_url=url,
            database_url=url,
            lock_key_prefix=f"test{uuid.uuid4().hex[:10]}",
        )
    finally:
        with admin.begin() as connection:
            connection.execute(sa.text(f"drop schema {schema} cascade"))
        admin.dispose()


def migrate_to(engine: sa.engine.Engine, revision: str, down: bool = False) -> None:
    """Run the store's migrations up (or, with down, back) to `revision`, as an operator's
    `alembic upgrade/downgrade` would."""
    from alembic import command

    config = migrations_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, revision)
