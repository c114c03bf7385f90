"""`ikk-bot export --area CODE [--period Y] [--names] OUT.xlsx`, as an operator runs it."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner, Result

from bot.cli import app
from bot.reporting.workbook import SHEET_SUMMARY
from tests.bot.officials.conftest import HEAD_NAMES, KOTABARU, SAMPANAHAN, Officials

runner = CliRunner()


async def ikk_bot(url: str, *args: str) -> Result:
    """The command in a thread: it runs its own event loop, as from a shell."""
    return await asyncio.to_thread(runner.invoke, app, list(args), env={"DATABASE_URL": url})


def workbook_text(path: Path) -> str:
    book = load_workbook(io.BytesIO(path.read_bytes()), read_only=True)
    return "\n".join(
        str(v) for ws in book for row in ws.iter_rows(values_only=True) for v in row if v
    )


async def test_export_writes_the_workbook_of_any_area_without_names_by_default(
    worked_example: Officials, migrated_database_url: str, tmp_path: Path
) -> None:
    out = tmp_path / "kotabaru.xlsx"
    result = await ikk_bot(migrated_database_url, "export", "--area", KOTABARU, str(out))
    assert result.exit_code == 0, result.output
    assert "Kabupaten Kotabaru" in result.stdout and "periode 2025" in result.stdout
    assert "Keluarga terkirim: 3 di 1 desa/kelurahan" in result.stdout
    text = workbook_text(out)
    assert SHEET_SUMMARY in load_workbook(out, read_only=True).sheetnames
    assert "87.5" in text  # the IKK, stored as a number
    assert not any(name in text for name in HEAD_NAMES)


async def test_export_with_names_writes_them_and_warns(
    worked_example: Officials, migrated_database_url: str, tmp_path: Path
) -> None:
    out = tmp_path / "desa.xlsx"
    result = await ikk_bot(
        migrated_database_url, "export", "--area", SAMPANAHAN, "--period", "2025", "--names",
        str(out),
    )
    assert result.exit_code == 0, result.output
    assert "nama kepala keluarga" in result.stdout
    assert all(name in workbook_text(out) for name in HEAD_NAMES)


@pytest.mark.parametrize(
    ("area", "file", "message"),
    [
        ("63.99", "x.xlsx", "tidak ada di database"),
        ("Kotabaru", "x.xlsx", "kode wilayah tidak sah"),
        (KOTABARU, "x.csv", "berakhiran .xlsx"),
    ],
)
async def test_export_refuses_unknown_areas_bad_codes_and_other_file_types(
    officials: Officials, migrated_database_url: str, tmp_path: Path, area: str, file: str,
    message: str,
) -> None:
    out = tmp_path / file
    result = await ikk_bot(migrated_database_url, "export", "--area", area, str(out))
    assert result.exit_code == 1
    assert message in result.stderr
    assert not out.exists()
