"""`ikk-bot db backup|restore` on both databases: every row comes back, nothing is overwritten
by accident, a backup taken under load is consistent, and the password is never shown."""

from __future__ import annotations

import asyncio
import shutil
import socket
import sqlite3
import stat
from pathlib import Path
from typing import Any

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import select, text
from sqlalchemy.engine import make_url
from typer.testing import CliRunner, Result

import bot.db.backup as backup_module
from bot.cli import app
from bot.db.backup import BackupRefused, backup_database, restore_database
from bot.db.engine import create_engine, create_session_factory
from bot.db.migrate import alembic_config, head_revision
from bot.db.models import Base
from bot.repositories.users import get_user_by_telegram_id
from bot.services.context import ServiceContext
from ikk_core.instrument_io import load_default_instrument
from tests.bot.services.conftest import FAMILY_A, FAMILY_B, SAMPANAHAN, enter_family

runner = CliRunner()

KADER_TELEGRAM_ID = 7001
PASSWORD = "Rahasia-9f3kQ"


def ikk_bot(url: str, *args: str, **env: str) -> Result:
    return runner.invoke(app, list(args), env={"DATABASE_URL": url, **env})


def ok(result: Result) -> str:
    assert result.exit_code == 0, result.output
    return result.stdout


def one_error_line(result: Result, exit_code: int) -> str:
    assert result.exit_code == exit_code, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.output
    return lines[0]


Snapshot = dict[str, list[tuple[Any, ...]]]


async def snapshot(url: str) -> Snapshot:
    """Every row of every table, including the Alembic revision, in a comparable form."""
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            rows: Snapshot = {
                table.name: sorted(
                    (tuple(row) for row in (await connection.execute(select(table))).all()),
                    key=repr,
                )
                for table in Base.metadata.sorted_tables
            }
            version = await connection.execute(text("SELECT version_num FROM alembic_version"))
            rows["alembic_version"] = [tuple(row) for row in version.all()]
            return rows
    finally:
        await engine.dispose()


async def submit_families(url: str) -> None:
    """One family submitted question by question through the services, and one left as draft."""
    engine = create_engine(url)
    try:
        ctx = ServiceContext(
            session_factory=create_session_factory(engine), instrument=load_default_instrument()
        )
        async with ctx.session_factory() as session:
            kader = await get_user_by_telegram_id(session, KADER_TELEGRAM_ID)
        assert kader is not None
        await enter_family(ctx, kader.id, FAMILY_B, by_chat=True)
        await enter_family(ctx, kader.id, FAMILY_A, submit_it=False)
    finally:
        await engine.dispose()


def populate(url: str) -> Snapshot:
    """Areas, an admin, a kader, an invite and two families; returns what the database holds."""
    ok(ikk_bot(url, "areas", "load-demo"))
    ok(ikk_bot(url, "users", "add", "--telegram-id", "7000", "--role", "admin", "--area", "63",
               "--name", "Operator DP3A"))
    ok(ikk_bot(url, "users", "add", "--telegram-id", str(KADER_TELEGRAM_ID), "--role", "kader",
               "--area", SAMPANAHAN, "--name", "Siti Kader"))
    ok(ikk_bot(url, "invite", "create", "--role", "kader", "--area", SAMPANAHAN, "--uses", "3"))
    asyncio.run(submit_families(url))
    before = asyncio.run(snapshot(url))
    for table in ("area", "app_user", "invite", "family", "response", "answer", "family_score"):
        assert before[table], f"{table} is empty: the test would prove nothing"
    return before


async def damage(url: str) -> None:
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.execute(text("DELETE FROM family_score"))
            await connection.execute(text("UPDATE area SET name = 'RUSAK'"))
            await connection.execute(text("UPDATE app_user SET active = false"))
    finally:
        await engine.dispose()


def the_backup_in(folder: Path) -> Path:
    [found] = list(folder.glob("ikk-bot-*"))
    return found


def sqlite_file(url: str) -> Path:
    database = make_url(url).database
    assert database is not None
    return Path(database)


# ------------------------------------------------------------------------------ both databases


def test_backup_then_restore_brings_back_every_row_after_the_data_was_damaged(
    migrated_database_url: str, db_backend: str, tmp_path: Path
) -> None:
    url = migrated_database_url
    before = populate(url)
    folder = tmp_path / "backups"
    folder.mkdir()

    made = ok(ikk_bot(url, "db", "backup", str(folder)))
    backup = the_backup_in(folder)
    assert backup.suffix == (".db" if db_backend == "sqlite" else ".dump")
    assert len(made.splitlines()) == 1 and str(backup) in made
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600  # personal data: owner only
    assert [p.name for p in folder.iterdir()] == [backup.name]  # no temp file left behind

    asyncio.run(damage(url))
    ok(ikk_bot(url, "users", "add", "--telegram-id", "9999", "--role", "admin", "--area", "63"))
    assert asyncio.run(snapshot(url)) != before

    restored = ok(ikk_bot(url, "db", "restore", str(backup), "--force"))
    assert len(restored.splitlines()) == 1
    assert "dipulihkan" in restored and "revisi terbaru" in restored
    assert asyncio.run(snapshot(url)) == before
    ok(ikk_bot(url, "db", "current"))


