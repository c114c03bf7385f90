"""Shared fixtures: every database test runs on SQLite and on a throwaway PostgreSQL.

Fixtures (all lazy: a test that asks for none of them starts nothing):

- ``db_backend``: ``"sqlite"`` or ``"postgresql"``; parametrizes every test that uses a database
  fixture (ids ``[sqlite]`` / ``[postgresql]``). Restrict a test to one backend with
  ``@pytest.mark.parametrize("db_backend", ["sqlite"])``.
- ``database_url``: URL of a fresh EMPTY database (no tables), for migration tests.
- ``migrated_database_url``: URL of a fresh database already at the newest migration (copied
  from a template migrated once per session, so it costs milliseconds), e.g. for CLI tests.
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
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.db.engine import SessionFactory, create_engine, create_session_factory
from bot.db.migrate import upgrade

T = TypeVar("T")

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA_DIR = REPO_ROOT.parent / "shared" / "data"
KALSEL_AREAS_CSV = SHARED_DATA_DIR / "wilayah-kalsel-kemendagri-2025.csv"

SKIP_POSTGRES = os.environ.get("IKK_SKIP_POSTGRES") == "1"
POSTGRES_INSTALL_HINT = (
    "PostgreSQL server binaries (initdb, pg_ctl) were not found on PATH or in "
    "/usr/lib/postgresql/*/bin. Install them (Debian/Ubuntu: `apt-get install -y postgresql`) "
    "or set IKK_SKIP_POSTGRES=1 to run the SQLite half of the suite only."
)

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


@dataclass(frozen=True)
class PostgresCluster:
    """A running throwaway cluster reachable over TCP with trust authentication."""

    host: str
    port: int
    user: str
    base_dir: Path
    startup_seconds: float

    def url(self, database: str) -> str:
        """SQLAlchemy async URL of a database in this cluster."""
        return f"postgresql+asyncpg://{self.user}@{self.host}:{self.port}/{database}"

    def dsn(self, database: str = "postgres") -> str:
        """Plain libpq/asyncpg DSN (for administrative statements)."""
        return f"postgresql://{self.user}@{self.host}:{self.port}/{database}"


def _find_postgres_binary(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found

    def version_key(path: Path) -> tuple[int, ...]:
        version = path.parent.parent.name
        return tuple(int(part) for part in version.split(".") if part.isdigit())

    candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), key=version_key)
    return str(candidates[-1]) if candidates else None


def _as_postgres_user(command: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: drop to the `postgres` user when we are root."""
    if os.geteuid() != 0:
        return command
    if shutil.which("runuser"):
        return ["runuser", "-u", "postgres", "--", *command]
    return ["su", "postgres", "-c", subprocess.list2cmdline(command)]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _run_checked(command: list[str], what: str) -> None:
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    if result.returncode != 0:
        raise RuntimeError(
            f"{what} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
        )


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresCluster]:
    """Start a private PostgreSQL for this test session; stop it and delete it at the end."""
    if SKIP_POSTGRES:
        pytest.skip("IKK_SKIP_POSTGRES=1")
    initdb = _find_postgres_binary("initdb")
    pg_ctl = _find_postgres_binary("pg_ctl")
    if initdb is None or pg_ctl is None:
        pytest.fail(POSTGRES_INSTALL_HINT, pytrace=False)

    started = time.perf_counter()
    base_dir = Path(tempfile.mkdtemp(prefix="ikk-pg-"))
    data_dir = base_dir / "data"
    if os.geteuid() == 0:
        shutil.chown(base_dir, "postgres", "postgres")
    user = "postgres"
    running = False
    try:
        _run_checked(
            _as_postgres_user(
                [initdb, "-D", str(data_dir), "-A", "trust", "-U", user, "-E", "UTF8",
                 "--locale=C", "--no-sync"]
            ),
            "initdb",
        )
        for _attempt in range(3):
            port = _free_port()
            options = (
                f"-c listen_addresses=127.0.0.1 -p {port} -k {base_dir} -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off -c max_connections=300"
            )
            result = subprocess.run(
                _as_postgres_user(
                    [pg_ctl, "-D", str(data_dir), "-l", str(base_dir / "server.log"),
                     "-o", options, "-w", "-t", "60", "start"]
                ),
                capture_output=True, text=True, timeout=90, check=False,
            )
            if result.returncode == 0:
                running = True
                break
        if not running:
            log = (base_dir / "server.log").read_text(errors="replace")[-2000:]
            pytest.fail(f"pg_ctl start failed:\n{result.stderr}\n{log}", pytrace=False)
        yield PostgresCluster(
            host="127.0.0.1",
            port=port,
            user=user,
            base_dir=base_dir,
            startup_seconds=time.perf_counter() - started,
        )
    finally:
        if running:
            subprocess.run(
                _as_postgres_user([pg_ctl, "-D", str(data_dir), "-m", "immediate", "stop"]),
                capture_output=True, timeout=60, check=False,
            )
        shutil.rmtree(base_dir, ignore_errors=True)


