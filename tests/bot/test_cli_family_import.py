"""`ikk-bot families import FILE`, run as an operator would, against both databases."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from bot.cli import app

runner = CliRunner()
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "contoh-keluarga.csv"


@pytest.fixture
def database_seed() -> str:
    return "demo"


def ikk_bot(url: str, *args: str) -> Result:
    return runner.invoke(app, list(args), env={"DATABASE_URL": url, "COLUMNS": "200"})


def add_admin(url: str, telegram_id: int = 9001, name: str = "Operator DP3A") -> None:
    added = ikk_bot(url, "users", "add", "--telegram-id", str(telegram_id), "--role", "admin",
                    "--area", "63", "--name", name)
    assert added.exit_code == 0, added.output


def test_families_import_stores_the_example_and_a_second_run_changes_nothing(
    migrated_database_url: str,
) -> None:
    add_admin(migrated_database_url)
    first = ikk_bot(migrated_database_url, "families", "import", str(EXAMPLE), "--periode", "2025")
    assert first.exit_code == 0, first.output
    assert "Dicatat atas nama admin: Operator DP3A." in first.stdout
    assert "Keluarga baru: 3 · diperbarui: 0 · tidak berubah: 0" in first.stdout
    assert "3 baris tanpa id_luar dikenali dari desa, RT, nama kepala keluarga" in first.stdout
    second = ikk_bot(migrated_database_url, "families", "import", str(EXAMPLE), "--periode",
                     "2025")
    assert second.exit_code == 0, second.output
    assert "Keluarga baru: 0 · diperbarui: 0 · tidak berubah: 3" in second.stdout


def test_families_import_exits_2_and_lists_rejected_rows_with_line_and_reason(
    migrated_database_url: str, tmp_path: Path
) -> None:
    add_admin(migrated_database_url)
    lines = EXAMPLE.read_text(encoding="utf-8").splitlines()
    bad = lines[2].replace(",5,Ya,Ya,", ",lima orang,Ya,Ya,", 1)  # family B, H_ANGGOTA
    assert bad != lines[2]
    path = tmp_path / "keluarga.csv"
    path.write_text("\n".join([lines[0], lines[1], bad, lines[3]]) + "\n", encoding="utf-8")
    result = ikk_bot(migrated_database_url, "families", "import", str(path), "--periode", "2025")
    assert result.exit_code == 2, result.output
    assert "Keluarga baru: 2" in result.stdout and "ditolak: 1" in result.stdout
    assert "Baris ditolak (1)" in result.stdout
    row = next(line for line in result.stdout.splitlines() if "H_ANGGOTA" in line)
    assert row.split()[0] == "3" and "Jawaban harus berupa angka" in row
    assert "Traceback" not in result.output


def test_families_import_without_an_admin_says_how_to_register_one(
    migrated_database_url: str,
) -> None:
    result = ikk_bot(migrated_database_url, "families", "import", str(EXAMPLE))
    assert result.exit_code == 2
    assert result.stderr.startswith("Galat: Belum ada admin aktif.")
    assert "ikk-bot users add --role admin" in result.stderr


def test_families_import_with_two_admins_needs_admin_and_refuses_a_non_admin(
    migrated_database_url: str,
) -> None:
    add_admin(migrated_database_url, 9001, "Operator Satu")
    add_admin(migrated_database_url, 9002, "Operator Dua")
    ambiguous = ikk_bot(migrated_database_url, "families", "import", str(EXAMPLE))
    assert ambiguous.exit_code == 2 and "--admin 123456789" in ambiguous.stderr
    stranger = ikk_bot(migrated_database_url, "families", "import", str(EXAMPLE), "--admin", "7")
    assert stranger.exit_code == 2 and "Telegram ID 7 bukan admin aktif" in stranger.stderr
    chosen = ikk_bot(migrated_database_url, "families", "import", str(EXAMPLE), "--admin",
                     "9002")
    assert chosen.exit_code == 0, chosen.output
    assert "Dicatat atas nama admin: Operator Dua." in chosen.stdout


@pytest.mark.parametrize(
    ("content", "args", "message"),
    [
        (None, (), "Galat: Berkas tidak ditemukan"),
        ("nama,LS1\nBudi,Ya\n", (), "Galat: Kolom 'desa' tidak ada di keluarga.csv"),
        ("desa,a/LS1,b/LS1\n63.02.12.2005,Ya,Ya\n", (), "Galat: Kolom LS1 muncul dua kali"),
        ("desa,LS1\n", ("--periode", "225"), "Galat: --periode 225 bukan tahun survei"),
        ("desa,LS1\n", ("--sumber", " "), "Galat: --sumber harus diisi"),
    ],
)
def test_families_import_of_an_unusable_file_or_option_is_one_indonesian_line(
    migrated_database_url: str, tmp_path: Path, content: str | None, args: tuple[str, ...],
    message: str,
) -> None:
    add_admin(migrated_database_url)
    path = tmp_path / "keluarga.csv"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    result = ikk_bot(migrated_database_url, "families", "import", str(path), *args)
    assert result.exit_code == 2
    assert result.stderr.startswith(message), result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
