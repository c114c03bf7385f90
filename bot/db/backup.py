"""Back up the configured database while the bot runs, and restore it when the bot is stopped.

SQLite: the sqlite3 online backup API copies one consistent snapshot while the bot keeps writing
(in WAL mode readers never block writers; a one-step backup reads a single snapshot, the frames
still in the ``-wal`` file included). The copy is switched to rollback-journal mode so a backup
is one self-contained ``.db`` file. PostgreSQL: ``pg_dump --format=custom`` and ``pg_restore``,
with the connection passed in ``PG*`` environment variables, so the password is never on a
command line (visible to every user in ``ps``) nor in a message.

Every file is written to a temp file in the destination folder, fsynced and renamed into place:
a crash leaves the old file or the new one, never half of one. Errors are `BackupError`s whose
message is one Indonesian line for the operator.
"""

from __future__ import annotations

import asyncio
import glob
import os
import shutil
import sqlite3
import stat
import subprocess
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import closing, contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Final

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError

from bot.db.engine import create_engine
from bot.db.migrate import DatabaseNotReady, ensure_database_ready

__all__ = [
    "POSTGRES_BIN_GLOB",
    "BackupDone",
    "BackupError",
    "BackupRefused",
    "RestoreDone",
    "backup_database",
    "backup_file_name",
    "backup_postgres",
    "backup_sqlite",
    "find_postgres_tool",
    "postgres_environment",
    "restore_database",
    "restore_postgres",
    "restore_sqlite",
    "sqlite_path",
]

#: Where Debian/Ubuntu put the versioned PostgreSQL programs when they are not on PATH.
POSTGRES_BIN_GLOB = "/usr/lib/postgresql/*/bin"

SQLITE_MAGIC: Final = b"SQLite format 3\x00"
PGDUMP_MAGIC: Final = b"PGDMP"
_SQLITE_SIDECARS: Final = ("-wal", "-shm", "-journal")
_BUSY_TIMEOUT_MS: Final = 5000
_IN_USE_TIMEOUT_S: Final = 0.5
_CONNECT_TIMEOUT_S: Final = 10


class BackupError(RuntimeError):
    """A backup or restore could not be done; the message is one Indonesian line."""


class BackupRefused(BackupError):
    """Not done because the operator must decide first (a file exists, the bot is running)."""


@dataclass(frozen=True)
class BackupDone:
    """A finished backup: where it is and how many bytes it has."""

    path: Path
    size: int


@dataclass(frozen=True)
class RestoreDone:
    """A finished restore; `not_ready` is the line saying which migration to run, if any."""

    source: Path
    not_ready: str | None


# ----------------------------------------------------------------------------------- helpers


def _parse(url: str) -> URL:
    try:
        return make_url(url)
    except ArgumentError as exc:
        raise BackupError("DATABASE_URL tidak dapat dibaca; periksa penulisannya.") from exc


def _where(url: URL) -> str:
    return url.render_as_string(hide_password=True)


def _backend(url: URL) -> str:
    backend = url.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise BackupError(
            f"Database {_where(url)} tidak didukung untuk pencadangan "
            "(hanya SQLite dan PostgreSQL)."
        )
    return backend


def backup_file_name(url: str, when: datetime) -> str:
    """The name a backup gets in a folder: ``ikk-bot-YYYYmmdd-HHMMSS`` plus .db or .dump."""
    suffix = ".db" if _backend(_parse(url)) == "sqlite" else ".dump"
    return f"ikk-bot-{when:%Y%m%d-%H%M%S}{suffix}"


def sqlite_path(url: str) -> Path:
    """The file of a SQLite URL; an in-memory or URI-style database cannot be backed up."""
    parsed = _parse(url)
    database = parsed.database
    if not database or database == ":memory:" or database.startswith("file:"):
        raise BackupError(
            f"Database {_where(parsed)} bukan berkas SQLite biasa; periksa DATABASE_URL."
        )
    return Path(database)