async def _postgres_admin(cluster: PostgresCluster, *statements: str) -> None:
    connection = await asyncpg.connect(cluster.dsn("postgres"))
    try:
        for statement in statements:
            await connection.execute(statement)
    finally:
        await connection.close()


# ------------------------------------------------------------------------- migrated templates


async def _migrate(url: str) -> None:
    engine = create_engine(url)
    try:
        await upgrade(engine)
    finally:
        # Closing SQLite's last connection checkpoints the WAL into the main file, which is
        # therefore complete on its own and can simply be copied.
        await engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head once per session; tests get copies of it."""
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    run_async(lambda: _migrate(f"sqlite+aiosqlite:///{path}"))
    return path


@pytest.fixture(scope="session")
def postgres_template(postgres_cluster: PostgresCluster) -> str:
    """Name of a PostgreSQL database migrated to head once per session (a CREATE DATABASE
    TEMPLATE source: nothing may stay connected to it)."""
    name = "ikk_template"
    run_async(lambda: _postgres_admin(postgres_cluster, f'CREATE DATABASE "{name}"'))
    run_async(lambda: _migrate(postgres_cluster.url(name)))
    return name


# --------------------------------------------------------------------------- per-test databases


@pytest.fixture(params=BACKENDS)
def db_backend(request: pytest.FixtureRequest) -> str:
    """Which database the test runs on."""
    backend: str = request.param
    return backend


def _fresh_postgres_database(
    request: pytest.FixtureRequest, template: str | None
) -> Iterator[str]:
    cluster: PostgresCluster = request.getfixturevalue("postgres_cluster")
    name = f"t_{uuid.uuid4().hex[:16]}"
    create = f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else "")
    run_async(lambda: _postgres_admin(cluster, create))
    try:
        yield cluster.url(name)
    finally:
        run_async(
            lambda: _postgres_admin(cluster, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        )


@pytest.fixture
def database_url(
    db_backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[str]:
    """URL of a fresh, empty database (no tables at all) on the test's backend."""
    if db_backend == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'ikk-empty.db'}"
    else:
        yield from _fresh_postgres_database(request, template=None)


@pytest.fixture
def migrated_database_url(
    db_backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[str]:
    """URL of a fresh database at the newest migration, cloned from the session template."""
    if db_backend == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "ikk.db"
        shutil.copyfile(template, path)
        yield f"sqlite+aiosqlite:///{path}"
    else:
        template_name: str = request.getfixturevalue("postgres_template")
        yield from _fresh_postgres_database(request, template=template_name)


@pytest.fixture
async def migrated_engine(migrated_database_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine on a fresh migrated database; disposed after the test."""
    engine = create_engine(migrated_database_url)
    try:
        yield engine
    finally:
        await engine.dispose()


@pytest.fixture
def session_factory(migrated_engine: AsyncEngine) -> SessionFactory:
    """Sessions on the fresh migrated database (expire_on_commit=False)."""
    return create_session_factory(migrated_engine)


# ------------------------------------------------------------------------------------ data files


@pytest.fixture
def kalsel_areas_csv() -> Path:
    """The full Kalimantan Selatan Kemendagri list (kept outside the project, in ../shared)."""
    if not KALSEL_AREAS_CSV.is_file():
        pytest.skip(f"area list not found at {KALSEL_AREAS_CSV} (it lives outside the project)")
    return KALSEL_AREAS_CSV
