"""A SQLite engine whose statements run on the event loop's own thread.

aiosqlite hands every call (each execute, fetch, commit) to a worker thread and back: about
18 hand-offs for one tapped answer, each a queue put, a thread wake-up and an event-loop wake-up.
A short write transaction on a local SQLite file takes tens of microseconds of SQLite's own time,
less than one hand-off, so for those it is cheaper to run the statements where the caller is
(`benchmarks/bench_chat.py --kader 20`: bot CPU per answer 9.8–10.5 → 8.0–8.6 ms).

The price is that a statement blocks the loop while it runs, so this engine is only for short
units of work (`ServiceContext.write(..., short=True)`: a tapped answer) and never waits for a
lock: its connections have ``busy_timeout=0``, and a unit of work that finds the file locked by
another process is run again on the ordinary (threaded) engine, which waits in its thread.

It reuses aiosqlite's `Connection` (which SQLAlchemy's aiosqlite dialect drives, through its
`_tx` queue too) with the thread replaced by an inline runner; pinned to aiosqlite < 0.23 in
pyproject.toml because those are internals.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from typing import Any, Final

import aiosqlite
from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry

from bot.db.engine import configure_sqlite, run_pragmas

__all__ = ["InlineConnection", "create_inline_engine", "is_sqlite_file"]

_INLINE_PRAGMAS: Final = ("PRAGMA busy_timeout=0",)
"""Applied after the engine's usual recipe: never sleep in SQLite's busy handler on the loop."""


class _RunAtOnce:
    """Stands in for aiosqlite's queue to its worker thread: runs each call when it is put."""

    def put_nowait(self, item: tuple[asyncio.Future[Any] | None, Callable[[], Any]]) -> None:
        future, function = item
        try:
            result = function()
        except Exception as exc:  # handed to the awaiting caller, as the worker thread does
            if future is not None:
                future.set_exception(exc)
            return
        if future is not None:
            future.set_result(result)


class InlineConnection(aiosqlite.Connection):
    """An aiosqlite connection without its thread: every call runs on the caller's thread."""

    def __init__(self, connector: Callable[[], sqlite3.Connection]) -> None:
        super().__init__(connector, iter_chunk_size=64)
        self._tx = _RunAtOnce()  # type: ignore[assignment]

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if not self._running or self._connection is None:
            raise ValueError("Connection closed")
        return fn(*args, **kwargs)

    async def _connect(self) -> InlineConnection:
        if self._connection is None:
            self._connection = self._connector()
        return self

    def __await__(self) -> Any:
        return self._connect().__await__()

    def stop(self) -> None:
        self._running = False
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    async def close(self) -> None:
        self.stop()


def is_sqlite_file(url: str | URL) -> bool:
    """True for a SQLite database kept in a file (not ``:memory:``, which is per connection)."""
    parsed = make_url(url)
    database = parsed.database or ""
    in_memory = database in ("", ":memory:") or parsed.query.get("mode") == "memory"
    return parsed.get_backend_name() == "sqlite" and not in_memory


def create_inline_engine(url: str | URL) -> AsyncEngine:
    """An engine on the SQLite file of `url` whose connections run on the loop's thread, with
    the project's SQLite recipe (`configure_sqlite`) and then a busy timeout of 0 (see above).
    """
    if not is_sqlite_file(url):
        raise ValueError("an inline engine needs a SQLite file")

    async def connect() -> InlineConnection:
        # The dialect's own reading of the URL (path, uri=, timeout…), as aiosqlite gets it.
        args, kwargs = engine.sync_engine.dialect.create_connect_args(engine.url)
        connection: InlineConnection = await InlineConnection(
            lambda: sqlite3.connect(*args, **kwargs)  # type: ignore[call-overload]
        )
        return connection

    engine = create_async_engine(url, async_creator=connect)
    configure_sqlite(engine)

    @event.listens_for(engine.sync_engine, "connect")
    def _never_wait(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        run_pragmas(dbapi_connection, _INLINE_PRAGMAS)

    return engine
