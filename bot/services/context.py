"""What every service needs: the database, the current instrument, the local time zone.

One `ServiceContext` is built by the composition root and passed to each service call, so the
services hold no global state and a test can run two instruments side by side.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from bot.db.engine import READ_ONLY, SessionFactory, is_retryable_error, run_in_transaction
from bot.instrument_source import configured_instrument
from bot.settings import Settings
from ikk_core.instrument import Instrument

__all__ = ["Actor", "ServiceContext", "actor_id"]

T = TypeVar("T")

log = logging.getLogger(__name__)

_WRITE_LOCKS: weakref.WeakKeyDictionary[Engine, tuple[asyncio.AbstractEventLoop, asyncio.Lock]]
_WRITE_LOCKS = weakref.WeakKeyDictionary()


def _sqlite_write_lock(session_factory: SessionFactory) -> asyncio.Lock | None:
    """The in-process writer queue of a SQLite engine (None for other databases)."""
    bind = session_factory.kw.get("bind")
    if not isinstance(bind, AsyncEngine) or bind.dialect.name != "sqlite":
        return None
    loop = asyncio.get_running_loop()
    found = _WRITE_LOCKS.get(bind.sync_engine)
    if found is None or found[0] is not loop:
        found = (loop, asyncio.Lock())
        _WRITE_LOCKS[bind.sync_engine] = found
    return found[1]


class Actor(Protocol):
    """Whoever acts: an `AppUser` row, or anything else with the user's database id."""

    @property
    def id(self) -> int: ...


def actor_id(actor: Actor | int) -> int:
    return actor if isinstance(actor, int) else actor.id


@dataclass(frozen=True)
class ServiceContext:
    """The session factory, the instrument new answers are checked and scored with, the zone."""

    session_factory: SessionFactory
    instrument: Instrument
    timezone: str = "Asia/Makassar"
    min_cell: int = 5
    """Fewest applicable families behind an indicator a pejabat or kader sees (MIN_CELL)."""
    min_families: int = 10
    """Fewest submitted families behind an area IKK they see (MIN_FAMILIES)."""
    short_writes: SessionFactory | None = None
    """Sessions for `write(..., short=True)` (`Database.short_writes`); None: the usual ones."""

    @classmethod
    def create(
        cls,
        session_factory: SessionFactory,
        settings: Settings | None = None,
        instrument: Instrument | None = None,
        short_writes: SessionFactory | None = None,
    ) -> ServiceContext:
        return cls(
            session_factory=session_factory,
            instrument=instrument or configured_instrument(settings),
            timezone=settings.timezone if settings is not None else "Asia/Makassar",
            min_cell=settings.min_cell if settings is not None else 5,
            min_families=settings.min_families if settings is not None else 10,
            short_writes=short_writes,
        )

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def current_period(self, now: datetime | None = None) -> int:
        """The survey year now in local time (WITA): at 00:30 WITA on 1 January the new year
        has begun for the cadre although UTC still says 31 December."""
        moment = now or datetime.now(UTC)
        return moment.astimezone(self.tz).year

    async def write(self, fn: Callable[[AsyncSession], Awaitable[T]], *, short: bool = False) -> T:
        """Run `fn` as one write transaction, retried on lock errors, committed on return.

        On SQLite the process's writers take turns on an asyncio lock before BEGIN IMMEDIATE:
        SQLite admits one writer anyway, and a writer left waiting in SQLite's busy handler
        sleeps in growing steps (up to 100 ms) after the lock is free, so without the queue
        the file sits idle between transactions. Other processes are still held off by
        BEGIN IMMEDIATE and the busy timeout.

        `short` (a few small statements, e.g. a tapped answer) runs on `short_writes` when set:
        on the loop's thread, with no thread hand-offs. It holds the same queue, so the file's
        lock can then only be held by another process (or a writer here outside the queue); the
        unit is then run again on the usual sessions, which wait for it in their thread.
        """
        lock = _sqlite_write_lock(self.session_factory)
        if lock is None:
            return await run_in_transaction(self.session_factory, fn)
        async with lock:
            if short and self.short_writes is not None:
                try:
                    return await run_in_transaction(self.short_writes, fn, retries=0)
                except DBAPIError as exc:
                    if not is_retryable_error(exc):
                        raise
                    log.info("short write found the file locked by another process; waiting")
            return await run_in_transaction(self.session_factory, fn)

    async def read(self, fn: Callable[[AsyncSession], Awaitable[T]]) -> T:
        """Run `fn` as one read-only transaction (no write lock on SQLite)."""

        async def reading(session: AsyncSession) -> T:
            await session.connection(execution_options=READ_ONLY)
            return await fn(session)

        return await run_in_transaction(self.session_factory, reading)