def _read_magic(path: Path, length: int) -> bytes:
    try:
        with path.open("rb") as handle:
            return handle.read(length)
    except OSError as exc:
        raise BackupError(f"Berkas {path} tidak dapat dibaca ({exc.strerror}).") from exc


def _fsync_path(path: Path, *, directory: bool = False) -> None:
    flags = os.O_RDONLY | (getattr(os, "O_DIRECTORY", 0) if directory else 0)
    fd = os.open(path, flags)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def _atomic_file(final: Path, *, before_rename: Callable[[], None] | None = None) -> Iterator[Path]:
    """A fresh temp file (mode 600) beside `final`; when the block succeeds it is fsynced and
    renamed onto `final` (after `before_rename`), otherwise removed."""
    folder = final.parent
    if not folder.is_dir():
        raise BackupError(f"Folder {folder} tidak ada.")
    try:
        fd, name = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise BackupError(f"Tidak dapat menulis di folder {folder} ({exc.strerror}).") from exc
    os.close(fd)
    temp = Path(name)
    try:
        yield temp
        _fsync_path(temp)
        if before_rename is not None:
            before_rename()
        os.replace(temp, final)
        _fsync_path(folder, directory=True)
    except OSError as exc:
        raise BackupError(f"Tidak dapat menulis {final} ({exc.strerror}).") from exc
    finally:
        for leftover in (temp, *(Path(f"{temp}{suffix}") for suffix in _SQLITE_SIDECARS)):
            with suppress(OSError):
                leftover.unlink(missing_ok=True)


def _refuse_existing(path: Path, overwrite: bool, what: str, hint: str) -> None:
    if path.exists() and not overwrite:
        raise BackupRefused(f"{what} {path} sudah ada; {hint}")


# ------------------------------------------------------------------------------------ SQLite


def _connect(path: Path, mode: str, timeout: float = _BUSY_TIMEOUT_MS / 1000) -> sqlite3.Connection:
    # A URI with mode=rw/ro never creates a missing file (a plain connect would).
    return sqlite3.connect(
        f"{path.resolve().as_uri()}?mode={mode}", uri=True, timeout=timeout, isolation_level=None
    )


def _copy_sqlite(source: sqlite3.Connection, temp: Path) -> None:
    """Copy `source` into `temp` in one step (one snapshot) and leave `temp` self-contained."""
    with closing(sqlite3.connect(temp, isolation_level=None)) as target:
        source.backup(target)  # pages=-1: everything in one step, so one consistent snapshot
        # The copied header says WAL; rollback-journal mode folds everything into the one file.
        target.execute("PRAGMA journal_mode=DELETE")
        verdict = [row[0] for row in target.execute("PRAGMA integrity_check").fetchall()]
    if verdict != ["ok"]:
        raise BackupError(f"Salinan gagal diperiksa (integrity_check: {verdict[0]}).")


def backup_sqlite(database: Path, output: Path, *, overwrite: bool = False) -> int:
    """Copy the live SQLite `database` into `output` as one .db file; returns its size.

    Safe while the bot writes: the copy is one snapshot and writers are not held up.
    """
    if not database.is_file():
        raise BackupError(f"Berkas database {database} tidak ada; tidak ada yang dicadangkan.")
    if _read_magic(database, len(SQLITE_MAGIC)) != SQLITE_MAGIC:
        raise BackupError(f"Berkas {database} bukan database SQLite.")
    _refuse_existing(
        output, overwrite, "Berkas", "pilih nama lain atau tambahkan --force untuk menimpanya."
    )
    if output.exists() and output.samefile(database):
        raise BackupError("Berkas cadangan tidak boleh sama dengan berkas database.")
    try:
        with _atomic_file(output) as temp, closing(_connect(database, "rw")) as source:
            _copy_sqlite(source, temp)
    except sqlite3.Error as exc:
        raise BackupError(f"Database {database} tidak dapat dicadangkan ({exc}).") from exc
    return output.stat().st_size


