"""`ikk-bot db|areas|users|invite`, run as an operator would, against both databases."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from bot.cli import app
from bot.db.engine import create_engine, create_session_factory
from bot.db.migrate import head_revision
from bot.repositories.invites import RedeemOutcome, redeem_invite

runner = CliRunner()


def ikk_bot(url: str, *args: str, **env: str) -> Result:
    return runner.invoke(app, list(args), env={"DATABASE_URL": url, **env})


def test_db_upgrade_prepares_an_empty_database_and_current_confirms_it(database_url: str) -> None:
    result = ikk_bot(database_url, "db", "upgrade")
    assert result.exit_code == 0, result.output
    assert f"revisi {head_revision()} (terbaru)" in result.stdout
    again = ikk_bot(database_url, "db", "upgrade")
    assert again.exit_code == 0, again.output
    current = ikk_bot(database_url, "db", "current")
    assert current.exit_code == 0, current.output
    assert f"Revisi: {head_revision()} (terbaru)." in current.stdout


def test_commands_refuse_an_unmigrated_database_with_one_line_saying_what_to_run(
    database_url: str,
) -> None:
    for command in (["users", "list"], ["areas", "load-demo"], ["db", "current"]):
        result = ikk_bot(database_url, *command)
        assert result.exit_code != 0
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, result.stderr
        assert "belum disiapkan" in lines[0] and "`ikk-bot db upgrade`" in lines[0]


def test_a_missing_sqlite_file_is_reported_not_created(tmp_path: Path) -> None:
    path = tmp_path / "ikk-bot.db"
    result = ikk_bot(f"sqlite+aiosqlite:///{path}", "users", "list")
    assert result.exit_code == 2
    assert "ikk-bot db upgrade" in result.stderr
    assert not path.exists()


def test_db_downgrade_to_base_empties_the_schema(migrated_database_url: str) -> None:
    result = ikk_bot(migrated_database_url, "db", "downgrade", "base", "--yes")
    assert result.exit_code == 0, result.output
    assert "kosong (base)" in result.stdout
    assert "belum disiapkan" in ikk_bot(migrated_database_url, "db", "current").stderr


def test_db_downgrade_asks_first(migrated_database_url: str) -> None:
    result = runner.invoke(
        app, ["db", "downgrade", "base"], input="n\n", env={"DATABASE_URL": migrated_database_url}
    )
    assert result.exit_code != 0
    assert ikk_bot(migrated_database_url, "db", "current").exit_code == 0


def test_areas_load_demo_then_search(migrated_database_url: str) -> None:
    loaded = ikk_bot(migrated_database_url, "areas", "load-demo")
    assert loaded.exit_code == 0, loaded.output
    assert "25 baru" in loaded.stdout and "0 baris ditolak" in loaded.stdout
    found = ikk_bot(migrated_database_url, "areas", "search", "desa sampanahan")
    assert found.exit_code == 0, found.output
    first = found.stdout.splitlines()[0]
    assert "63.02.12.2005" in first and "Desa Sampanahan (Kec. Sampanahan, Kab. Kotabaru)" in first


def test_areas_import_reports_each_rejected_row_and_counts(
    migrated_database_url: str, tmp_path: Path
) -> None:
    file = tmp_path / "wilayah.csv"
    file.write_text(
        "kode,nama\n63,Kalimantan Selatan\n63.02,Kabupaten Kotabaru\n63.2,Salah\n63.09.01,Tanpa\n",
        encoding="utf-8",
    )
    result = ikk_bot(migrated_database_url, "areas", "import", str(file))
    assert result.exit_code == 1
    assert "Ditolak baris 4: kode '63.2' tidak sah" in result.stdout
    assert "Ditolak baris 5: wilayah induk 63.09" in result.stdout
    assert "Wilayah: 2 baru, 0 diperbarui, 0 tidak berubah, 2 baris ditolak." in result.stdout
    again = ikk_bot(migrated_database_url, "areas", "import", str(file))
    assert "Wilayah: 0 baru, 0 diperbarui, 2 tidak berubah, 2 baris ditolak." in again.stdout


def test_areas_import_of_a_missing_or_headerless_file_fails_clearly(
    migrated_database_url: str, tmp_path: Path
) -> None:
    missing = ikk_bot(migrated_database_url, "areas", "import", str(tmp_path / "nope.csv"))
    assert missing.exit_code == 2 and "tidak ditemukan" in missing.stderr
    headerless = tmp_path / "x.csv"
    headerless.write_text("63,Kalimantan Selatan\n", encoding="utf-8")
    result = ikk_bot(migrated_database_url, "areas", "import", str(headerless))
    assert result.exit_code == 2 and "kolom 'kode' dan 'nama'" in result.stderr


def test_the_first_admin_is_added_and_listed(migrated_database_url: str) -> None:
    assert ikk_bot(migrated_database_url, "areas", "load-demo").exit_code == 0
    added = ikk_bot(
        migrated_database_url, "users", "add", "--telegram-id", "5550001", "--role", "admin",
        "--area", "63", "--name", "Admin DP3A",
    )
    assert added.exit_code == 0, added.output
    assert "Pengguna 5550001 terdaftar sebagai admin" in added.stdout
    listed = ikk_bot(migrated_database_url, "users", "list", COLUMNS="200")
    assert listed.exit_code == 0, listed.output
    assert "5550001" in listed.stdout and "Admin DP3A" in listed.stdout


def test_users_add_refuses_a_kader_outside_a_village(migrated_database_url: str) -> None:
    assert ikk_bot(migrated_database_url, "areas", "load-demo").exit_code == 0
    result = ikk_bot(
        migrated_database_url, "users", "add", "--telegram-id", "7", "--role", "kader",
        "--area", "63.02.12",
    )
    assert result.exit_code == 1
    assert result.stderr.startswith("Galat: kader harus terikat pada desa/kelurahan")


def test_users_deactivate(migrated_database_url: str) -> None:
    assert ikk_bot(migrated_database_url, "areas", "load-demo").exit_code == 0
    ikk_bot(migrated_database_url, "users", "add", "--telegram-id", "8", "--role", "pejabat",
            "--area", "63.02")
    assert ikk_bot(migrated_database_url, "users", "deactivate", "8").exit_code == 0
    unknown = ikk_bot(migrated_database_url, "users", "deactivate", "9")
    assert unknown.exit_code == 1 and "tidak ada pengguna" in unknown.stderr


def test_invite_create_prints_a_code_and_link_that_redeem(migrated_database_url: str) -> None:
    assert ikk_bot(migrated_database_url, "areas", "load-demo").exit_code == 0
    result = ikk_bot(
        migrated_database_url, "invite", "create", "--role", "kader", "--area", "63.02.12.2005",
        "--uses", "2", "--expires", "3d", BOT_USERNAME="kader_ikk_bot",
    )
    assert result.exit_code == 0, result.output
    assert "Undangan kader untuk Desa Sampanahan, 2 kali pakai" in result.stdout
    code = re.search(r"Kode: (inv_[A-Za-z0-9_-]+)", result.stdout)
    assert code is not None
    assert f"Tautan: https://t.me/kader_ikk_bot?start={code.group(1)}" in result.stdout

    async def redeem() -> RedeemOutcome:
        engine = create_engine(migrated_database_url)
        try:
            sessions = create_session_factory(engine)
            return (await redeem_invite(sessions, code.group(1), 123, "Siti")).outcome
        finally:
            await engine.dispose()

    assert asyncio.run(redeem()) is RedeemOutcome.OK


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--role", "kader", "--area", "63.02.12"], "desa/kelurahan"),
        (["--role", "kader", "--area", "63.02.12.2005", "--expires", "soon"], "durasi"),
    ],
)
def test_invite_create_refuses_bad_input(
    migrated_database_url: str, args: list[str], message: str
) -> None:
    assert ikk_bot(migrated_database_url, "areas", "load-demo").exit_code == 0
    result = ikk_bot(migrated_database_url, "invite", "create", *args)
    assert result.exit_code == 1 and message in result.stderr
