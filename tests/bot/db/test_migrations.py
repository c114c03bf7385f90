"""The schema comes from Alembic; the models must agree with it on both databases."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import insert, inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

import bot.db.migrate as migrate
from bot.db.engine import create_engine
from bot.db.migrate import (
    DatabaseNotReady,
    MigrationError,
    current_revision,
    downgrade,
    ensure_database_ready,
    head_revision,
    migration_connection,
    upgrade,
)
from bot.db.models import Area, AreaLevel, Base

FIRST_REVISION = "3b9d1f0c2a71"
APP_TABLES = set(Base.metadata.tables)


def _table_names(connection: Connection) -> set[str]:
    return set(inspect(connection).get_table_names())


async def test_models_and_migrations_agree(migrated_engine: AsyncEngine) -> None:
    def diff(connection: Connection) -> list[object]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))

    async with migrated_engine.connect() as connection:
        differences = await connection.run_sync(diff)
    assert differences == []


async def test_upgrade_then_downgrade_to_base_then_upgrade_again(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        await upgrade(engine)
        async with engine.connect() as connection:
            assert await connection.run_sync(_table_names) >= APP_TABLES
        assert await current_revision(engine) == head_revision()

        await downgrade(engine, "base")
        async with engine.connect() as connection:
            assert await connection.run_sync(_table_names) <= {"alembic_version"}
        assert await current_revision(engine) is None

        await upgrade(engine)
        async with engine.connect() as connection:
            assert await connection.run_sync(_table_names) >= APP_TABLES
        assert await current_revision(engine) == head_revision()
    finally:
        await engine.dispose()


async def test_downgrade_of_the_last_step_keeps_earlier_data(migrated_engine: AsyncEngine) -> None:
    async with migrated_engine.begin() as connection:
        await connection.execute(
            insert(Area).values(code="63", name="Kalimantan Selatan", level=AreaLevel.PROVINSI)
        )
    await downgrade(migrated_engine, FIRST_REVISION)
    async with migrated_engine.connect() as connection:
        tables = await connection.run_sync(_table_names)
        names = (await connection.execute(text("SELECT name FROM area"))).scalars().all()
    assert "response" not in tables
    assert names == ["Kalimantan Selatan"]
    await upgrade(migrated_engine)
    assert await current_revision(migrated_engine) == head_revision()


async def test_ready_check_passes_on_a_migrated_database(migrated_engine: AsyncEngine) -> None:
    await ensure_database_ready(migrated_engine)


async def test_ready_check_on_an_empty_database_says_to_run_db_upgrade(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:  # the database exists, but has no tables
            await connection.execute(text("SELECT 1"))
        with pytest.raises(DatabaseNotReady) as raised:
            await ensure_database_ready(engine)
    finally:
        await engine.dispose()
    message = str(raised.value)
    assert "belum disiapkan" in message
    assert "ikk-bot db upgrade" in message
    assert "\n" not in message


async def test_ready_check_does_not_create_a_missing_sqlite_file(tmp_path: Path) -> None:
    path = tmp_path / "never-made.db"
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    try:
        with pytest.raises(DatabaseNotReady, match="ikk-bot db upgrade"):
            await ensure_database_ready(engine)
    finally:
        await engine.dispose()
    assert not path.exists()


async def test_ready_check_on_an_older_revision_says_to_upgrade(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        await upgrade(engine, FIRST_REVISION)
        with pytest.raises(DatabaseNotReady) as raised:
            await ensure_database_ready(engine)
    finally:
        await engine.dispose()
    message = str(raised.value)
    assert "perlu diperbarui" in message
    assert FIRST_REVISION in message and head_revision() in message
    assert "ikk-bot db upgrade" in message
    assert "\n" not in message


async def test_ready_check_on_a_revision_from_a_newer_release_says_so(
    migrated_engine: AsyncEngine,
) -> None:
    async with migrated_engine.begin() as connection:
        await connection.execute(text("UPDATE alembic_version SET version_num = 'f00dfeed0000'"))
    with pytest.raises(DatabaseNotReady) as raised:
        await ensure_database_ready(migrated_engine)
    message = str(raised.value)
    assert "tidak dikenal" in message and "f00dfeed0000" in message
    assert "\n" not in message


async def test_ready_check_on_an_unreachable_database_names_database_url(
    database_url: str, tmp_path: Path
) -> None:
    if database_url.startswith("sqlite"):
        (tmp_path / "a-directory.db").mkdir()  # exists, but cannot be opened as a database
        url = f"sqlite+aiosqlite:///{tmp_path / 'a-directory.db'}"
    else:
        url = database_url.rsplit("/", 1)[0] + "/no_such_database"
    engine = create_engine(url)
    try:
        with pytest.raises(DatabaseNotReady) as raised:
            await ensure_database_ready(engine)
    finally:
        await engine.dispose()
    message = str(raised.value)
    assert "tidak dapat dibuka" in message and "DATABASE_URL" in message
    assert "\n" not in message


async def test_ready_check_on_a_sqlite_path_in_a_missing_folder_names_the_folder(
    tmp_path: Path,
) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'missing' / 'x.db'}")
    try:
        with pytest.raises(DatabaseNotReady, match=r"folder .*missing tidak ada"):
            await ensure_database_ready(engine)
    finally:
        await engine.dispose()


@pytest.mark.parametrize("db_backend", ["sqlite"])
async def test_sqlite_migrations_run_with_foreign_keys_off_and_restore_them(
    migrated_engine: AsyncEngine,
) -> None:
    async def foreign_keys(connection: object) -> int:
        result = await connection.exec_driver_sql("PRAGMA foreign_keys")  # type: ignore[attr-defined]
        value: int = result.scalar_one()
        return value

    async with migration_connection(migrated_engine) as connection:
        assert await foreign_keys(connection) == 0
    async with migrated_engine.connect() as connection:
        assert await foreign_keys(connection) == 1


def test_missing_migration_folder_is_reported_clearly(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(migrate, "ALEMBIC_DIR", tmp_path / "alembic")
    with pytest.raises(MigrationError, match="Folder migrasi Alembic tidak ditemukan"):
        migrate.alembic_config()


def test_head_revision_is_the_last_script_in_the_chain() -> None:
    scripts = sorted((migrate.ALEMBIC_DIR / "versions").glob("*.py"))
    assert scripts, "no migration scripts"
    assert head_revision() in scripts[-1].name