def test_restore_refuses_a_database_that_already_holds_data_without_force(
    migrated_database_url: str, tmp_path: Path
) -> None:
    url = migrated_database_url
    ok(ikk_bot(url, "areas", "load-demo"))
    backup = tmp_path / "cadangan.bin"
    ok(ikk_bot(url, "db", "backup", str(backup)))
    ok(ikk_bot(url, "users", "add", "--telegram-id", "9999", "--role", "admin", "--area", "63"))
    after_change = asyncio.run(snapshot(url))

    line = one_error_line(ikk_bot(url, "db", "restore", str(backup)), 1)
    assert "--force" in line
    assert asyncio.run(snapshot(url)) == after_change


def test_backup_refuses_to_overwrite_an_existing_file_without_force(
    migrated_database_url: str, tmp_path: Path
) -> None:
    url = migrated_database_url
    backup = tmp_path / "cadangan"
    backup.write_bytes(b"laporan penting")
    line = one_error_line(ikk_bot(url, "db", "backup", str(backup)), 1)
    assert "sudah ada" in line and "--force" in line
    assert backup.read_bytes() == b"laporan penting"
    ok(ikk_bot(url, "db", "backup", str(backup), "--force"))
    assert backup.read_bytes() != b"laporan penting"


async def test_restore_refuses_while_the_bot_still_has_the_database_open(
    migrated_database_url: str, tmp_path: Path
) -> None:
    url = migrated_database_url
    backup = tmp_path / "cadangan"
    await backup_database(url, backup)
    bot_engine = create_engine(url)  # an idle bot: its pool keeps a connection open
    try:
        async with bot_engine.connect() as connection:
            await connection.execute(text("SELECT count(*) FROM area"))
        with pytest.raises(BackupRefused, match="sedang dipakai"):
            await restore_database(url, backup, force=True)
    finally:
        await bot_engine.dispose()
    done = await restore_database(url, backup, force=True)
    assert done.not_ready is None


def test_restoring_a_backup_from_an_older_revision_says_which_migration_to_run(
    migrated_database_url: str, database_url: str, tmp_path: Path
) -> None:
    ok(ikk_bot(migrated_database_url, "db", "downgrade", "--yes", "--", "-1"))
    backup = tmp_path / "lama"
    ok(ikk_bot(migrated_database_url, "db", "backup", str(backup)))

    restored = ok(ikk_bot(database_url, "db", "restore", str(backup)))  # empty: no --force
    assert "perlu diperbarui" in restored and "`ikk-bot db upgrade`" in restored
    assert head_revision() in restored
    ok(ikk_bot(database_url, "db", "upgrade"))
    assert "(terbaru)" in ok(ikk_bot(database_url, "db", "current"))


def test_a_backup_of_the_other_kind_of_database_is_rejected_with_one_line(
    migrated_database_url: str, db_backend: str, tmp_path: Path
) -> None:
    wrong = tmp_path / "salah"
    if db_backend == "sqlite":
        wrong.write_bytes(b"PGDMP\x01\x0e\x00 a PostgreSQL dump")
    else:
        with sqlite3.connect(wrong) as connection:
            connection.execute("CREATE TABLE t (x)")
        connection.close()
    line = one_error_line(ikk_bot(migrated_database_url, "db", "restore", str(wrong), "--force"), 2)
    assert "bukan cadangan" in line


# ------------------------------------------------------------------------------------ SQLite


@pytest.mark.parametrize("db_backend", ["sqlite"])
def test_restore_of_a_lost_sqlite_file_removes_the_stale_wal_of_the_old_one(
    migrated_database_url: str, tmp_path: Path
) -> None:
    url = migrated_database_url
    ok(ikk_bot(url, "areas", "load-demo"))
    before = asyncio.run(snapshot(url))
    backup = tmp_path / "cadangan.db"
    ok(ikk_bot(url, "db", "backup", str(backup)))

    # The old database leaves a -wal holding a change that is not in the backup ...
    database = sqlite_file(url)
    stale = tmp_path / "stale-wal"
    writer = sqlite3.connect(database, isolation_level=None)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("PRAGMA wal_autocheckpoint=0")
    writer.execute("UPDATE area SET name = 'BASI'")
    shutil.copyfile(f"{database}-wal", stale)
    writer.close()
    # ... and then the database file itself is lost.
    database.unlink()
    shutil.copyfile(stale, f"{database}-wal")

    restored = ok(ikk_bot(url, "db", "restore", str(backup)))  # nothing there: no --force
    assert "revisi terbaru" in restored
    assert asyncio.run(snapshot(url)) == before  # no 'BASI' replayed onto the restored file
    with sqlite3.connect(database) as check:
        assert check.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    check.close()


