"""Alembic environment for ikk-bot (async; SQLite in batch mode).

Two ways in: `bot.db.migrate` passes an open connection through
``config.attributes["connection"]`` (the app, the CLI and the tests, all inside an event loop);
the plain `alembic` command (e.g. ``alembic revision --autogenerate``) has none, so this file opens
one itself from ``-x url=...``, ``sqlalchemy.url`` or DATABASE_URL.
"""

from __future__ import annotations

import asyncio
from logging.config import fileConfig
from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy.engine import Connection
from sqlalchemy.pool import NullPool

from bot.db.engine import create_engine
from bot.db.migrate import migration_connection, run_migrations_on
from bot.db.models import Base
from bot.db.types import StrEnumType, UTCDateTime
from bot.settings import get_settings

config = context.config
target_metadata = Base.metadata

if config.config_file_name is not None and "connection" not in config.attributes:
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def render_item(
    type_: str, obj: Any, autogen_context: AutogenContext
) -> str | Literal[False]:
    """Render our decorated types as the plain types they store, so that migration scripts
    never import application code that may change after they were written."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    if type_ == "type" and isinstance(obj, StrEnumType):
        return f"sa.String(length={obj.length})"
    return False


def _database_url() -> str:
    return (
        context.get_x_argument(as_dictionary=True).get("url")
        or config.get_main_option("sqlalchemy.url")
        or get_settings().database_url
    )


def do_run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        render_item=render_item,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


async def _run_standalone() -> None:
    engine = create_engine(_database_url(), poolclass=NullPool)
    try:
        async with migration_connection(engine) as connection:
            await run_migrations_on(connection, do_run_migrations)
    finally:
        await engine.dispose()


def run_migrations_offline() -> None:
    context.configure(
        url=_database_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        dialect_opts={"paramstyle": "named"},
        render_item=render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        do_run_migrations(connection)
    else:
        asyncio.run(_run_standalone())


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
