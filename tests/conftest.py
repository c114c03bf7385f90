"""Shared fixtures: every database test runs on SQLite and on a throwaway PostgreSQL.

Fixtures (all lazy: a test that asks for none of them starts nothing):

- ``db_backend``: ``"sqlite"`` or ``"postgresql"``; parametrizes every test that uses a database
  fixture (ids ``[sqlite]`` / ``[postgresql]``). Restrict a test to one backend with
  ``@pytest.mark.parametrize("db_backend", ["sqlite"])``.
- ``database_url``: URL of a fresh EMPTY database (no tables), for migration tests.
- ``database_seed``: what a migrated database starts with: ``""`` (default, nothing),
  ``"demo"`` (the 25 demo areas) or ``"kalsel"`` (all 2,186 Kalimantan Selatan areas; skipped
  when ../shared/data is absent). Override with a same-named fixture in a module, or per test
  with ``@pytest.mark.parametrize("database_seed", ["kalsel"])``.
- ``migrated_database_url``: URL of a database at the newest migration holding only the seed
  (SQLite: a copy of a template built once per session; PostgreSQL: a pooled database reset
  after its previous test), e.g. for CLI tests. Costs milliseconds. A test may change the
  schema or the seeded rows: the pool notices and drops that database instead of reusing it.
- ``migrated_engine``: an `AsyncEngine` (built with `bot.db.engine.create_engine`) on it.
- ``session_factory``: `async_sessionmaker` (expire_on_commit=False) bound to that engine.
- ``postgres_cluster``: the session's PostgreSQL (`PostgresCluster`), started on first use with
  ``initdb``/``pg_ctl`` in a temp dir (as user ``postgres`` when run as root), stopped at the end.
- ``kalsel_areas_csv``: path of the full Kalimantan Selatan area list in ``../shared/data``
  (the test is skipped when it is absent).

Set ``IKK_SKIP_POSTGRES=1`` to run the SQLite half only (the PostgreSQL cases are skipped).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db.engine import SessionFactory, create_engine, create_session_factory
from bot.db.migrate import upgrade
from bot.devtools.postgres import PostgresCluster, PostgresUnavailable, throwaway_cluster
from bot.repositories.areas import import_areas_csv, load_demo_areas

T = TypeVar("T")

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA_DIR = REPO_ROOT.parent / "shared" / "data"
KALSEL_AREAS_CSV = SHARED_DATA_DIR / "wilayah-kalsel-kemendagri-2025.csv"

SKIP_POSTGRES = os.environ.get("IKK_SKIP_POSTGRES") == "1"
POSTGRES_INSTALL_HINT = "Or set IKK_SKIP_POSTGRES=1 to run the SQLite half of the suite only."

BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param(
        "postgresql",
        id="postgresql",
        marks=pytest.mark.skipif(SKIP_POSTGRES, reason="IKK_SKIP_POSTGRES=1"),
    ),
]


def run_async(coroutine_factory: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine to completion on a private loop in a worker thread.

    Lets sync (session) fixtures do async setup without touching pytest-asyncio's loops.
    """
    with ThreadPoolExecutor(max_workers=1) as executor:
        return executor.submit(lambda: asyncio.run(coroutine_factory())).result()


# --------------------------------------------------------------------------- PostgreSQL cluster


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresCluster]:
    """Start a private PostgreSQL for this test session; stop it and delete it at the end."""
    if SKIP_POSTGRES:
        pytest.skip("IKK_SKIP_POSTGRES=1")
    with ExitStack() as stack:
        try:
            cluster = stack.enter_context(throwaway_cluster())
        except PostgresUnavailable as exc:
            pytest.fail(f"{exc}\n{POSTGRES_INSTALL_HINT}", pytrace=False)
        yield cluster


async def _postgres_admin(cluster: PostgresCluster, *statements: str) -> None:
    connection = await asyncpg.connect(cluster.dsn("postgres"))
    try:
        for statement in statements:
            await connection.execute(statement)
    finally:
        await connection.close()


# ------------------------------------------------------------------------- migrated templates


async def _seed_demo_areas(sessions: SessionFactory) -> None:
    async with sessions() as session, session.begin():
        await load_demo_areas(session)


async def _seed_kalsel_areas(sessions: SessionFactory) -> None:
    async with sessions() as session, session.begin():
        report = await import_areas_csv(session, KALSEL_AREAS_CSV)
    assert report.rejected == (), report.rejected


@dataclass(frozen=True)
class Seed:
    """Data a migrated test database starts with, and the tables it fills."""

    fill: Callable[[SessionFactory], Awaitable[None]] | None
    tables: frozenset[str]
    needs: Path | None = None