def _refuse_if_in_use(database: Path) -> None:
    """Refuse while another connection (the bot) has `database` open: replacing the file under
    it would corrupt what it writes next. Leaving WAL mode needs every other connection closed,
    so a switch that reports "locked" means someone is there."""
    try:
        connection = _connect(database, "rw", timeout=_IN_USE_TIMEOUT_S)
    except sqlite3.Error:
        return  # unreadable (damaged): replacing it is the point
    try:
        connection.execute("PRAGMA journal_mode=DELETE")
        connection.execute("BEGIN EXCLUSIVE")
        connection.execute("ROLLBACK")
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            raise BackupRefused(
                f"Database {database} sedang dipakai (bot masih berjalan?): "
                "hentikan bot terlebih dahulu."
            ) from exc
    except sqlite3.DatabaseError:
        pass  # damaged: replacing it is the point
    finally:
        connection.close()


def _remove_sidecars(database: Path) -> None:
    """A stale -wal of the old database would be replayed onto the restored one: remove it
    (and -shm, -journal) before the new file takes the name."""
    for suffix in _SQLITE_SIDECARS:
        Path(f"{database}{suffix}").unlink(missing_ok=True)


def restore_sqlite(source: Path, database: Path, *, force: bool = False) -> None:
    """Put the backup `source` in place of `database`, atomically.

    Refuses an existing `database` unless `force`, and always while the bot has it open.
    """
    if not source.is_file():
        raise BackupError(f"Berkas cadangan {source} tidak ada.")
    if _read_magic(source, len(SQLITE_MAGIC)) != SQLITE_MAGIC:
        raise BackupError(
            f"Berkas {source} bukan cadangan SQLite, padahal database yang dipakai adalah SQLite."
        )
    existing = database.stat() if database.exists() else None
    if existing is not None:
        if source.samefile(database):
            raise BackupError("Berkas cadangan sama dengan berkas database; tidak ada yang diubah.")
        _refuse_existing(
            database, force, "Database",
            "tambahkan --force untuk menimpanya (hentikan bot terlebih dahulu).",
        )
        _refuse_if_in_use(database)
    try:
        with (
            _atomic_file(database, before_rename=lambda: _remove_sidecars(database)) as temp,
            closing(_connect(source, "ro")) as backup,
        ):
            _copy_sqlite(backup, temp)
            if existing is not None:
                os.chmod(temp, stat.S_IMODE(existing.st_mode))
                if os.geteuid() == 0:
                    os.chown(temp, existing.st_uid, existing.st_gid)
    except sqlite3.Error as exc:
        raise BackupError(f"Berkas cadangan {source} tidak dapat dibaca ({exc}).") from exc


# -------------------------------------------------------------------------------- PostgreSQL


def find_postgres_tool(name: str) -> str:
    """`name` (pg_dump, pg_restore) on PATH, else the newest in /usr/lib/postgresql/*/bin."""
    found = shutil.which(name)
    if found:
        return found

    def version(path: str) -> tuple[int, ...]:
        number = Path(path).parent.parent.name
        return tuple(int(part) for part in number.split(".") if part.isdigit())

    candidates = sorted(glob.glob(f"{POSTGRES_BIN_GLOB}/{name}"), key=version)
    if not candidates:
        raise BackupError(
            f"{name} tidak ditemukan di PATH maupun {POSTGRES_BIN_GLOB}: pasang paket "
            "postgresql-client (Debian/Ubuntu: apt-get install postgresql-client)."
        )
    return candidates[-1]


def _query_value(url: URL, key: str) -> str | None:
    value = url.query.get(key)
    if isinstance(value, tuple):
        value = value[0] if value else None
    return value


_SSL_MODES: Final = {"true": "require", "false": "disable"}


