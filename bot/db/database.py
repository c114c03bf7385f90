"""Open the configured database for a command or the bot, refusing an unmigrated one."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db.engine import SessionFactory, create_engine, create_session_factory
from bot.db.migrate import ensure_database_ready
from bot.settings import Settings, get_settings

__all__ = ["Database", "open_database"]


@dataclass(frozen=True)
class Database:
    """An engine and the session factory bound to it."""

    engine: AsyncEngine
    session_factory: SessionFactory


@asynccontextmanager
async def open_database(
    settings: Settings | None = None, *, check_ready: bool = True
) -> AsyncIterator[Database]:
    """Yield the database of `settings` (default: the environment); dispose it afterwards.

    With `check_ready` (the default) it first raises `DatabaseNotReady` unless the schema is at
    the newest migration, so no command ever runs against a half-made database.
    """
    settings = settings or get_settings()
    engine = create_engine(settings.database_url)
    try:
        if check_ready:
            await ensure_database_ready(engine)
        yield Database(engine=engine, session_factory=create_session_factory(engine))
    finally:
        await engine.dispose()
