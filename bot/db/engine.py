"""Async engines, sessions and retried units of work for SQLite and PostgreSQL.

SQLite needs help to take concurrent writers (field notes §6.1): WAL, a busy timeout, foreign
keys switched on per connection, and write transactions started with ``BEGIN IMMEDIATE`` so a
read-then-write transaction waits for the lock instead of failing. Lock or serialization errors
that still happen are retried by `run_in_transaction`, so no caller sees "database is locked".
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from typing import Any, Final, TypeVar

from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import ConnectionPoolEntry

__all__ = [
    "READ_ONLY",
    "SessionFactory",
    "configure_sqlite",
    "create_engine",
    "create_session_factory",
    "is_retryable_error",
    "run_in_transaction",
    "run_pragmas",
]

log = logging.getLogger(__name__)

T = TypeVar("T")

SessionFactory = async_sessionmaker[AsyncSession]

SQLITE_BEGIN_OPTION: Final = "sqlite_begin"
READ_ONLY: Final[dict[str, Any]] = {SQLITE_BEGIN_OPTION: "DEFERRED"}
"""Execution options for a read-only unit of work: on SQLite it starts with a plain (deferred)
``BEGIN`` so long report queries do not hold the write lock; PostgreSQL ignores it.
Use as ``await session.connection(execution_options=READ_ONLY)`` before the first query."""

_SQLITE_PRAGMAS: Final = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA busy_timeout=5000",
    "PRAGMA foreign_keys=ON",
)

_RETRYABLE_SQLSTATES: Final = frozenset({"40001", "40P01"})  # serialization failure, deadlock
_RETRYABLE_SQLITE_MESSAGES: Final = ("database is locked", "database table is locked")


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """An `AsyncEngine` for `url`, with the SQLite connection and transaction recipe applied.

    A server database is pinged on checkout: after a PostgreSQL restart the pool still holds
    dead connections, and the cadre whose tap draws one would otherwise get "coba lagi".
    """
    if not url.startswith("sqlite"):
        kwargs.setdefault("pool_pre_ping", True)
    engine = create_async_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        configure_sqlite(engine)
    return engine


def configure_sqlite(engine: AsyncEngine) -> None:
    """Apply the recipe above (pragmas on connect, BEGIN IMMEDIATE unless READ_ONLY)."""
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        # Stop the driver's own implicit BEGIN: we emit BEGIN ourselves in the begin event.
        dbapi_connection.isolation_level = None
        run_pragmas(dbapi_connection, _SQLITE_PRAGMAS)

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Connection) -> None:
        mode = connection.get_execution_options().get(SQLITE_BEGIN_OPTION, "IMMEDIATE")
        connection.exec_driver_sql("BEGIN" if mode == "DEFERRED" else "BEGIN IMMEDIATE")


def run_pragmas(dbapi_connection: Any, pragmas: tuple[str, ...]) -> None:
    """Run `pragmas` on a new driver connection (in a pool "connect" event)."""
    cursor = dbapi_connection.cursor()
    try:
        for pragma in pragmas:
            cursor.execute(pragma)
    finally:
        cursor.close()


def create_session_factory(engine: AsyncEngine) -> SessionFactory:
    """Sessions whose objects stay readable after commit (no lazy reload on the event loop)."""
    return async_sessionmaker(engine, expire_on_commit=False)


def is_retryable_error(error: BaseException) -> bool:
    """True for a lock, serialization or deadlock error that a fresh attempt may not hit."""
    if not isinstance(error, DBAPIError):
        return False
    orig = error.orig
    candidates: list[BaseException | None] = [orig, getattr(orig, "__cause__", None)]
    for candidate in candidates:
        if candidate is None:
            continue
        sqlstate = getattr(candidate, "sqlstate", None) or getattr(candidate, "pgcode", None)
        if sqlstate in _RETRYABLE_SQLSTATES:
            return True
        message = str(candidate).lower()
        if any(text in message for text in _RETRYABLE_SQLITE_MESSAGES):
            return True
    return False


async def run_in_transaction(
    session_factory: SessionFactory,
    fn: Callable[[AsyncSession], Awaitable[T]],
    *,
    retries: int = 5,
    base_delay: float = 0.02,
) -> T:
    """Run `fn` in one transaction (committed on return) and retry it on lock/serialization errors.

    `fn` gets a fresh session each attempt and must not have side effects outside the database,
    because it may run more than once. Other errors, and the last retryable one, propagate.
    """
    attempt = 0
    while True:
        try:
            async with session_factory() as session, session.begin():
                return await fn(session)
        except DBAPIError as exc:
            if attempt >= retries or not is_retryable_error(exc):
                raise
            attempt += 1
            delay = base_delay * (2 ** (attempt - 1)) * (0.5 + random.random())
            log.info("transaction retry %d/%d after %s", attempt, retries, type(exc.orig).__name__)
            await asyncio.sleep(delay)
