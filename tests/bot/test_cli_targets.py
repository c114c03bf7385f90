"""`ikk-bot areas targets FILE.csv`, run as an operator would, against both databases."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import select
from typer.testing import CliRunner, Result

from bot.cli import app
from bot.db.engine import create_engine, create_session_factory
from bot.db.models import VillageTarget

runner = CliRunner()


def ikk_bot(url: str, *args: str) -> Result:
    return runner.invoke(app, list(args), env={"DATABASE_URL": url})


def stored(url: str) -> dict[str, int]:
    async def read() -> dict[str, int]:
        engine = create_engine(url)
        try:
            async with create_session_factory(engine)() as session:
                rows = await session.execute(
                    select(VillageTarget.village_code, VillageTarget.families)
                )
                return {code: families for code, families in rows.all()}
        finally:
            await engine.dispose()

    return asyncio.run(read())


def targets_file(tmp_path: Path, text: str) -> Path:
    file = tmp_path / "target.csv"
    file.write_text(text, encoding="utf-8")
    return file


def test_targets_are_stored_and_a_second_import_changes_nothing(
    migrated_database_url: str, tmp_path: Path
) -> None:
    assert ikk_bot(migrated_database_url, "areas", "load-demo").exit_code == 0
    file = targets_file(tmp_path, "kode;keluarga\n63.02.12.2005;480\n63.02.12.2001;120\n")
    first = ikk_bot(migrated_database_url, "areas", "targets", str(file))
    assert first.exit_code == 0, first.output
    assert "Target KK: 2 baru, 0 diperbarui, 0 tidak berubah." in first.stdout
    again = ikk_bot(migrated_database_url, "areas", "targets", str(file))
    assert "Target KK: 0 baru, 0 diperbarui, 2 tidak berubah." in again.stdout
    changed = targets_file(tmp_path, "kode,keluarga\n63.02.12.2005,500\n")
    assert "1 diperbarui" in ikk_bot(migrated_database_url, "areas", "targets",
                                     str(changed)).stdout
    assert stored(migrated_database_url) == {"63.02.12.2005": 500, "63.02.12.2001": 120}


def test_every_bad_row_is_listed_with_its_line_and_nothing_is_stored(
    migrated_database_url: str, tmp_path: Path
) -> None:
    assert ikk_bot(migrated_database_url, "areas", "load-demo").exit_code == 0
    file = targets_file(tmp_path, (
        "kode,keluarga\n"
        "63.02.12.2005,480\n"      # good, but not stored: another row is wrong
        "63.02.12,900\n"           # a kecamatan
        "63.02.12.2099,40\n"       # unknown village
        "63.02.12.2001,nol\n"      # not a number
        "63.02.12.2002,0\n"        # not positive
        "63.02.12.2003,12.5\n"     # not whole
        "6302,10\n"                # not a code
        "63.02.12.2005,10\n"       # twice
    ))
    result = ikk_bot(migrated_database_url, "areas", "targets", str(file))
    assert result.exit_code == 1
    out = result.stdout
    assert "Ditolak baris 3: kode 63.02.12 bukan desa/kelurahan" in out
    assert "Ditolak baris 4: kode 63.02.12.2099 tidak ada di daftar wilayah" in out
    assert ("Ditolak baris 5: jumlah keluarga 'nol' untuk kode 63.02.12.2001 harus "
            "bilangan bulat") in out
    assert "Ditolak baris 6: jumlah keluarga '0'" in out
    assert "Ditolak baris 7: jumlah keluarga '12.5'" in out
    assert "Ditolak baris 8: kode '6302' tidak sah" in out
    assert "Ditolak baris 9: kode 63.02.12.2005 ganda (sudah ada di baris 2)" in out
    assert "Tidak ada target yang disimpan: 7 baris salah." in out
    assert stored(migrated_database_url) == {}


def test_a_missing_file_or_one_without_the_columns_fails_with_a_plain_message(
    migrated_database_url: str, tmp_path: Path
) -> None:
    missing = ikk_bot(migrated_database_url, "areas", "targets", str(tmp_path / "nope.csv"))
    assert missing.exit_code == 2 and "tidak ditemukan" in missing.stderr
    wrong = targets_file(tmp_path, "kode,nama\n63.02.12.2005,Sampanahan\n")
    result = ikk_bot(migrated_database_url, "areas", "targets", str(wrong))
    assert result.exit_code == 2 and "kolom 'kode' dan 'keluarga'" in result.stderr
    assert "Traceback" not in result.output
