"""Run Alembic migrations from async code and refuse to work on an unmigrated database.

Alembic's async template calls `asyncio.run()`, which crashes inside a running loop (field notes
§6.4); here the connection is opened by us and handed to `env.py` through
``config.attributes["connection"]``. On SQLite the migration runs with foreign keys switched off
(checked afterwards), because batch mode recreates tables and dropping a referenced table with
foreign keys on would cascade-delete its children.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bot.db.engine import READ_ONLY

__all__ = [
    "ALEMBIC_DIR",
    "DatabaseNotReady",
    "MigrationError",
    "alembic_config",
    "current_revision",
    "downgrade",
    "ensure_database_ready",
    "head_revision",
    "migration_connection",
    "run_migrations_on",
    "upgrade",
]

ALEMBIC_DIR = Path(__file__).resolve().parents[2] / "alembic"
UPGRADE_HINT = "ikk-bot db upgrade"


class DatabaseNotReady(RuntimeError):
    """The database cannot be used as it is; the message is one Indonesian line on what to do."""


class MigrationError(RuntimeError):
    """Migrations could not run (scripts missing, or they left broken foreign keys)."""


def alembic_config() -> Config:
    """An Alembic config pointing at the repository's `alembic/` folder (no ini, no logging)."""
    if not (ALEMBIC_DIR / "env.py").is_file():
        raise MigrationError(
            f"Folder migrasi Alembic tidak ditemukan di {ALEMBIC_DIR}: jalankan ikk-bot dari "
            "salinan repositori yang dipasang dengan `pip install -e .`."
        )
    config = Config()
    config.set_main_option("script_location", str(ALEMBIC_DIR))
    config.set_main_option("path_separator", "os")
    return config


@functools.cache
def _script_directory() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def head_revision() -> str:
    """The newest revision among the migration scripts."""
    head = _script_directory().get_current_head()
    if head is None:
        raise MigrationError(f"Tidak ada skrip migrasi di {ALEMBIC_DIR / 'versions'}.")
    return head


def _is_known_revision(revision: str) -> bool:
    try:
        return _script_directory().get_revision(revision) is not None
    except CommandError:
        return False


def _sqlite_foreign_keys(connection: Connection, enabled: bool) -> None:
    # Straight to the driver: a PRAGMA foreign_keys inside a transaction is silently ignored,
    # and going through SQLAlchemy would start one (our begin event emits BEGIN IMMEDIATE).
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(f"PRAGMA foreign_keys={'ON' if enabled else 'OFF'}")
    finally:
        cursor.close()


async def _check_sqlite_foreign_keys(connection: AsyncConnection) -> None:
    broken = (await connection.exec_driver_sql("PRAGMA foreign_key_check")).fetchall()
    if broken:
        rows = [tuple(row) for row in broken[:5]]
        raise MigrationError(f"migrasi meninggalkan foreign key yang rusak: {rows}")


@asynccontextmanager
async def migration_connection(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection fit for running migrations; the caller commits.

    On SQLite foreign keys are off while it is open, and checked before the caller's commit is
    allowed by `_run_alembic`; they are switched back on when it closes.
    """
    async with engine.connect() as connection:
        is_sqlite = connection.dialect.name == "sqlite"
        if is_sqlite:
            await connection.run_sync(_sqlite_foreign_keys, False)
        try:
            yield connection
        finally:
            if is_sqlite:
                await connection.rollback()
                await connection.run_sync(_sqlite_foreign_keys, True)


async def run_migrations_on(
    connection: AsyncConnection, run: Callable[[Connection], None]
) -> None:
    """Run `run` (which drives Alembic) on a `migration_connection`, check, and commit."""
    await connection.run_sync(run)
    if connection.dialect.name == "sqlite":
        await _check_sqlite_foreign_keys(connection)
    await connection.commit()


async def _run_alembic(engine: AsyncEngine, action: Callable[[Config], Any]) -> None:
    config = alembic_config()

    def run(sync_connection: Connection) -> None:
        config.attributes["connection"] = sync_connection
        action(config)

    async with migration_connection(engine) as connection:
        await run_migrations_on(connection, run)


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Migrate the database up to `revision` (default: the newest)."""
    await _run_alembic(engine, lambda config: command.upgrade(config, revision))


async def downgrade(engine: AsyncEngine, revision: str) -> None:
    """Migrate the database down to `revision` (``base`` removes every table)."""
    await _run_alembic(engine, lambda config: command.downgrade(config, revision))


async def current_revision(engine: AsyncEngine) -> str | None:
    """The revision the database is at, or None when it was never migrated."""
    async with engine.connect() as connection:
        await connection.execution_options(**READ_ONLY)
        return await connection.run_sync(
            lambda sync: MigrationContext.configure(sync).get_current_revision()
        )


def _sqlite_file(engine: AsyncEngine) -> Path | None:
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database.startswith(("file:", ":")):
        return None
    return Path(database)


async def ensure_database_ready(engine: AsyncEngine) -> None:
    """Raise `DatabaseNotReady` unless the database is reachable and at the newest revision.

    A SQLite file that does not exist yet is reported without being created.
    """
    where = engine.url.render_as_string(hide_password=True)
    not_migrated = DatabaseNotReady(
        f"Database {where} belum disiapkan: jalankan `{UPGRADE_HINT}` terlebih dahulu."
    )
    sqlite_file = _sqlite_file(engine)
    if sqlite_file is not None and not sqlite_file.exists():
        if not sqlite_file.parent.is_dir():
            raise DatabaseNotReady(
                f"Database {where} tidak dapat dibuka (folder {sqlite_file.parent} tidak ada); "
                "periksa DATABASE_URL."
            )
        raise not_migrated
    try:
        current = await current_revision(engine)
    except (DBAPIError, OSError, TimeoutError) as exc:
        # aiosqlite stops a failed connection's thread asynchronously; let it finish before a
        # caller closes the loop, or the thread dies with "Event loop is closed".
        await asyncio.sleep(0.05)
        reason = str(getattr(exc, "orig", exc)).splitlines()[0] if str(exc) else type(exc).__name__
        raise DatabaseNotReady(
            f"Database {where} tidak dapat dibuka ({reason}); periksa DATABASE_URL."
        ) from exc
    head = head_revision()
    if current == head:
        return
    if current is None:
        raise not_migrated
    if not _is_known_revision(current):
        raise DatabaseNotReady(
            f"Database {where} berada pada revisi {current} yang tidak dikenal versi ikk-bot ini: "
            "perbarui ikk-bot atau periksa DATABASE_URL."
        )
    raise DatabaseNotReady(
        f"Database {where} perlu diperbarui (revisi {current}, terbaru {head}): "
        f"jalankan `{UPGRADE_HINT}`."
    )
