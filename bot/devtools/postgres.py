"""A throwaway PostgreSQL cluster in a temp directory, for tests and benchmarks.

The same recipe as the test fixture (field notes §6.5): `initdb -A trust` into a temp dir (as
user ``postgres`` when run as root, since PostgreSQL refuses root), then `pg_ctl start` on a
free loopback port with durability switched off (fsync, synchronous_commit, full_page_writes:
nothing here must survive a crash), and `pg_ctl stop -m immediate` plus removal at the end.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import asyncpg

__all__ = [
    "INSTALL_HINT",
    "PostgresCluster",
    "PostgresUnavailable",
    "create_database",
    "drop_database",
    "find_postgres_binary",
    "throwaway_cluster",
]

INSTALL_HINT = (
    "PostgreSQL server binaries (initdb, pg_ctl) were not found on PATH or in "
    "/usr/lib/postgresql/*/bin. Install them (Debian/Ubuntu: `apt-get install -y postgresql`)."
)


class PostgresUnavailable(RuntimeError):
    """The binaries are missing or the cluster did not start; the message says why."""


@dataclass(frozen=True)
class PostgresCluster:
    """A running throwaway cluster reachable over TCP with trust authentication."""

    host: str
    port: int
    user: str
    base_dir: Path
    startup_seconds: float
    settings: str

    def url(self, database: str) -> str:
        """SQLAlchemy async URL of a database in this cluster."""
        return f"postgresql+asyncpg://{self.user}@{self.host}:{self.port}/{database}"

    def dsn(self, database: str = "postgres") -> str:
        """Plain libpq/asyncpg DSN (for administrative statements)."""
        return f"postgresql://{self.user}@{self.host}:{self.port}/{database}"


def find_postgres_binary(name: str) -> str | None:
    """`name` on PATH, else the newest /usr/lib/postgresql/<version>/bin/<name>."""
    found = shutil.which(name)
    if found:
        return found

    def version_key(path: Path) -> tuple[int, ...]:
        version = path.parent.parent.name
        return tuple(int(part) for part in version.split(".") if part.isdigit())

    candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), key=version_key)
    return str(candidates[-1]) if candidates else None


def _as_postgres_user(command: list[str]) -> list[str]:
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


@contextmanager
def throwaway_cluster(
    *, max_connections: int = 300, extra_settings: str = ""
) -> Iterator[PostgresCluster]:
    """Start a private PostgreSQL; stop it and delete its directory on exit."""
    initdb = find_postgres_binary("initdb")
    pg_ctl = find_postgres_binary("pg_ctl")
    if initdb is None or pg_ctl is None:
        raise PostgresUnavailable(INSTALL_HINT)
    started = time.perf_counter()
    base_dir = Path(tempfile.mkdtemp(prefix="ikk-pg-"))
    data_dir = base_dir / "data"
    if os.geteuid() == 0:
        shutil.chown(base_dir, "postgres", "postgres")
    user = "postgres"
    running = False
    try:
        result = subprocess.run(
            _as_postgres_user([initdb, "-D", str(data_dir), "-A", "trust", "-U", user, "-E",
                               "UTF8", "--locale=C", "--no-sync"]),
            capture_output=True, text=True, timeout=120, check=False,
        )
        if result.returncode != 0:
            raise PostgresUnavailable(f"initdb failed:\n{result.stdout}\n{result.stderr}")
        settings = (
            f"-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
            f"-c max_connections={max_connections} {extra_settings}"
        ).strip()
        port = 0
        for _attempt in range(3):
            port = _free_port()
            options = f"-c listen_addresses=127.0.0.1 -p {port} -k {base_dir} {settings}"
            result = subprocess.run(
                _as_postgres_user([pg_ctl, "-D", str(data_dir), "-l",
                                   str(base_dir / "server.log"), "-o", options, "-w", "-t", "60",
                                   "start"]),
                capture_output=True, text=True, timeout=90, check=False,
            )
            if result.returncode == 0:
                running = True
                break
        if not running:
            log = (base_dir / "server.log").read_text(errors="replace")[-2000:]
            raise PostgresUnavailable(f"pg_ctl start failed:\n{result.stderr}\n{log}")
        yield PostgresCluster(
            host="127.0.0.1",
            port=port,
            user=user,
            base_dir=base_dir,
            startup_seconds=time.perf_counter() - started,
            settings=settings,
        )
    finally:
        if running:
            subprocess.run(
                _as_postgres_user([pg_ctl, "-D", str(data_dir), "-m", "immediate", "stop"]),
                capture_output=True, timeout=60, check=False,
            )
        shutil.rmtree(base_dir, ignore_errors=True)


async def _admin(cluster: PostgresCluster, statement: str) -> None:
    connection = await asyncpg.connect(cluster.dsn("postgres"))
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


async def create_database(
    cluster: PostgresCluster, name: str, template: str | None = None
) -> str:
    """Create database `name` (optionally from `template`); returns its SQLAlchemy URL."""
    suffix = f' TEMPLATE "{template}"' if template else ""
    await _admin(cluster, f'CREATE DATABASE "{name}"{suffix}')
    return cluster.url(name)


async def drop_database(cluster: PostgresCluster, name: str) -> None:
    await _admin(cluster, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
