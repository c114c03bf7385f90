"""Engine behaviour both databases must share: UTC timestamps, serialised writers, retries."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import IntegrityError, OperationalError, StatementError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from bot.db.engine import (
    READ_ONLY,
    SessionFactory,
    create_session_factory,
    is_retryable_error,
    run_in_transaction,
)
from bot.db.models import Area, AreaLevel

WITA = timezone(timedelta(hours=8))


async def _add_province(session_factory: SessionFactory, name: str = "0") -> None:
    async with session_factory() as session, session.begin():
        session.add(Area(code="63", name=name, level=AreaLevel.PROVINSI))


async def test_timestamps_come_back_as_the_same_instant_in_utc(
    session_factory: SessionFactory,
) -> None:
    eight_in_the_morning_wita = datetime(2026, 11, 30, 8, 0, tzinfo=WITA)
    async with session_factory() as session, session.begin():
        session.add(
            Area(
                code="63",
                name="Kalimantan Selatan",
                level=AreaLevel.PROVINSI,
                updated_at=eight_in_the_morning_wita,
            )
        )
    async with session_factory() as session:
        stored = await session.scalar(select(Area.updated_at).where(Area.code == "63"))
    assert stored == datetime(2026, 11, 30, 0, 0, tzinfo=UTC)
    assert stored is not None and stored.utcoffset() == timedelta(0)


async def test_timestamps_compare_in_sql_as_instants_not_wall_clock(
    session_factory: SessionFactory,
) -> None:
    await _add_province(session_factory)
    async with session_factory() as session, session.begin():
        await session.execute(
            update(Area).values(updated_at=datetime(2026, 11, 30, 8, 0, tzinfo=WITA))
        )
    just_after_in_utc = datetime(2026, 11, 30, 0, 1, tzinfo=UTC)
    async with session_factory() as session:
        earlier = await session.scalar(
            select(Area.code).where(Area.updated_at < just_after_in_utc)
        )
    assert earlier == "63"


@pytest.mark.parametrize("db_backend", ["sqlite"])
async def test_sqlite_stores_the_utc_wall_clock(session_factory: SessionFactory) -> None:
    async with session_factory() as session, session.begin():
        session.add(
            Area(
                code="63",
                name="x",
                level=AreaLevel.PROVINSI,
                updated_at=datetime(2026, 11, 30, 8, 0, tzinfo=WITA),
            )
        )
    async with session_factory() as session:
        raw = await session.scalar(text("SELECT updated_at FROM area"))
    assert str(raw).startswith("2026-11-30 00:00:00")


async def test_a_naive_timestamp_is_refused(session_factory: SessionFactory) -> None:
    async with session_factory() as session:
        session.add(
            Area(code="63", name="x", level=AreaLevel.PROVINSI, updated_at=datetime(2026, 1, 1))
        )
        with pytest.raises(StatementError, match="naive datetime"):
            await session.flush()


async def _increment(session: AsyncSession) -> None:
    current = await session.scalar(select(Area.name).where(Area.code == "63"))
    await asyncio.sleep(0.001)  # let every other transaction read before anyone writes
    next_value = str(int(current or 0) + 1)
    await session.execute(update(Area).where(Area.code == "63").values(name=next_value))


@pytest.mark.parametrize("db_backend", ["sqlite"])
async def test_forty_concurrent_read_then_write_transactions_all_succeed_on_sqlite(
    session_factory: SessionFactory,
) -> None:
    await _add_province(session_factory)

    async def one() -> None:
        async with session_factory() as session, session.begin():
            await _increment(session)

    results = await asyncio.gather(*(one() for _ in range(40)), return_exceptions=True)
    assert [r for r in results if isinstance(r, BaseException)] == []
    async with session_factory() as session:
        assert await session.scalar(select(Area.name)) == "40"


@pytest.mark.parametrize("db_backend", ["sqlite"])
async def test_a_deferred_begin_would_make_concurrent_writers_fail_on_sqlite(
    session_factory: SessionFactory,
) -> None:
    """The control for the test above: READ_ONLY starts a plain BEGIN, and read-then-write
    transactions started that way hit "database is locked" (why writers use BEGIN IMMEDIATE)."""
    await _add_province(session_factory)

    async def one() -> None:
        async with session_factory() as session, session.begin():
            await session.connection(execution_options=READ_ONLY)
            await _increment(session)

    results = await asyncio.gather(*(one() for _ in range(10)), return_exceptions=True)
    failures = [r for r in results if isinstance(r, BaseException)]
    assert failures
    assert all(is_retryable_error(f) for f in failures)


@pytest.mark.parametrize("db_backend", ["sqlite"])
async def test_a_read_only_session_reads_while_a_writer_holds_the_lock_on_sqlite(
    migrated_engine: AsyncEngine,
) -> None:
    sessions = create_session_factory(migrated_engine)
    await _add_province(sessions)
    async with sessions() as writer, writer.begin():
        await writer.execute(update(Area).values(name="changed, not committed"))
        async with sessions() as reader:
            await reader.connection(execution_options=READ_ONLY)
            name = await asyncio.wait_for(reader.scalar(select(Area.name)), timeout=2)
    assert name == "0"


async def test_run_in_transaction_retries_a_locked_database_and_keeps_one_result(
    session_factory: SessionFactory,
) -> None:
    attempts = 0

    async def unit(session: AsyncSession) -> int:
        nonlocal attempts
        attempts += 1
        session.add(Area(code=f"6{attempts}", name="x", level=AreaLevel.PROVINSI))
        await session.flush()
        if attempts < 3:
            raise OperationalError("UPDATE ...", {}, sqlite3.OperationalError("database is locked"))
        return attempts

    assert await run_in_transaction(session_factory, unit, base_delay=0.001) == 3
    async with session_factory() as session:
        codes = (await session.scalars(select(Area.code))).all()
    assert codes == ["63"]  # the failed attempts were rolled back


async def test_run_in_transaction_gives_up_after_its_retries(
    session_factory: SessionFactory,
) -> None:
    attempts = 0

    async def unit(session: AsyncSession) -> None:
        nonlocal attempts
        attempts += 1
        raise OperationalError("x", {}, sqlite3.OperationalError("database is locked"))

    with pytest.raises(OperationalError):
        await run_in_transaction(session_factory, unit, retries=2, base_delay=0.001)
    assert attempts == 3


async def test_run_in_transaction_does_not_retry_a_constraint_violation(
    session_factory: SessionFactory,
) -> None:
    await _add_province(session_factory)
    attempts = 0

    async def unit(session: AsyncSession) -> None:
        nonlocal attempts
        attempts += 1
        session.add(Area(code="63", name="duplicate", level=AreaLevel.PROVINSI))
        await session.flush()

    with pytest.raises(IntegrityError):
        await run_in_transaction(session_factory, unit, base_delay=0.001)
    assert attempts == 1


@pytest.mark.parametrize("db_backend", ["postgresql"])
async def test_run_in_transaction_retries_a_real_serialization_failure_on_postgresql(
    migrated_engine: AsyncEngine,
) -> None:
    serializable = create_session_factory(
        migrated_engine.execution_options(isolation_level="SERIALIZABLE")
    )
    await _add_province(serializable)
    both_have_read = asyncio.Barrier(2)
    attempts = 0

    async def unit(session: AsyncSession) -> None:
        nonlocal attempts
        attempts += 1
        current = await session.scalar(select(Area.name).where(Area.code == "63"))
        if attempts <= 2:
            await both_have_read.wait()
        await session.execute(update(Area).values(name=str(int(current or 0) + 1)))

    await asyncio.gather(
        run_in_transaction(serializable, unit, base_delay=0.001),
        run_in_transaction(serializable, unit, base_delay=0.001),
    )
    async with serializable() as session:
        assert await session.scalar(select(Area.name)) == "2"
    assert attempts == 3  # exactly one of the two had to try again


class _FakeAsyncpgError(Exception):
    def __init__(self, sqlstate: str) -> None:
        super().__init__(f"sqlstate {sqlstate}")
        self.sqlstate = sqlstate


@pytest.mark.parametrize(
    ("orig", "retryable"),
    [
        (sqlite3.OperationalError("database is locked"), True),
        (sqlite3.OperationalError("database table is locked"), True),
        (sqlite3.OperationalError("no such table: area"), False),
        (_FakeAsyncpgError("40001"), True),
        (_FakeAsyncpgError("40P01"), True),
        (_FakeAsyncpgError("23505"), False),
    ],
)
def test_only_lock_serialization_and_deadlock_errors_are_retryable(
    orig: Exception, retryable: bool
) -> None:
    assert is_retryable_error(OperationalError("stmt", {}, orig)) is retryable


def test_errors_that_are_not_from_the_database_are_not_retryable() -> None:
    assert not is_retryable_error(RuntimeError("database is locked"))