def probe_rows_of_a_self_contained_sound_copy(backup: Path) -> list[tuple[int, int]]:
    assert not Path(f"{backup}-wal").exists() and not Path(f"{backup}-shm").exists()
    with sqlite3.connect(backup) as copy:
        assert copy.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert copy.execute("PRAGMA journal_mode").fetchone() == ("delete",)
        stored = copy.execute("SELECT writer, seq FROM probe").fetchall()
    copy.close()
    return stored


@pytest.mark.parametrize("db_backend", ["sqlite"])
async def test_sqlite_backup_taken_while_writers_commit_is_consistent_and_holds_a_prefix_of_their_writes(  # noqa: E501
    migrated_database_url: str, tmp_path: Path
) -> None:
    url = migrated_database_url
    engine = create_engine(url)
    writers = 4
    committed = [0] * writers
    stop = asyncio.Event()
    progressed = asyncio.Condition()

    async def write(writer: int) -> None:
        while not stop.is_set():
            async with engine.begin() as connection:
                await connection.exec_driver_sql(
                    "INSERT INTO probe (writer, seq, pad) VALUES (?, ?, randomblob(300))",
                    (writer, committed[writer]),
                )
            committed[writer] += 1
            async with progressed:
                progressed.notify_all()

    async def until_total(total: int) -> None:
        async with asyncio.timeout(20), progressed:
            await progressed.wait_for(lambda: sum(committed) >= total)

    try:
        async with engine.begin() as connection:
            await connection.exec_driver_sql(
                "CREATE TABLE probe (writer INTEGER, seq INTEGER, pad BLOB, "
                "PRIMARY KEY (writer, seq))"
            )
            # Ballast (about 8 MB) so that the copy takes a while.
            await connection.exec_driver_sql("CREATE TABLE ballast (pad BLOB)")
            await connection.exec_driver_sql(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 128) "
                "INSERT INTO ballast SELECT randomblob(65536) FROM n"
            )
        tasks = [asyncio.create_task(write(writer)) for writer in range(writers)]
        await until_total(100)
        at_start = list(committed)
        backup = tmp_path / "saat-sibuk.db"
        await backup_database(url, backup)
        at_end = list(committed)
        await until_total(sum(at_end) + 100)
        stop.set()
        await asyncio.gather(*tasks)
    finally:
        stop.set()
        await engine.dispose()

    assert sum(at_end) > sum(at_start), "the writers were held up by the backup"
    stored = probe_rows_of_a_self_contained_sound_copy(backup)
    total = 0
    for writer in range(writers):
        seqs = sorted(seq for who, seq in stored if who == writer)
        assert seqs == list(range(len(seqs))), f"writer {writer}: not a prefix of its writes"
        # Counted only after the commit returned, so one more may already be in the snapshot.
        assert at_start[writer] <= len(seqs) <= at_end[writer] + 1
        total += len(seqs)
    assert total < sum(committed)


def test_backup_of_a_missing_sqlite_file_fails_with_one_line_and_creates_nothing(
    tmp_path: Path,
) -> None:
    database = tmp_path / "tidak-ada.db"
    line = one_error_line(
        ikk_bot(f"sqlite+aiosqlite:///{database}", "db", "backup", str(tmp_path / "b.db")), 2
    )
    assert "tidak ada" in line
    assert list(tmp_path.iterdir()) == []


# -------------------------------------------------------------------------------- PostgreSQL


def with_password(url: str) -> str:
    """The same database with a password in the URL (the trust-auth test cluster ignores it)."""
    return make_url(url).set(password=PASSWORD).render_as_string(hide_password=False)


def closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.mark.parametrize("db_backend", ["postgresql"])
def test_the_postgres_password_never_appears_in_any_message(
    migrated_database_url: str, tmp_path: Path
) -> None:
    url = with_password(migrated_database_url)
    ok(ikk_bot(url, "areas", "load-demo"))
    backup = tmp_path / "cadangan.dump"
    results = [
        ikk_bot(url, "db", "backup", str(backup)),
        ikk_bot(url, "db", "backup", str(backup)),  # refused: exists
        ikk_bot(url, "db", "restore", str(backup)),  # refused: has tables
        ikk_bot(url, "db", "restore", str(backup), "--force"),
    ]
    assert [result.exit_code for result in results] == [0, 1, 1, 0]
    for result in results:
        assert PASSWORD not in result.output
    assert "***" in results[0].stdout and "***" in results[3].stdout  # the URL, masked