def postgres_environment(url: str, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """`base` (default: this process's environment) plus PGHOST, PGPORT, PGUSER, PGPASSWORD,
    PGDATABASE (and PGSSLMODE) from `url`, for pg_dump/pg_restore without secrets in argv."""
    parsed = _parse(url)
    ssl = _query_value(parsed, "sslmode") or _query_value(parsed, "ssl")
    values = {
        "PGHOST": parsed.host or _query_value(parsed, "host"),
        "PGPORT": str(parsed.port) if parsed.port else _query_value(parsed, "port"),
        "PGUSER": parsed.username,
        "PGPASSWORD": parsed.password,
        "PGDATABASE": parsed.database,
        "PGSSLMODE": _SSL_MODES.get(ssl.lower(), ssl) if ssl else None,
    }
    environment = dict(os.environ if base is None else base)
    environment.setdefault("PGCONNECT_TIMEOUT", str(_CONNECT_TIMEOUT_S))
    environment.update({key: str(value) for key, value in values.items() if value})
    return environment


def _without_password(text: str, url: URL | None) -> str:
    password = url.password if url is not None else None
    return text.replace(str(password), "***") if password else text


def _tool_error(tool: str, stderr: str) -> str:
    """The lines of a pg tool's stderr that say why, as one line."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    prefix = f"{tool}: "
    wanted = [
        line.removeprefix(prefix).removeprefix("error: ")
        for line in lines
        if line.startswith((f"{prefix}error:", f"{prefix}detail:", f"{prefix}hint:"))
    ]
    message = "; ".join(wanted or lines[:1]) or "tanpa keterangan"
    return message if len(message) <= 400 else message[:397] + "..."


def _run_postgres_tool(tool: str, arguments: list[str], url: URL | None, what: str) -> str:
    """Run `tool` (with the connection of `url` in its environment, if given); its stdout."""
    program = find_postgres_tool(tool)
    environment = (
        postgres_environment(url.render_as_string(hide_password=False))
        if url is not None
        else dict(os.environ)
    )
    try:
        result = subprocess.run(
            [program, *arguments], env=environment, stdin=subprocess.DEVNULL,
            capture_output=True, text=True, errors="replace", check=False,
        )
    except OSError as exc:
        raise BackupError(f"{tool} tidak dapat dijalankan ({exc.strerror}).") from exc
    if result.returncode != 0:
        reason = _tool_error(tool, result.stderr)
        raise BackupError(f"{tool} gagal{what}: {_without_password(reason, url)}")
    return result.stdout


def backup_postgres(url: str, output: Path, *, overwrite: bool = False) -> int:
    """`pg_dump --format=custom` of the database of `url` into `output`; returns its size."""
    parsed = _parse(url)
    _refuse_existing(
        output, overwrite, "Berkas", "pilih nama lain atau tambahkan --force untuk menimpanya."
    )
    find_postgres_tool("pg_dump")  # say so before creating any file
    with _atomic_file(output) as temp:
        _run_postgres_tool(
            "pg_dump", ["--format=custom", "--no-password", f"--file={temp}"], parsed, ""
        )
    return output.stat().st_size


async def _postgres_target(url: URL) -> tuple[int, set[str]]:
    """(other sessions connected to the database, tables in its public schema)."""
    engine = create_engine(
        url.render_as_string(hide_password=False), connect_args={"timeout": _CONNECT_TIMEOUT_S}
    )
    try:
        async with engine.connect() as connection:
            others = (
                await connection.exec_driver_sql(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            ).scalar_one()
            tables = (
                await connection.exec_driver_sql(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
                )
            ).scalars().all()
    except (DBAPIError, OSError, TimeoutError) as exc:
        text = str(getattr(exc, "orig", exc)) or type(exc).__name__
        reason = _without_password(text.splitlines()[0], url)
        raise BackupError(
            f"Database {_where(url)} tidak dapat dibuka ({reason}); periksa DATABASE_URL."
        ) from exc
    finally:
        await engine.dispose()
    return int(others), set(tables)


def _dump_tables(source: Path) -> set[str]:
    """The tables of the public schema in a custom-format dump (from its table of contents)."""
    listing = _run_postgres_tool("pg_restore", ["--list", str(source)], None, "")
    tables = set()
    for line in listing.splitlines():
        words = line.split()
        # "215; 1259 16386 TABLE public area postgres"
        if not line.startswith(";") and words[3:5] == ["TABLE", "public"] and len(words) > 5:
            tables.add(words[5])
    return tables


def _dump_revision(source: Path) -> str | None:
    """The Alembic revision stored in a dump, if it has one."""
    data = _run_postgres_tool(
        "pg_restore", ["--data-only", "--table=alembic_version", "--file=-", str(source)], None, ""
    )
    lines = data.splitlines()
    for number, line in enumerate(lines):
        if line.startswith("COPY ") and "alembic_version" in line and number + 1 < len(lines):
            value = lines[number + 1].strip()
            return None if value == "\\." else value
    return None


def _check_postgres_backup(source: Path) -> None:
    if not source.is_file():
        raise BackupError(f"Berkas cadangan {source} tidak ada.")
    if _read_magic(source, len(PGDUMP_MAGIC)) != PGDUMP_MAGIC:
        raise BackupError(
            f"Berkas {source} bukan cadangan PostgreSQL (pg_dump --format=custom), padahal "
            "database yang dipakai adalah PostgreSQL."
        )
    find_postgres_tool("pg_restore")


async def restore_postgres(url: str, source: Path, *, force: bool = False) -> None:
    """`pg_restore --clean --if-exists --no-owner` of `source` into the database of `url`, in
    one transaction (a failed restore changes nothing).

    Refuses a database that already has tables unless `force`; always one that other sessions
    (the bot) are connected to, and one with tables the dump lacks (a newer schema), saying
    which downgrade to run first.
    """
    parsed = _parse(url)
    _check_postgres_backup(source)
    others, tables = await _postgres_target(parsed)
    if others:
        raise BackupRefused(
            f"Database {_where(parsed)} sedang dipakai ({others} koneksi lain; bot masih "
            "berjalan?): hentikan bot terlebih dahulu."
        )
    if tables and not force:
        raise BackupRefused(
            f"Database {_where(parsed)} sudah berisi {len(tables)} tabel; tambahkan --force "
            "untuk menimpanya dengan isi cadangan."
        )
    # --clean drops only what the dump has: a table a later migration added would stay, still
    # referring to the tables being replaced, and the restore would fail. Say what to do.
    newer = sorted(tables - await asyncio.to_thread(_dump_tables, source))
    if newer:
        revision = await asyncio.to_thread(_dump_revision, source) or "base"
        raise BackupRefused(
            f"Cadangan {source} dibuat dengan skema lebih lama (revisi {revision}; database "
            f"punya tabel yang tidak ada di cadangan: {', '.join(newer)}): jalankan "
            f"`ikk-bot db downgrade {revision} --yes` dahulu, lalu ulangi pemulihan."
        )
    arguments = [
        "--clean", "--if-exists", "--no-owner", "--single-transaction", "--no-password",
        "--dbname=",  # empty: libpq takes the database from PGDATABASE
        str(source),
    ]
    await asyncio.to_thread(
        _run_postgres_tool, "pg_restore", arguments, parsed, " (database tidak berubah)"
    )


# ------------------------------------------------------------------------------- dispatching


async def backup_database(url: str, output: Path, *, overwrite: bool = False) -> BackupDone:
    """Back up the database of `url` into the file `output` (SQLite .db or pg_dump custom)."""
    parsed = _parse(url)
    if _backend(parsed) == "sqlite":
        size = await asyncio.to_thread(
            backup_sqlite, sqlite_path(url), output, overwrite=overwrite
        )
    else:
        size = await asyncio.to_thread(backup_postgres, url, output, overwrite=overwrite)
    return BackupDone(path=output, size=size)


async def restore_database(url: str, source: Path, *, force: bool = False) -> RestoreDone:
    """Restore `source` into the database of `url`, then check that its schema is current."""
    parsed = _parse(url)
    if _backend(parsed) == "sqlite":
        await asyncio.to_thread(restore_sqlite, source, sqlite_path(url), force=force)
    else:
        await restore_postgres(url, source, force=force)
    engine = create_engine(url)
    try:
        await ensure_database_ready(engine)
    except DatabaseNotReady as exc:
        return RestoreDone(source=source, not_ready=str(exc))
    finally:
        await engine.dispose()
    return RestoreDone(source=source, not_ready=None)