SEEDS: dict[str, Seed] = {
    "": Seed(None, frozenset()),
    "demo": Seed(_seed_demo_areas, frozenset({"area"})),
    "kalsel": Seed(_seed_kalsel_areas, frozenset({"area"}), needs=KALSEL_AREAS_CSV),
}


async def _build_template(url: str, seed: Seed) -> None:
    engine = create_engine(url)
    try:
        await upgrade(engine)
        if seed.fill is not None:
            await seed.fill(create_session_factory(engine))
    finally:
        # Closing SQLite's last connection checkpoints the WAL into the main file, which is
        # therefore complete on its own and can simply be copied.
        await engine.dispose()


# Everything a test could change about a migrated schema, as one comparable string.
_SCHEMA_FINGERPRINT_SQL = """
SELECT concat_ws('|',
  (SELECT string_agg(version_num, ',') FROM alembic_version),
  (SELECT string_agg(table_name || '.' || column_name || ':' || data_type || ':' || is_nullable,
                     ',' ORDER BY table_name, column_name)
     FROM information_schema.columns WHERE table_schema = 'public'),
  (SELECT string_agg(indexdef, ',' ORDER BY indexdef) FROM pg_indexes WHERE schemaname = 'public'),
  (SELECT string_agg(conname, ',' ORDER BY conname) FROM pg_constraint
     WHERE connamespace = 'public'::regnamespace))
"""


def _seed_checksum_sql(tables: frozenset[str]) -> str:
    parts = [
        f"(SELECT md5(coalesce(string_agg(t::text, ',' ORDER BY t::text), '')) FROM \"{table}\" t)"
        for table in sorted(tables)
    ]
    return "SELECT concat_ws('|', '', " + ", ".join(parts) + ")" if parts else "SELECT ''"


