"""Open the configured database for a command or the bot, refusing an unmigrated one."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db.engine import SessionFactory, create_engine, create_session_factory
from bot.db.inline_sqlite import create_inline_engine, is_sqlite_file
from bot.db.migrate import ensure_database_ready
from bot.settings import Settings, get_settings

__all__ = ["Database", "open_database"]


@dataclass(frozen=True)
class Database:
    """An engine and the session factory bound to it."""

    engine: AsyncEngine
    session_factory: SessionFactory
    short_writes: SessionFactory | None = None
    """The bot's sessions for short write units (a tapped answer) on a SQLite file: statements
    run on the event loop's thread (`bot.db.inline_sqlite`). None: use `session_factory`."""

    @property
    def engines(self) -> tuple[AsyncEngine, ...]:
        """Every engine behind this database: `engine`, and the inline one of short writes."""
        inline = self.short_writes.kw.get("bind") if self.short_writes is not None else None
        return (self.engine,) if inline is None else (self.engine, inline)

    @classmethod
    @asynccontextmanager
    async def serving(cls, engine: AsyncEngine) -> AsyncIterator[Database]:
        """The database as the bot serves chats from it: on a SQLite file with a second,
        inline engine for short writes (disposed on exit); otherwise just `engine`."""
        if not is_sqlite_file(engine.url):
            yield cls(engine, create_session_factory(engine))
            return
        inline = create_inline_engine(engine.url)
        try:
            yield cls(engine, create_session_factory(engine), create_session_factory(inline))
        finally:
            await inline.dispose()


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