@pytest.mark.parametrize("db_backend", ["postgresql"])
def test_an_older_postgres_backup_over_a_newer_schema_names_the_downgrade_to_run_first(
    migrated_database_url: str, tmp_path: Path
) -> None:
    url = migrated_database_url
    ok(ikk_bot(url, "areas", "load-demo"))
    areas = asyncio.run(snapshot(url))["area"]
    first = ScriptDirectory.from_config(alembic_config()).get_bases()[0]
    ok(ikk_bot(url, "db", "downgrade", first, "--yes"))
    backup = tmp_path / "lama.dump"
    ok(ikk_bot(url, "db", "backup", str(backup)))
    ok(ikk_bot(url, "db", "upgrade"))

    line = one_error_line(ikk_bot(url, "db", "restore", str(backup), "--force"), 1)
    assert f"`ikk-bot db downgrade {first} --yes`" in line

    ok(ikk_bot(url, "db", "downgrade", first, "--yes"))
    assert "`ikk-bot db upgrade`" in ok(ikk_bot(url, "db", "restore", str(backup), "--force"))
    ok(ikk_bot(url, "db", "upgrade"))
    assert asyncio.run(snapshot(url))["area"] == areas


def test_an_unreachable_postgres_fails_with_one_line_exit_2_and_no_password(
    tmp_path: Path,
) -> None:
    url = f"postgresql+asyncpg://ikk:{PASSWORD}@127.0.0.1:{closed_port()}/ikk"
    dump = tmp_path / "cadangan.dump"
    dump.write_bytes(b"PGDMP not really")
    for result in (
        ikk_bot(url, "db", "backup", str(tmp_path / "baru.dump")),
        ikk_bot(url, "db", "restore", str(dump), "--force"),
    ):
        line = one_error_line(result, 2)
        assert PASSWORD not in result.output
        assert "gagal" in line or "tidak dapat dibuka" in line or "tidak ditemukan" in line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cadangan.dump"]


FAKE_PG_DUMP = """#!/bin/sh
printf '%s\\n' "$@" > "$IKK_FAKE_LOG.argv"
printf '%s|%s|%s|%s|%s' "$PGHOST" "$PGPORT" "$PGUSER" "$PGPASSWORD" "$PGDATABASE" \
  > "$IKK_FAKE_LOG.env"
for argument in "$@"; do
  case "$argument" in --file=*) printf 'PGDMP fake' > "${argument#--file=}";; esac
done
"""


def test_pg_dump_gets_the_connection_in_its_environment_never_on_its_command_line(
    tmp_path: Path,
) -> None:
    tools = tmp_path / "bin"
    tools.mkdir()
    fake = tools / "pg_dump"
    fake.write_text(FAKE_PG_DUMP)
    fake.chmod(0o755)
    log = tmp_path / "pg_dump"
    url = f"postgresql+asyncpg://ikk:{PASSWORD}@db.kabupaten.example:6543/ikk_prov"
    backup = tmp_path / "cadangan.dump"

    result = ikk_bot(
        url, "db", "backup", str(backup),
        PATH=f"{tools}:/usr/bin:/bin", IKK_FAKE_LOG=str(log),
    )

    assert PASSWORD not in ok(result)
    argv = Path(f"{log}.argv").read_text()
    assert PASSWORD not in argv and "db.kabupaten.example" not in argv and "ikk_prov" not in argv
    assert "--format=custom" in argv.splitlines()
    assert Path(f"{log}.env").read_text() == f"db.kabupaten.example|6543|ikk|{PASSWORD}|ikk_prov"
    assert backup.read_bytes() == b"PGDMP fake"


def test_a_missing_pg_dump_is_one_line_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(backup_module, "POSTGRES_BIN_GLOB", str(tmp_path / "none" / "*" / "bin"))
    empty = tmp_path / "empty-path"
    empty.mkdir()
    url = f"postgresql+asyncpg://ikk:{PASSWORD}@127.0.0.1:5432/ikk"
    line = one_error_line(
        ikk_bot(url, "db", "backup", str(tmp_path / "b.dump"), PATH=str(empty)), 2
    )
    assert "pg_dump tidak ditemukan" in line and "postgresql-client" in line
    assert not (tmp_path / "b.dump").exists()