class PostgresDatabasePool:
    """Databases handed out one per test and reused, because resetting one takes ~10 ms while
    CREATE DATABASE takes 50–600 ms here.

    With a `template`, databases are copies of it, reset by emptying every table except the
    seed's (whose content must be unchanged) and restarting sequences; they are reused only if
    their schema still matches the template exactly. Without one they are empty databases,
    reset by recreating the `public` schema. A database something is still connected to, or
    that fails a check, is dropped instead of reused.
    """

    def __init__(
        self, cluster: PostgresCluster, template: str | None, seed_tables: frozenset[str]
    ) -> None:
        self.cluster = cluster
        self.template = template
        self.seed_tables = seed_tables
        self.free: list[str] = []
        self.fingerprint = (
            run_async(lambda: self._fingerprint(template)) if template is not None else None
        )

    async def _fingerprint(self, database: str) -> str:
        connection = await asyncpg.connect(self.cluster.dsn(database))
        try:
            schema: str = await connection.fetchval(_SCHEMA_FINGERPRINT_SQL)
            seeded: str = await connection.fetchval(_seed_checksum_sql(self.seed_tables))
            return schema + "#" + seeded
        finally:
            await connection.close()

    def acquire(self) -> str:
        if self.free:
            return self.free.pop()
        name = f"t_{uuid.uuid4().hex[:16]}"
        create = f'CREATE DATABASE "{name}"'
        if self.template is not None:
            create += f' TEMPLATE "{self.template}"'
        run_async(lambda: _postgres_admin(self.cluster, create))
        return name

    def release(self, name: str) -> None:
        if run_async(lambda: self._reset_if_reusable(name)):
            self.free.append(name)
        else:
            drop = f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
            run_async(lambda: _postgres_admin(self.cluster, drop))

    async def _reset_if_reusable(self, name: str) -> bool:
        try:
            connection = await asyncpg.connect(
                self.cluster.dsn(name),
                server_settings={"lock_timeout": "2000", "statement_timeout": "10000"},
            )
        except (OSError, asyncpg.PostgresError):
            return False
        try:
            others = await connection.fetchval(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            if others:
                return False
            if self.fingerprint is None:
                await connection.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
                return True
            schema: str = await connection.fetchval(_SCHEMA_FINGERPRINT_SQL)
            if schema + "#" + await connection.fetchval(
                _seed_checksum_sql(self.seed_tables)
            ) != self.fingerprint:
                return False
            tables = await connection.fetch(
                "SELECT tablename FROM pg_tables "
                "WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
            )
            sequences = await connection.fetch(
                "SELECT sequencename FROM pg_sequences WHERE schemaname = 'public'"
            )
            script = ["SET session_replication_role = replica;"]  # no FK order needed
            script += [
                f'DELETE FROM "{row[0]}";' for row in tables if row[0] not in self.seed_tables
            ]
            script += ["RESET session_replication_role;"]
            script += [f"SELECT setval('\"{row[0]}\"', 1, false);" for row in sequences]
            await connection.execute("\n".join(script))
            return True
        except (OSError, asyncpg.PostgresError):
            return False
        finally:
            await connection.close()


class TemplateDatabases:
    """Per seed, built on first use and kept for the session: a migrated (and seeded) SQLite
    file that tests copy, and a pool of PostgreSQL databases made from a template database."""

    def __init__(self, tmp_path_factory: pytest.TempPathFactory) -> None:
        self._tmp = tmp_path_factory
        self._sqlite: dict[str, Path] = {}
        self._pools: dict[str, PostgresDatabasePool] = {}

    @staticmethod
    def _seed(name: str) -> Seed:
        seed = SEEDS[name]
        if seed.needs is not None and not seed.needs.is_file():
            pytest.skip(f"seed {name!r} needs {seed.needs}, which is absent (outside the project)")
        return seed

    def sqlite_template(self, seed_name: str) -> Path:
        if seed_name not in self._sqlite:
            seed = self._seed(seed_name)
            path = self._tmp.mktemp(f"sqlite-template-{seed_name or 'migrated'}") / "t.db"
            run_async(lambda: _build_template(f"sqlite+aiosqlite:///{path}", seed))
            self._sqlite[seed_name] = path
        return self._sqlite[seed_name]

    def postgres_pool(self, cluster: PostgresCluster, seed_name: str) -> PostgresDatabasePool:
        if seed_name not in self._pools:
            seed = self._seed(seed_name)
            template = f"ikk_template_{seed_name or 'migrated'}"
            run_async(lambda: _postgres_admin(cluster, f'CREATE DATABASE "{template}"'))
            run_async(lambda: _build_template(cluster.url(template), seed))
            self._pools[seed_name] = PostgresDatabasePool(cluster, template, seed.tables)
        return self._pools[seed_name]


@pytest.fixture(scope="session")
def template_databases(tmp_path_factory: pytest.TempPathFactory) -> TemplateDatabases:
    return TemplateDatabases(tmp_path_factory)


@pytest.fixture(scope="session")
def postgres_empty_pool(postgres_cluster: PostgresCluster) -> PostgresDatabasePool:
    """The session's pool of reusable empty PostgreSQL databases."""
    return PostgresDatabasePool(postgres_cluster, None, frozenset())


# --------------------------------------------------------------------------- per-test databases


@pytest.fixture(params=BACKENDS)
def db_backend(request: pytest.FixtureRequest) -> str:
    """Which database the test runs on."""
    backend: str = request.param
    return backend


@pytest.fixture
def database_seed() -> str:
    """What a migrated test database starts with: "" nothing, "demo" the 25 demo areas,
    "kalsel" all 2,186 Kalimantan Selatan areas. Override it in a module (a fixture of the same
    name) or per test with ``@pytest.mark.parametrize("database_seed", ["kalsel"])``."""
    return ""


def _pooled_postgres_database(pool: PostgresDatabasePool) -> Iterator[str]:
    name = pool.acquire()
    try:
        yield pool.cluster.url(name)
    finally:
        pool.release(name)


@pytest.fixture
def database_url(
    db_backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[str]:
    """URL of a fresh, empty database (no tables at all) on the test's backend."""
    if db_backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'ikk-empty.db'}"
    else:
        yield from _pooled_postgres_database(request.getfixturevalue("postgres_empty_pool"))


@pytest.fixture
def migrated_database_url(
    db_backend: str,
    database_seed: str,
    template_databases: TemplateDatabases,
    request: pytest.FixtureRequest,
    tmp_path: Path,
) -> Iterator[str]:
    """URL of a database at the newest migration holding only the `database_seed` data
    (SQLite: a copy of a template file; PostgreSQL: a pooled database reset after its
    previous test)."""
    if db_backend == "sqlite":
        path = tmp_path / "ikk.db"
        shutil.copyfile(template_databases.sqlite_template(database_seed), path)
        yield f"sqlite+aiosqlite:///{path}"
    else:
        cluster: PostgresCluster = request.getfixturevalue("postgres_cluster")
        yield from _pooled_postgres_database(
            template_databases.postgres_pool(cluster, database_seed)
        )


@pytest.fixture
async def migrated_engine(migrated_database_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine on the test's migrated database; disposed after the test."""
    engine = create_engine(migrated_database_url)
    try:
        yield engine
    finally:
        await engine.dispose()


@pytest.fixture
def session_factory(migrated_engine: AsyncEngine) -> SessionFactory:
    """Sessions on the test's migrated database (expire_on_commit=False)."""
    return create_session_factory(migrated_engine)


# ------------------------------------------------------------------------------------ data files


@pytest.fixture
def kalsel_areas_csv() -> Path:
    """The full Kalimantan Selatan Kemendagri list (kept outside the project, in ../shared)."""
    if not KALSEL_AREAS_CSV.is_file():
        pytest.skip(f"area list not found at {KALSEL_AREAS_CSV} (it lives outside the project)")
    return KALSEL_AREAS_CSV
