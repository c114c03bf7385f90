"""Short chat writes on a SQLite file run on the loop's thread, and never wait for a lock there."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from bot.db.database import Database
from bot.db.engine import create_engine
from bot.db.inline_sqlite import is_sqlite_file
from bot.db.models import Area, AreaLevel
from bot.services.context import ServiceContext
from ikk_core.instrument_io import load_default_instrument

SQLITE_FILE = pytest.mark.parametrize("db_backend", ["sqlite"])
"""The inline engine exists only for a SQLite file; PostgreSQL is served by its one engine."""


@pytest.fixture
async def database(migrated_engine: AsyncEngine) -> AsyncIterator[Database]:
    async with Database.serving(migrated_engine) as served:
        yield served


def _context(database: Database) -> ServiceContext:
    return ServiceContext(database.session_factory, load_default_instrument(),
                          short_writes=database.short_writes)


async def _statement_thread(session: AsyncSession) -> int:
    """The id of the thread SQLite runs this session's statements on."""
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    driver = raw.driver_connection
    assert driver is not None
    await driver.create_function("thread_id", 0, threading.get_ident)
    return int((await session.execute(text("SELECT thread_id()"))).scalar_one())


@SQLITE_FILE
async def test_a_short_write_runs_its_statements_on_the_event_loops_thread(
    database: Database,
) -> None:
    ctx = _context(database)
    loop_thread = threading.get_ident()

    assert await ctx.write(_statement_thread, short=True) == loop_thread
    assert await ctx.write(_statement_thread) != loop_thread  # the usual writes hand off


@SQLITE_FILE
async def test_a_short_write_waits_for_another_process_lock_without_stopping_the_loop(
    database: Database, migrated_database_url: str
) -> None:
    ctx = _context(database)
    path = migrated_database_url.split("///", 1)[1]
    other_process = sqlite3.connect(path, isolation_level=None)
    other_process.execute("BEGIN IMMEDIATE")  # e.g. `ikk-bot families import` writing
    ticks = 0
    runs = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    async def add_province(session: AsyncSession) -> int:
        nonlocal runs
        runs += 1
        session.add(Area(code="63", name="Kalimantan Selatan", level=AreaLevel.PROVINSI))
        await session.flush()
        return await _statement_thread(session)

    ticking = asyncio.create_task(ticker())
    asyncio.get_running_loop().call_later(0.4, other_process.commit)
    try:
        thread = await ctx.write(add_province, short=True)
    finally:
        ticking.cancel()
        other_process.close()

    assert thread != threading.get_ident()  # waited in a worker thread, not on the loop
    assert ticks >= 20  # the loop kept serving everyone else for the 0.4 s
    assert runs == 2  # refused at once inline, then run once more where it may wait
    async with database.session_factory() as session:
        count = await session.scalar(
            select(func.count()).select_from(Area).where(Area.code == "63")
        )
    assert count == 1


@SQLITE_FILE
async def test_a_short_write_that_fails_for_another_reason_is_not_run_again(
    database: Database,
) -> None:
    ctx = _context(database)
    runs = 0

    async def duplicate_area(session: AsyncSession) -> None:
        nonlocal runs
        runs += 1
        session.add(Area(code="63", name="A", level=AreaLevel.PROVINSI))
        session.add(Area(code="63", name="B", level=AreaLevel.PROVINSI))
        await session.flush()

    with pytest.raises(IntegrityError):
        await ctx.write(duplicate_area, short=True)
    assert runs == 1
    async with database.session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(Area)) == 0


@SQLITE_FILE
async def test_a_short_write_is_committed_and_seen_by_the_usual_sessions(
    database: Database,
) -> None:
    ctx = _context(database)

    async def add(session: AsyncSession) -> None:
        session.add(Area(code="63", name="Kalimantan Selatan", level=AreaLevel.PROVINSI))

    await ctx.write(add, short=True)

    async def read(session: AsyncSession) -> str | None:
        return await session.scalar(select(Area.name).where(Area.code == "63"))

    assert await ctx.read(read) == "Kalimantan Selatan"


@pytest.mark.parametrize(
    ("url", "inline"),
    [
        ("sqlite+aiosqlite:////var/lib/ikk-bot/ikk.db", True),
        ("sqlite+aiosqlite:///ikk.db", True),
        ("sqlite+aiosqlite:///:memory:", False),
        ("sqlite+aiosqlite://", False),
        ("sqlite+aiosqlite:///file:data?mode=memory&uri=true", False),
        ("postgresql+asyncpg://ikk@localhost/ikk", False),
    ],
)
def test_only_a_sqlite_file_gets_the_inline_engine(url: str, inline: bool) -> None:
    assert is_sqlite_file(url) is inline


async def test_an_in_memory_database_is_served_by_its_one_engine(tmp_path: Path) -> None:
    engine = create_engine("sqlite+aiosqlite:///:memory:")
    try:
        async with Database.serving(engine) as served:
            assert served.short_writes is None
    finally:
        await engine.dispose()
